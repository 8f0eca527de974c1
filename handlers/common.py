"""What every user can do at any time: help, language, cancel; and the answers
to input that no conversation expects, and to errors."""

from __future__ import annotations

import logging

from telegram import BotCommand, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import BotContext
from bot.i18n import Translator, available_languages, translator
from handlers import delivery, menu
from handlers.report.discreet import active as report_active
from handlers.ui import columns, esc, keyboard, reply, settle
from storage import users
from storage.models import Role

log = logging.getLogger(__name__)
REPORT_BUTTONS = "rp:"  # handlers.report.conversation.P


def role_name(t: Translator, role: Role) -> str:
    names = {
        Role.COLLABORATOR: t("Village collaborator"),
        Role.TEAM_MEMBER: t("Community communication team member"),
        Role.TRUSTED_ADDRESS_STAFF: t("Trusted address staff"),
        Role.COMMUNE_COORDINATOR: t("Commune coordinator"),
        Role.PROVINCE_COORDINATOR: t("Province coordinator"),
        Role.ADMIN: t("National administrator"),
    }
    return names[role]


async def load_profile(update: Update, context: BotContext) -> None:
    """Runs first for every update: who is this, and which language do they read."""
    user = update.effective_user
    if user is None:
        return
    context.telegram_language = user.language_code
    services = context.services
    if reporting(update, context):
        context.profile = await services.profiles.find(services.sessions, user.id)
        return
    context.profile = await services.profiles.load(
        services.sessions, user.id, user.full_name, user.username
    )


def reporting(update: Update, context: BotContext) -> bool:
    """An update of /report: it reads the profile but writes no ``users`` row,
    so that a visitor's report is not tied to a row made in the same second."""
    if report_active(context):
        return True
    query = update.callback_query
    if query is not None:
        return (query.data or "").startswith(REPORT_BUTTONS)
    message = update.message
    text = message.text if message is not None else None
    return bool(text) and (text or "").split(maxsplit=1)[0].split("@")[0] == "/report"


async def help_command(update: Update, context: BotContext) -> None:
    await reply(update, *help_message(context))


def help_message(context: BotContext) -> tuple[str, InlineKeyboardMarkup | None]:
    t = context.t
    audience = menu.audience_of(context.profile)
    title = t("What you can do here")
    lines = [f"<b>{esc(title)}</b>"]
    lines += [f"/{c.name} — {esc(t(c.description))}" for c in menu.commands_for(audience)]
    if audience is menu.Audience.PUBLIC:
        lines += ["", esc(t("Send /start to register as a collaborator or coordinator."))]
    elif context.profile is not None and context.profile.role is not None:
        lines += [
            "",
            esc(
                t("You are registered as: {role}.").format(role=role_name(t, context.profile.role))
            ),
        ]
    return "\n".join(lines), menu.main_menu(t, audience)


def language_keyboard(prefix: str, suggested: str) -> list[tuple[str, str]]:
    codes = sorted(available_languages(), key=lambda c: c != suggested)
    return [(translator(c).language_name, f"{prefix}:{c}") for c in codes]


async def language_command(update: Update, context: BotContext) -> None:
    await reply(update, *language_message(context))


def language_message(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    return (
        context.t("Choose your language:"),
        keyboard(columns(language_keyboard("lang", context.language))),
    )


async def language_chosen(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.split(":", 1)[1]
    if code not in available_languages() or context.profile is None:
        await query.answer(context.t("That button is no longer valid."))
        return
    async with context.services.sessions.begin() as session:
        await users.set_language(session, context.profile.id, code)
    t = translator(code)
    await settle(query, t.language_name)
    await reply(update, t("Language changed. Send /help to see what you can do."))


async def language_pressed(update: Update, context: BotContext) -> None:
    """Group -1: the language buttons, also in the middle of a conversation."""
    await language_chosen(update, context)
    raise ApplicationHandlerStop


async def cancel_outside(update: Update, context: BotContext) -> None:
    await reply(update, context.t("There is nothing to cancel. Send /help to see what you can do."))


async def unknown_command(update: Update, context: BotContext) -> None:
    await reply(update, context.t("I do not know that command. Send /help to see the commands."))


async def stray_message(update: Update, context: BotContext) -> None:
    await reply(
        update,
        context.t("I am not waiting for a message right now. Send /help to see what you can do."),
    )


async def stray_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(context.t("That button is no longer valid."), show_alert=False)
    await settle_silently(update)


async def settle_silently(update: Update) -> None:
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_reply_markup(None)
        except Exception:  # the message may be gone or already without buttons
            log.debug("could not remove stale keyboard", exc_info=True)


async def error_handler(update: object, context: BotContext) -> None:
    """Log the error with its update, put the user's drafts back as they were
    before it, and apologise in the user's language."""
    # The update's id only: its repr holds what the user typed (bot/logs.py).
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("unhandled error for update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_user is not None:
        delivery.restore_after_failure(context.user_data)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        t = await _language_of(update, context)
        if update.callback_query is not None:
            await update.callback_query.answer()
        await update.effective_chat.send_message(
            t(
                "Sorry, something went wrong on our side. What you entered is kept; please try again."
            )
        )
    except Exception:  # the apology must never raise in turn
        log.exception("could not apologise")


async def _language_of(update: Update, context: BotContext) -> Translator:
    user = update.effective_user
    context.telegram_language = user.language_code if user else None
    if user is not None:
        try:
            async with context.services.sessions() as session:
                record = await users.get_by_telegram_id(session, user.id)
            if record is not None and record.language:
                return translator(record.language)
        except Exception:  # the database may be what failed
            log.warning("could not read the language of %s", user.id)
    return context.t


async def set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Telegram's command menu, in every language."""
    public = menu.commands_for(menu.Audience.PUBLIC)
    for code in available_languages():
        if len(code) != 2:  # Telegram takes ISO 639-1 codes only; the default list covers the rest
            continue
        t = translator(code)
        commands = [BotCommand(c.name, t(c.description)) for c in public]
        await application.bot.set_my_commands(commands, language_code=code)
    t = translator(None)
    await application.bot.set_my_commands([BotCommand(c.name, t(c.description)) for c in public])


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Runs before every feature: who is writing; and the language buttons,
    which work in any state (/language is answered at any step)."""
    application.add_handler(TypeHandler(Update, load_profile), group=-10)
    application.add_handler(CallbackQueryHandler(language_pressed, pattern=r"^lang:"), group=-1)


def register_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Commands for any time, after the conversations (which answer them mid-way)."""
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("language", language_command))

    application.add_handler(CommandHandler("cancel", cancel_outside))


def register_fallbacks(application: Application) -> None:  # type: ignore[type-arg]
    """Last resort answers, registered after every feature in the same group."""
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(filters.ALL, stray_message))
    application.add_handler(CallbackQueryHandler(stray_button))
    application.add_error_handler(error_handler)
