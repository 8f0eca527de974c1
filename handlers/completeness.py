"""Completeness: a member says "no activity this month" with one tap
(/noactivity, or the button of a reminder), and a coordinator reminds the
silent collaborators of an area with one button; the reminders go out
through the outbox and the sender."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.i18n import Translator, translator
from bot.services import Services
from handlers.area_period import today
from handlers.ui import columns, esc, keyboard, reply, settle
from scheduler import jobs, nudges
from storage import outbox
from storage.reports import completeness as storage_completeness
from storage.reports.areas import Area
from storage.reports.completeness import Declared, declarable_months, month_of
from storage.reports.periods import Period, local_day
from storage.reports.render import period_name
from storage.users import Profile

NO_ACTIVITY = r"^na:\d{6}$"


def month_label(month: date) -> str:
    return f"{month.month:02d}/{month.year}"


# "No activity this month".
async def no_activity_command(update: Update, context: BotContext) -> None:
    t = context.t
    profile = context.profile
    if profile is None or not profile.is_active or profile.unit_id is None:
        await reply(update, t("Only registered members can report a month without activity."))
        return
    months = declarable_months(today(context))
    buttons = [
        (t("No activity in {month}").format(month=month_label(m)), f"na:{m:%Y%m}") for m in months
    ]
    await reply(
        update,
        t(
            "Did you hold no session at all in a month? Tell your coordinator with one tap, so that a true zero is not taken for a missing report."
        ),
        keyboard(columns(buttons, 1)),
    )


async def no_activity_pressed(update: Update, context: BotContext) -> None:
    """Works from any state (group -1): the button may be on a reminder."""
    query = update.callback_query
    assert query is not None and query.data is not None
    t = context.t
    month = month_of(query.data.split(":", 1)[1])
    profile = context.profile
    if month is None or profile is None:
        await query.answer(t("That button is no longer valid."))
        raise ApplicationHandlerStop
    async with context.services.sessions.begin() as session:
        result = await storage_completeness.declare_no_activity(
            session,
            profile,
            month,
            context.services.clock(),
            context.services.settings.zone,
        )
        logged = (
            await storage_completeness.logged_in_month(session, profile, month)
            if result is Declared.HAS_SESSIONS
            else 0
        )
    label = month_label(month)
    answers = {
        Declared.SAVED: t(
            "Noted: no activity in {month}. Thank you! If you hold a session later, log it with /log as usual."
        ),
        Declared.ALREADY: t("You had already said there was no activity in {month}."),
        Declared.BAD_MONTH: t("{month} can no longer be reported; ask your coordinator."),
        Declared.NOT_ALLOWED: t("Only registered members can report a month without activity."),
        Declared.HAS_SESSIONS: t.ngettext(
            "You have already logged {count} session held in {month}, so it cannot be a month without activity. See them with /mine.",
            "You have already logged {count} sessions held in {month}, so it cannot be a month without activity. See them with /mine.",
            logged,
        ),
    }
    text = answers[result].format(month=label, count=logged)
    if result is Declared.SAVED:
        await settle(query, t("No activity in {month}").format(month=label))
    else:
        await query.answer()
    await reply(update, esc(text))
    raise ApplicationHandlerStop


# The coordinator's reminder.
async def queue_nudges(
    services: Services, area: Area, period: Period, actor: Profile | None
) -> int:
    """Queue the reminders of the area's silent collaborators, each in their
    language (``scheduler.nudges``), if ``actor`` may (else
    ``nudges.NudgeRefused``). The bot's button and the dashboard both call
    this; the caller wakes the sender."""
    settings = services.settings
    now = services.clock()

    def message_in(language: str | None, month: date) -> tuple[str, outbox.Message]:
        reader = translator(language)
        return reader.lang, _nudge_message(reader, period, month)

    return await nudges.queue_nudges(
        services.sessions,
        area,
        period,
        local_day(now, settings.zone),
        now,
        settings.zone,
        message_in,
        actor=actor,
    )


def nudged_text(t: Translator, queued: int) -> str:
    if queued:
        return t.ngettext(
            "Reminder queued for {n} silent collaborator.",
            "Reminders queued for {n} silent collaborators.",
            queued,
        ).format(n=queued)
    return t("Everyone silent has already been reminded today.")


async def nudge(update: Update, context: BotContext, area: Area, period: Period) -> None:
    """The button under a summary: remind the silent collaborators."""
    query = update.callback_query
    assert query is not None
    if context.profile is None:
        await query.answer(context.t("That button is no longer valid."))
        return
    try:
        queued = await queue_nudges(context.services, area, period, context.profile)
    except nudges.NudgeRefused:
        await query.answer(context.t("That button is no longer valid."))
        return
    jobs.wake_sender(context.application)
    text = nudged_text(context.t, queued)
    await query.answer(text)
    await reply(update, esc(text))


def _nudge_message(t: Translator, period: Period, month: date) -> outbox.Message:
    text = t(
        "Hello! Your coordinator has no activity from you for {period}. Log your sessions with /log. If you held none, tap the button below."
    ).format(period=esc(period_name(period, t)))
    button = outbox.Button(
        text=t("No activity in {month}").format(month=month_label(month)),
        callback_data=f"na:{month:%Y%m}",
    )
    return outbox.Message(text=text, buttons=((button,),))


def register_buttons(application: Application) -> None:  # type: ignore[type-arg]
    """Group -1: the one-tap button works in any state."""
    application.add_handler(
        CallbackQueryHandler(no_activity_pressed, pattern=NO_ACTIVITY), group=-1
    )


def register_commands(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("noactivity", no_activity_command))
