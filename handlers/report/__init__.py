"""/report: reporting an incident (``conversation``) or adding information to
one with its reference code (``addinfo``), in discreet mode (``discreet``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import SERVICES_KEY, BotContext
from bot.services import Services
from handlers.alerts import cipher_of
from handlers.delivery import EDIT_NOTICE
from handlers.kit import BUTTONS, fallbacks, guards
from handlers.report import addinfo, conversation
from handlers.report.conversation import (
    AFFECTED,
    CONSENT,
    CONTACT,
    DANGER,
    DETAILS,
    KIND,
    PHONE,
    PLACE,
    STEPS,
    SUMMARY,
    WHEN,
    P,
    Step,
    leave,
    state,
)
from handlers.report.discreet import (
    CHAT,
    KEY,
    abandon,
    active,
    note_incoming,
    open_erasure,
    say,
    touch,
    wipe,
)
from scheduler import abandoned
from storage import erasures

MEDIA = filters.PHOTO | filters.VOICE | filters.VIDEO | filters.AUDIO | filters.Document.ALL
TEXT = filters.TEXT & ~filters.COMMAND


async def entry(update: Update, context: BotContext) -> str | int:
    """``/report`` or ``/report CODE``; refused without an encryption key."""
    if active(context) and update.effective_chat is not None:
        await wipe(context, update.effective_chat.id)  # a new /report replaces the old one
    if cipher_of(context.services.settings) is None:
        await conversation.no_key(update, context)
        return ConversationHandler.END
    await open_erasure(update, context)
    if context.args:
        result = await addinfo.start_adding(update, context, " ".join(context.args))
    else:
        result = await conversation.start(update, context)
    if active(context) and update.effective_chat is not None:
        state(context)[CHAT] = update.effective_chat.id
        touch(context)
    return result


async def entry_pressed(update: Update, context: BotContext) -> str | int:
    """The 🆘 button (after "I only need hotlines or to report")."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    return await entry(update, context)


def discreet_guards(
    ask: Step, *, expects_text: bool = False, press: Step | None = None
) -> list[Any]:
    """The kit's guards, answered protected and remembered for deletion; with
    ``press``, a button's label typed counts as pressing it."""
    return guards(
        ask,
        expects_text=expects_text,
        say=say,
        buttons_of=lambda context: state(context).get(BUTTONS),
        press=press,
    )


async def edited_in_report(update: Update, context: BotContext) -> None:
    """An edit during a report is not read: answered protected, and erased with the rest."""
    if not active(context):
        return
    await say(update, context, context.t(EDIT_NOTICE))
    raise ApplicationHandlerStop


def _button(callback: Any, name: str) -> CallbackQueryHandler[BotContext, Any]:
    return CallbackQueryHandler(callback, pattern=rf"^{P}:{name}:")


def build() -> ConversationHandler[BotContext]:
    c = conversation
    states: dict[object, list[Any]] = {
        DANGER: [
            _button(c.danger_chosen, "danger"),
            *discreet_guards(c.ask_danger, press=c.danger_chosen),
        ],
        KIND: [_button(c.kind_chosen, "kind"), *discreet_guards(c.ask_kind, press=c.kind_chosen)],
        AFFECTED: [
            _button(c.affected_chosen, "aff"),
            MessageHandler(TEXT, c.affected_typed),
            *discreet_guards(c.ask_affected),
        ],
        PLACE: [
            CallbackQueryHandler(c.place_chosen, pattern=rf"^{P}:place:\d+$"),
            MessageHandler(filters.LOCATION, c.location_shared),
            MessageHandler(TEXT, c.place_typed),
            *discreet_guards(c.ask_place, expects_text=True),
        ],
        WHEN: [_button(c.when_chosen, "when"), *discreet_guards(c.ask_when, press=c.when_chosen)],
        DETAILS: [
            CallbackQueryHandler(c.details_done, pattern=rf"^{P}:det:done$"),
            MessageHandler(TEXT, c.details_text),
            MessageHandler(MEDIA, c.details_media),
            *discreet_guards(c.ask_details, expects_text=True),
        ],
        CONTACT: [
            _button(c.contact_chosen, "contact"),
            *discreet_guards(c.ask_contact, press=c.contact_chosen),
        ],
        PHONE: [
            MessageHandler(TEXT, c.phone_typed),
            *discreet_guards(c.ask_phone, expects_text=True),
        ],
        CONSENT: [
            _button(c.consent_chosen, "consent"),
            *discreet_guards(c.ask_consent, press=c.consent_chosen),
        ],
        SUMMARY: [
            _button(c.summary_chosen, "sum"),
            *discreet_guards(c.ask_summary, press=c.summary_chosen),
        ],
        addinfo.ADD: [
            CallbackQueryHandler(addinfo.add_done, pattern=rf"^{P}:add:done$"),
            CallbackQueryHandler(addinfo.danger_chosen, pattern=rf"^{P}:add:dgr:[yn]$"),
            MessageHandler(TEXT, addinfo.add_text),
            MessageHandler(MEDIA, addinfo.add_media),
            *discreet_guards(addinfo.ask_add, expects_text=True),
        ],
    }
    return ConversationHandler(
        entry_points=[
            CommandHandler("report", entry),
            CallbackQueryHandler(entry_pressed, pattern=r"^menu:report$"),
        ],
        states=states,
        fallbacks=fallbacks(
            KEY,
            {**STEPS, addinfo.ADD: addinfo.ask_add},
            CommandHandler("report", entry),
            leave=leave,
            leave_commands=("exit", "cancel"),
            say=say,
        ),
        name="report",
        persistent=True,
        allow_reentry=True,
    )


async def exit_outside(update: Update, context: BotContext) -> None:
    """/exit outside a report: nothing to erase."""
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(
            context.t("There is nothing to leave. Send /help to see what you can do.")
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    # Group -9, before everything but the profile loader: remember each message
    # the reporter sends while a report is open, whoever answers it.
    application.add_handler(TypeHandler(Update, note_incoming), group=-9)
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited_in_report), group=-8
    )
    handler = build()
    application.add_handler(handler)
    services = application.bot_data.get(SERVICES_KEY)
    if isinstance(services, Services):
        sessions = services.sessions

        async def discard(user_id: int) -> int:
            return await abandon(application, handler, user_id)

        async def reporters() -> list[int]:
            async with sessions() as session:
                return await erasures.open_reporters(session)

        idle = timedelta(minutes=services.settings.report_draft_minutes)
        abandoned.watch(application, abandoned.Watch(KEY, idle, discard, reporters))


def register_commands(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("exit", exit_outside))


__all__ = ["KEY", "build", "register", "register_commands"]
