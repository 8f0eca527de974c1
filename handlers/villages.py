"""Villages (/villages): coordinators add the villages (thôn, làng, tổ dân
phố) of a commune in their area; the official lists stop at the commune."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from handlers.flow import draft, drop_draft
from handlers.kit import (
    BUTTONS,
    Ask,
    fallbacks,
    guards,
    pressed_data,
    remember_buttons,
    typed_button,
)
from handlers.ui import advance, esc, keyboard, reply, text_of
from storage import units
from storage.models import UnitLevel
from storage.text import clean_name, starts_like_formula

KEY = "vil"
COMMUNE, NAME = "COMMUNE", "NAME"
MAX_NAME = 80


async def start(update: Update, context: BotContext) -> str | int:
    profile = context.profile
    if profile is None or not profile.is_coordinator:
        await reply(update, context.t("Only coordinators can add villages."))
        return ConversationHandler.END
    drop_draft(context, KEY)
    async with context.services.sessions() as session:
        own = await units.get_unit(session, profile.unit_id) if profile.unit_id else None
    if own is not None and own.level is UnitLevel.COMMUNE:
        draft(context, KEY)["commune"] = own.id
        return await ask_name(update, context)
    return await ask_commune(update, context)


async def ask_commune(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = COMMUNE
    await reply(update, context.t("Type the name of the commune whose villages you want to add:"))
    return COMMUNE


async def commune_typed(update: Update, context: BotContext) -> str:
    if typed_button(update, draft(context, KEY).get(BUTTONS)) is not None:  # one listed
        return await commune_chosen(update, context)
    profile = context.profile
    assert profile is not None
    async with context.services.sessions() as session:
        own = await units.get_unit(session, profile.unit_id) if profile.unit_id else None
        hits = await units.search(session, text_of(update), level=UnitLevel.COMMUNE, within=own)
    if not hits:
        await reply(
            update, context.t("No place under your unit matches that name. Please type it again.")
        )
        return COMMUNE
    rows = [[(f"{h.name}, {h.province_name}", f"vc:{h.id}")] for h in hits]
    remember_buttons(draft(context, KEY), keyboard(rows))
    await reply(update, context.t("Which one?"), keyboard(rows))
    return COMMUNE


async def commune_chosen(update: Update, context: BotContext) -> str:
    data = pressed_data(update)  # pressed, or its label typed
    assert data is not None and context.profile is not None
    raw = data.split(":", 1)[1]
    async with context.services.sessions() as session:
        commune = await units.get_unit(session, int(raw)) if raw.isdigit() else None
    if (
        commune is None
        or commune.level is not UnitLevel.COMMUNE
        or not context.profile.covers(commune.path)
    ):
        return await ask_commune(update, context)
    draft(context, KEY)["commune"] = commune.id
    return await advance(update, commune.name, ask_name(update, context))


async def ask_name(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = NAME
    t = context.t
    async with context.services.sessions() as session:
        commune = await units.get_unit(session, state["commune"])
        assert commune is not None
        villages = await units.children(session, commune.id)
        place = await units.describe(session, commune)
    listed = ", ".join(v.name for v in villages) or t("none yet")
    text = t(
        "Villages of {place}: {villages}.\nType the name of a village to add it, or /cancel to finish."
    ).format(place=esc(place), villages=esc(listed))
    await reply(update, text)
    return NAME


async def name_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    if starts_like_formula(text_of(update)):
        await reply(
            update,
            t(
                "A name cannot start with =, +, - or @ (a spreadsheet would read it as a formula). Please start with a letter or a digit."
            ),
        )
        return NAME
    name = clean_name(text_of(update), MAX_NAME)
    if name is None:
        await reply(
            update,
            t("A village name has 1 to {max} letters or digits. Please type it again.").format(
                max=MAX_NAME
            ),
        )
        return NAME
    assert context.profile is not None
    try:
        async with context.services.sessions.begin() as session:
            village, created = await units.add_village_for(
                session, context.profile, draft(context, KEY)["commune"], name
            )
    except units.NotAllowed:
        await reply(update, t("You cannot add villages there."))
        drop_draft(context, KEY)
        return ConversationHandler.END
    message = t("Added {name}.") if created else t("{name} is already in the list.")
    await reply(
        update,
        message.format(name=esc(village.name))
        + "\n"
        + t("Type another name, or /cancel to finish."),
    )
    return NAME


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {COMMUNE: ask_commune, NAME: ask_name}
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[Any]] = {
        COMMUNE: [
            CallbackQueryHandler(commune_chosen, pattern=r"^vc:"),
            MessageHandler(text, commune_typed),
            *guards(ask_commune, expects_text=True),
        ],
        NAME: [MessageHandler(text, name_typed), *guards(ask_name, expects_text=True)],
    }
    return ConversationHandler(
        entry_points=[CommandHandler("villages", start)],
        states=states,
        fallbacks=fallbacks(KEY, steps, saves_each_step=True),
        name="villages",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(build())
