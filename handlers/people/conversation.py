"""The /people conversation: its steps and the buttons each one takes."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from handlers.kit import Ask, fallbacks, guards
from handlers.people.menu import ask_menu, close_pressed, menu_pressed, requests_pressed, start
from handlers.people.persons import (
    active_pressed,
    ask_card,
    ask_list,
    ask_place,
    ask_role,
    back_to_card,
    back_to_list,
    commune_opened,
    list_pressed,
    move_opened,
    person_pressed,
    place_chosen,
    place_typed,
    role_chosen,
    role_opened,
)
from handlers.people.texts import (
    CARD,
    CONFIRM,
    KEY,
    LIST,
    MENU,
    MERGE,
    PLACE,
    RENAME,
    ROLE,
    VILLAGE,
    VILLAGES,
)
from handlers.people.villages import (
    ask_confirm,
    ask_merge,
    ask_rename,
    ask_village,
    ask_villages,
    back_to_village,
    back_to_villages,
    commune_typed,
    merge_confirmed,
    merge_opened,
    merge_target_chosen,
    name_typed,
    rename_opened,
    village_commune_chosen,
    village_pressed,
    villages_opened,
)


def on(data: str, handler: Any) -> CallbackQueryHandler[BotContext, Any]:
    return CallbackQueryHandler(handler, pattern=rf"^pp:{data}$")


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {
        MENU: ask_menu,
        LIST: ask_list,
        CARD: ask_card,
        ROLE: ask_role,
        PLACE: ask_place,
        VILLAGES: ask_villages,
        VILLAGE: ask_village,
        RENAME: ask_rename,
        MERGE: ask_merge,
        CONFIRM: ask_confirm,
    }
    text = filters.TEXT & ~filters.COMMAND
    menu = on("menu", menu_pressed)
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]] = {
        MENU: [
            on("req", requests_pressed),
            menu,
            CallbackQueryHandler(list_pressed, pattern=r"^pp:list:\d{1,6}$"),
            on("vil", villages_opened),
            on("close", close_pressed),
            *guards(ask_menu),
        ],
        LIST: [
            CallbackQueryHandler(list_pressed, pattern=r"^pp:list:\d{1,6}$"),
            CallbackQueryHandler(person_pressed, pattern=r"^pp:p:\d{1,12}$"),
            menu,
            *guards(ask_list),
        ],
        CARD: [
            CallbackQueryHandler(active_pressed, pattern=r"^pp:(on|off)$"),
            on("mv", move_opened),
            on("rl", role_opened),
            on("list", back_to_list),
            *guards(ask_card),
        ],
        ROLE: [
            CallbackQueryHandler(role_chosen, pattern=r"^pp:r:[a-z_]{1,30}$"),
            on("card", back_to_card),
            *guards(ask_role),
        ],
        PLACE: [
            CallbackQueryHandler(place_chosen, pattern=r"^pp:u:\d{1,12}$"),
            CallbackQueryHandler(commune_opened, pattern=r"^pp:c:\d{1,12}$"),
            on("card", back_to_card),
            MessageHandler(text, place_typed),
            *guards(ask_place, expects_text=True),
        ],
        VILLAGES: [
            CallbackQueryHandler(village_pressed, pattern=r"^pp:v:\d{1,12}$"),
            CallbackQueryHandler(village_commune_chosen, pattern=r"^pp:vc:\d{1,12}$"),
            menu,
            MessageHandler(text, commune_typed),
            *guards(ask_villages, expects_text=True),
        ],
        VILLAGE: [
            on("rn", rename_opened),
            on("mg", merge_opened),
            on("vil", back_to_villages),
            *guards(ask_village),
        ],
        RENAME: [MessageHandler(text, name_typed), *guards(ask_rename, expects_text=True)],
        MERGE: [
            CallbackQueryHandler(merge_target_chosen, pattern=r"^pp:m:\d{1,12}$"),
            on("vb", back_to_village),
            *guards(ask_merge),
        ],
        CONFIRM: [
            on("my", merge_confirmed),
            on("mg", merge_opened),
            *guards(ask_confirm),
        ],
    }
    return ConversationHandler(
        entry_points=[CommandHandler("people", start)],
        states=states,
        fallbacks=fallbacks(KEY, steps, saves_each_step=True),
        name="people",
        persistent=True,
        allow_reentry=True,
    )
