"""Calendar reminders (nhắc việc): when a reminder rule's time has come, queue
one message per recipient, in their language, through the outbox.

Exactly once: a ``reminder_runs`` row and the outbox entries of one reminder
are written in one transaction, and each entry has a dedupe key. A reminder
whose time passed while the bot was down goes out when it comes back, if it
is still useful (``BINHDANG_REMINDER_MAX_LATE_HOURS``, and never after its
event has ended). Inside the quiet hours it waits for morning.

Report deadlines: a rule with ``only_incomplete`` (the default for both
deadlines) skips whoever has nothing left to report in the deadline's period,
the first half-year or the year (``storage.calendar.deadline_standing``: a
coordinator whose every village and commune has logged a session or said "no
activity"; anyone else whose village has, or who did so themselves). A
coordinator's deadline reminder carries the draft summary of their area for
that period (``storage.reports.report.draft_text``), in their language. Once a
unit's report for the period is submitted or accepted (``storage.cycle``),
nobody at or under that unit is reminded of that deadline.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.quiet import QuietHours, parse_quiet_hours
from scheduler.runtime import Runtime, Texts, Translate
from storage import calendar, cycle, outbox
from storage.models import Priority
from storage.models.calendar import CalendarEvent, EventKind, ReminderPurpose
from storage.reports.periods import ReportCalendar, parse_month_day
from storage.reports.report import Draft, draft, draft_text

log = logging.getLogger(__name__)

KIND = "reminder"
LOG_BUTTON_DATA = "menu:log"  # the activities feature's entry point (handlers/menu.py)


@dataclass(frozen=True)
class Batch:
    """One message and the people who get it."""

    message: outbox.Message
    people: list[calendar.Reminded]


async def plan_due(runtime: Runtime, texts: Texts) -> int:
    """Queue every reminder that is due at ``runtime.clock()``; returns how
    many messages were queued."""
    now = runtime.clock()
    settings = runtime.settings
    zone = settings.zone
    max_late = timedelta(hours=settings.reminder_max_late_hours)
    quiet = parse_quiet_hours(settings.quiet_hours)
    async with runtime.sessions() as session:
        planned = await calendar.due_rules(session, now, zone, max_late)
    queued = 0
    for item in planned:
        # Who gets what is read before the transaction that records the run: a
        # deadline's reports take many queries, and SQLite's write lock is held
        # from the run's first write until the commit.
        async with runtime.sessions() as session:
            batches = await compose(session, item, now, runtime, texts)
        async with runtime.sessions.begin() as session:
            queued += await _run(session, item, batches, now, quiet, max_late, runtime)
    return queued


async def compose(
    session: AsyncSession,
    item: calendar.Planned,
    now: datetime,
    runtime: Runtime,
    texts: Texts,
) -> list[Batch]:
    """The messages of one reminder, each in its recipients' language. Before
    a report deadline, those with nothing left to report are left out (rules
    with ``only_incomplete``; see ``storage.calendar.deadline_standing``) and
    a coordinator's reminder carries the draft summary of their area."""
    settings = runtime.settings
    people = await calendar.recipients(session, item)
    drafts: dict[int, Draft] = {}
    report_calendar = ReportCalendar(parse_month_day(settings.report_half_year_end))
    if item.base.kind is EventKind.DEADLINE and people:
        # A unit that submitted its report for the deadline's period is not
        # reminded of it any more (storage.cycle), nor is anyone under it.
        period = calendar.deadline_period(
            calendar.DeadlineDue(item.base.code, item.start), report_calendar
        )
        if period is not None:
            people = cycle.without_reported(people, await cycle.reported_paths(session, period))
    if item.base.kind is EventKind.DEADLINE and people:
        skipping = item.rule.only_incomplete
        standing = await calendar.deadline_standing(
            session,
            people if skipping else [p for p in people if p.role.is_coordinator],
            calendar.DeadlineDue(item.base.code, item.start),
            today=now.astimezone(settings.zone).date(),
            zone=settings.zone,
            report_calendar=report_calendar,
        )
        if standing is not None:
            if skipping:
                people = [p for p in people if p.user_id not in standing.done]
            for unit_id in sorted({p.unit_id for p in people if p.role.is_coordinator}):
                drafts[unit_id] = await draft(session, standing.areas[unit_id])
    groups: dict[tuple[str, bool, int | None], list[calendar.Reminded]] = defaultdict(list)
    for person in people:
        language = person.language or settings.default_language
        coordinator = person.role.is_coordinator
        area = person.unit_id if coordinator and person.unit_id in drafts else None
        groups[(language, coordinator, area)].append(person)
    batches = []
    for (language, coordinator, area), group in groups.items():
        t = texts(language)
        summary = draft_text(drafts[area], t) if area is not None else None
        batches.append(Batch(render(t, item, coordinator, summary), group))
    return batches


