"""/dashboard: the coordinators' dashboard (docs/dashboard.md). Inside
Telegram it opens as a Mini App (a button here, and the chat's menu button,
set for coordinators and administrators); for an office computer it gives a
one-time login link, valid ten minutes."""

from __future__ import annotations

import contextlib

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from bot.context import BotContext
from handlers.ui import esc, reply
from storage import dashboard

# The offline chat, whose dashboard listens on loopback, puts its address here.
BASE_KEY = "dashboard_base_url"


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
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(t("📊 Open the dashboard"), web_app=WebAppInfo(app_url))],
                [InlineKeyboardButton(t("💻 Login link for a computer"), url=login)],
            ]
        )
        await reply(update, f"{esc(text)}\n\n{esc(office)}", markup)
        # The menu button is a convenience: the message has the buttons.
        with contextlib.suppress(TelegramError):
            await context.bot.set_chat_menu_button(
                chat_id=chat.id,
                menu_button=MenuButtonWebApp(t("Dashboard"), WebAppInfo(app_url)),
            )
        return
    # Telegram accepts no button to a plain-http address (the offline chat).
    await reply(update, f"{esc(text)}\n\n{esc(office)}\n{esc(login)}")


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("dashboard", dashboard_command))
