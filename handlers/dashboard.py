"""/dashboard: the coordinators' dashboard (docs/dashboard.md). Inside
Telegram it opens as a Mini App (a button here, and the chat's menu button,
set for coordinators and administrators); for an office computer it gives a
one-time login link, valid ten minutes."""

from __future__ import annotations

import contextlib

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from handlers.ui import esc, reply
from storage import dashboard

# The offline chat, whose dashboard listens on loopback, puts its address here.
BASE_KEY = "dashboard_base_url"
MENU_KEY = "dashboard_menu"


def base_url(context: BotContext) -> str | None:
    """``https://bot.example.org`` (BINHDANG_DASHBOARD_URL), or the offline
    chat's loopback address; ``None`` when the dashboard has no address."""
    configured = context.services.settings.dashboard_url
    if configured:
        return configured
    running = context.application.bot_data.get(BASE_KEY)
    return running if isinstance(running, str) else None


async def dashboard_command(update: Update, context: BotContext) -> None:
    t = context.t
    profile = context.profile
    chat = update.effective_chat
    if profile is None or not profile.is_coordinator or chat is None:
        await reply(update, t("Only coordinators and administrators can use the dashboard."))
        return
    base = base_url(context)
    if base is None:
        await reply(
            update,
            t(
                "The dashboard has no web address yet. Ask the administrator to set BINHDANG_DASHBOARD_URL."
            ),
        )
        return
    async with context.services.sessions.begin() as session:
        secret = await dashboard.create_login_link(session, profile.id, context.services.clock())
    login = f"{base}/app/login/{secret}"
    app_url = f"{base}/app/"
    text = t(
        "📊 The dashboard: summaries with drill-down, who has reported, activities with their photos, and files."
    )
    office = t(
        "On a computer, open this one-time link within 10 minutes (it works once; do not share it):"
    )
    if base.startswith("https://"):
        await set_menu_button(context, chat.id, f"{base}/app/", force=True)
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(t("📊 Open the dashboard"), web_app=WebAppInfo(app_url))],
                [InlineKeyboardButton(t("💻 Login link for a computer"), url=login)],
            ]
        )
        await reply(update, f"{esc(text)}\n\n{esc(office)}", markup)
        return
    # Telegram accepts no button to a plain-http address (the offline chat).
    await chat.send_message(
        f"{esc(text)}\n\n{esc(office)}\n{esc(login)}",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def set_menu_button(context: BotContext, chat_id: int, url: str, force: bool = False) -> None:
    """The chat's menu button opens the dashboard; set once per chat and
    address (remembered in the user's data), or again when ``force``."""
    data = context.user_data
    if data is None or (not force and data.get(MENU_KEY) == url):
        return
    # The menu button is a convenience: /dashboard has the same buttons.
    with contextlib.suppress(TelegramError):
        await context.bot.set_chat_menu_button(
            chat_id=chat_id,
            menu_button=MenuButtonWebApp(context.t("Dashboard"), WebAppInfo(url)),
        )
        data[MENU_KEY] = url


async def menu_for_coordinators(update: Update, context: BotContext) -> None:
    """Any command of a coordinator or administrator: give their chat the
    dashboard's menu button if it does not have it yet. Does not stop the
    command (a handler group of its own)."""
    profile = context.profile
    chat = update.effective_chat
    text = update.effective_message.text if update.effective_message else None
    base = context.services.settings.dashboard_url
    if (
        profile is None
        or not profile.is_coordinator
        or chat is None
        or base is None
        or not base.startswith("https://")
        or (text or "").startswith("/report")  # nothing extra next to a report
    ):
        return
    await set_menu_button(context, chat.id, f"{base}/app/")


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("dashboard", dashboard_command))


def register_menu_button(application: Application) -> None:  # type: ignore[type-arg]
    """Group -6: after the profile is loaded, before any conversation."""
    application.add_handler(MessageHandler(filters.COMMAND, menu_for_coordinators), group=-6)