async def _run(
    session: AsyncSession,
    item: calendar.Planned,
    batches: list[Batch],
    now: datetime,
    quiet: QuietHours,
    max_late: timedelta,
    runtime: Runtime,
) -> int:
    run = await calendar.start_run(session, item)
    if run is None:
        return 0
    not_before = quiet.defer(now, runtime.settings.zone)
    expires_at = min(item.due_at + max_late, item.ends_at)
    if not batches or not_before >= expires_at:
        log.info("reminder run %d: nobody to remind in time", run.id)
        return 0
    queued = await outbox.enqueue_batches(
        session,
        kind=KIND,
        batches=[
            (
                batch.message,
                [
                    outbox.Recipient(
                        chat_id=p.telegram_id,
                        user_id=p.user_id,
                        dedupe_key=(
                            f"rem:{item.rule.id}:{item.version.id}:{item.start.isoformat()}:{p.user_id}"
                        ),
                    )
                    for p in batch.people
                ],
            )
            for batch in batches
        ],
        priority=Priority.NORMAL,
        ref=f"rem:{run.id}",
        not_before=not_before,
        expires_at=expires_at,
    )
    run.recipients = queued
    log.info("reminder run %d: %d messages queued", run.id, queued)
    return queued


def title_of(t: Translate, event: CalendarEvent) -> str:
    return t(event.title) if event.translatable else event.title


def kind_name(t: Translate, kind: EventKind) -> str:
    names = {
        EventKind.ACTION_MONTH: t("Action months"),
        EventKind.DAY: t("Observance days"),
        EventKind.DEADLINE: t("Report deadlines"),
    }
    return names[kind]


def render(
    t: Translate, item: calendar.Planned, coordinator: bool, draft: str | None = None
) -> outbox.Message:
    """The reminder in one language, with a link to the next thing to do, and
    ``draft`` (HTML: a coordinator's draft summary) under it."""
    title = _esc(title_of(t, item.version))
    start, end = t.date(item.start), t.date(item.end)
    days = max(0, -item.rule.offset_days)
    summary = "/summary" if coordinator else "/mine"
    purpose = item.rule.purpose
    if purpose is ReminderPurpose.AHEAD and item.base.kind is EventKind.ACTION_MONTH:
        text = t(
            "📅 <b>{title}</b> starts in {days} days, on {start}, and runs until {end}.\nPlan your activities now, and log each one when it is done."
        ).format(title=title, days=days, start=start, end=end)
    elif purpose is ReminderPurpose.AHEAD:
        text = t(
            "📅 <b>{title}</b> is in {days} days, on {date}.\nPlan an activity for it, and log it when it is done."
        ).format(title=title, days=days, date=start)
    elif purpose is ReminderPurpose.STARTS:
        text = t(
            "📣 <b>{title}</b> begins today and runs until {end}.\nLog each activity you hold, so that it counts in the reports."
        ).format(title=title, end=end)
    elif purpose is ReminderPurpose.LAST_DAY:
        text = t(
            "🏁 Today is the last day of <b>{title}</b>.\nLog what you did during the campaign, and see what was logged: {summary}"
        ).format(title=title, summary=summary)
    elif purpose is ReminderPurpose.TODAY:
        text = t("📣 Today is <b>{title}</b>.\nIf you hold an activity for it, log it.").format(
            title=title
        )
    else:
        text = t.ngettext(
            "⏰ The <b>{title}</b> is due in {n} day, on {date}.\nCheck that the activities of your area are logged: {summary}",
            "⏰ The <b>{title}</b> is due in {n} days, on {date}.\nCheck that the activities of your area are logged: {summary}",
            days,
        ).format(title=title, n=days, date=start, summary=summary)
    if draft:
        text += "\n\n" + draft
    text += "\n\n" + t("To turn these reminders off: /reminders")
    button = outbox.Button(text=t("📝 Log an activity"), callback_data=LOG_BUTTON_DATA)
    return outbox.Message(text=text, buttons=((button,),))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["KIND", "Batch", "compose", "kind_name", "plan_due", "render", "title_of"]
