"""/reminders: what is coming for this user, and which kinds of reminder
they get. The on/off buttons work at any time, from any conversation."""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.i18n import Translator
from handlers.ui import esc, keyboard, reply
from scheduler.quiet import parse_quiet_hours
from scheduler.reminders import kind_name, title_of
from storage import calendar
from storage.models import EventKind
from storage.models.calendar import ReminderPurpose
from storage.users import Profile

DAYS_AHEAD = 60
MAX_LINES = 15
PATTERN = r"^rm:(action_month|day|deadline)$"


def _kinds(profile: Profile) -> list[EventKind]:
    kinds = [EventKind.ACTION_MONTH, EventKind.DAY]
    if profile.is_coordinator:
        kinds.append(EventKind.DEADLINE)
    return kinds


def _what(t: Translator, upcoming: calendar.Upcoming) -> str:
    rule = upcoming.rule
    days = abs(rule.offset_days)
    if rule.purpose is ReminderPurpose.STARTS:
        return t("first day")
    if rule.purpose is ReminderPurpose.LAST_DAY:
        return t("last day")
    if rule.purpose is ReminderPurpose.TODAY:
        return t("on the day")
    if rule.purpose is ReminderPurpose.DEADLINE:
        return t.ngettext("{n} day before it is due", "{n} days before it is due", days).format(
            n=days
        )
    return t.ngettext("{n} day before", "{n} days before", days).format(n=days)


async def render(context: BotContext, profile: Profile) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    settings = context.services.settings
    zone = settings.zone
    quiet = parse_quiet_hours(settings.quiet_hours)
    async with context.services.sessions() as session:
        coming = await calendar.upcoming_for(
            session, profile, context.services.clock(), zone, DAYS_AHEAD
        )
        off = await calendar.opted_out(session, profile.id)
    lines = [t("⏰ <b>Your reminders</b>")]
    shown = [u for u in coming if u.dated.base.kind in _kinds(profile)][:MAX_LINES]
    if shown:
        lines.append(t("In the next {n} days:").format(n=DAYS_AHEAD))
    else:
        lines.append(t("No reminders in the next {n} days.").format(n=DAYS_AHEAD))
    for item in shown:
        at = quiet.defer(item.at, zone).astimezone(zone)
        mark = "🔕 " if item.dated.base.kind in off else "• "
        lines.append(
            f"{mark}{esc(t.datetime(at))} — <b>{esc(title_of(t, item.dated.event))}</b>"
            f" ({esc(_what(t, item))})"
        )
    lines += ["", t("Tap a kind to turn its reminders off or back on:")]
    rows = [
        [
            (
                ("🔕 " if kind in off else "✅ ") + kind_name(t, kind),
                f"rm:{kind.value}",
            )
        ]
        for kind in _kinds(profile)
    ]
    return "\n".join(lines), keyboard(rows)


async def reminders_command(update: Update, context: BotContext) -> None:
    profile = context.profile
    if profile is None or not profile.is_active or profile.unit_id is None:
        await reply(
            update,
            context.t(
                "Reminders are for registered collaborators and coordinators. Send /start to register."
            ),
        )
        return
    text, markup = await render(context, profile)
    await reply(update, text, markup)


async def toggle_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    t = context.t
    profile = context.profile
    kind = EventKind(query.data.split(":", 1)[1])
    if profile is None or not profile.is_active or kind not in _kinds(profile):
        await query.answer(t("That button is no longer valid."))
        raise ApplicationHandlerStop
    async with context.services.sessions.begin() as session:
        on = kind in await calendar.opted_out(session, profile.id)
        await calendar.set_reminders(session, profile.id, kind, on=on)
    message = t("{kind}: on") if on else t("{kind}: off")
    await query.answer(message.format(kind=kind_name(t, kind)))
    if isinstance(query.message, Message):
        text, markup = await render(context, profile)
        with contextlib.suppress(BadRequest):
            await query.message.edit_text(text, reply_markup=markup)
    raise ApplicationHandlerStop


def register_buttons(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(toggle_pressed, pattern=PATTERN), group=-1)


def register_commands(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("reminders", reminders_command))
