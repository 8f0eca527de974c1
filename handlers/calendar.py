"""/calendar (coordinators): the events and report deadlines of their area
for the coming year; add a local event, change a report deadline for the
area, or remove a local event."""

from __future__ import annotations

import re
from datetime import date, timedelta
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
from bot.i18n import Translator
from handlers.flow import draft, drop_draft
from handlers.kit import BUTTONS, Ask, fallbacks, guards, pressed_data, remember_buttons
from handlers.ui import advance, esc, keyboard, reply, text_of
from handlers.when import parse_date
from scheduler.reminders import title_of
from storage import calendar, units
from storage.calendar import CalendarError
from storage.models import EventKind, Unit

KEY = "cal"
MENU, TITLE, KIND, DATES, DEADLINE, DEADLINE_DATE, REMOVE = (
    "MENU",
    "TITLE",
    "KIND",
    "DATES",
    "DEADLINE",
    "DEADLINE_DATE",
    "REMOVE",
)
MAX_LINES = 30
_SPAN = re.compile(r"^\s*(\S+)\s*(?:[–—]|\s-\s|-(?=\d+\s*/)|đến|den|to)\s*(\S+)\s*$", re.I)


def _choice(update: Update) -> str:
    data = pressed_data(update)  # pressed, or its label typed
    return data.split(":", 1)[1] if data and ":" in data else ""


def _remembered(context: BotContext) -> object:
    """The buttons of the last question, for a label typed (``kit.guards``)."""
    return draft(context, KEY).get(BUTTONS)


def _today(context: BotContext) -> date:
    return context.services.clock().astimezone(context.services.settings.zone).date()


async def _area(context: BotContext) -> Unit | None:
    profile = context.profile
    if profile is None or profile.unit_id is None:
        return None
    async with context.services.sessions() as session:
        return await units.get_unit(session, profile.unit_id)


def _span(t: Translator, start: date, end: date) -> str:
    if start == end:
        return t.date(start)
    return f"{t.date(start)} – {t.date(end)}"


async def start(update: Update, context: BotContext) -> str | int:
    profile = context.profile
    if profile is None or not profile.is_coordinator:
        await reply(
            update,
            context.t(
                "Only coordinators can change the calendar. Send /reminders to see what is coming."
            ),
        )
        return ConversationHandler.END
    drop_draft(context, KEY)
    return await ask_menu(update, context)


async def ask_menu(update: Update, context: BotContext) -> str | int:
    draft(context, KEY)["step"] = MENU
    t = context.t
    area = await _area(context)
    today = _today(context)
    async with context.services.sessions() as session:
        dated = await calendar.dated_for(
            session, area.path if area else None, today, today + timedelta(days=365)
        )
    place = area.name if area else t("the whole country")
    lines = [t("🗓 <b>Calendar of {place}</b>, the next 12 months:").format(place=esc(place))]
    for item in dated[:MAX_LINES]:
        title = esc(title_of(t, item.event))
        note = ""
        if item.event.kind is EventKind.DEADLINE:
            note = " " + t("(report deadline)")
        if item.event.unit_id is not None and item.event.base_id is None:
            note = " " + t("(local)")
        elif item.event.base_id is not None:
            note = " " + t("(date of your area)")
        lines.append(f"• {_span(t, item.start, item.end)}: <b>{title}</b>{esc(note)}")
    if area is None:
        lines += ["", t("Your account has no area, so you cannot add events.")]
        await reply(update, "\n".join(lines))
        drop_draft(context, KEY)
        return ConversationHandler.END
    rows = [
        [(t("➕ Add a local event"), "ca:add")],
        [(t("📅 Change a report deadline"), "ca:deadline")],
        [(t("🗑 Remove a local event"), "ca:remove")],
        [(t("✖ Close"), "ca:close")],
    ]
    remember_buttons(draft(context, KEY), keyboard(rows))
    await reply(update, "\n".join(lines), keyboard(rows))
    return MENU


async def menu_pressed(update: Update, context: BotContext) -> str | int:
    t = context.t
    choice = _choice(update)
    if choice == "add":
        return await advance(update, t("➕ Add a local event"), ask_title(update, context))
    if choice == "deadline":
        return await advance(
            update, t("📅 Change a report deadline"), ask_deadline(update, context)
        )
    if choice == "remove":
        return await advance(update, t("🗑 Remove a local event"), ask_remove(update, context))
    if choice == "close":
        drop_draft(context, KEY)
        return await advance(update, t("✖ Close"), _end())
    return await ask_menu(update, context)


async def _end() -> int:
    return ConversationHandler.END


# Adding a local event.
async def ask_title(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = TITLE
    await reply(
        update,
        context.t(
            "Type the name of the event, for example “Hội thi tìm hiểu Luật Phòng, chống bạo lực gia đình” (up to 120 characters):"
        ),
    )
    return TITLE


async def title_typed(update: Update, context: BotContext) -> str:
    title = " ".join(text_of(update).split())
    if not 1 <= len(title) <= calendar.MAX_TITLE:
        await reply(
            update,
            context.t("A name has 1 to {max} characters. Please type it again.").format(
                max=calendar.MAX_TITLE
            ),
        )
        return TITLE
    draft(context, KEY)["title"] = title
    return await ask_kind(update, context)


async def ask_kind(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = KIND
    t = context.t
    rows = [[(t("One day"), "ck:day")], [(t("Several days (a campaign)"), "ck:action_month")]]
    remember_buttons(draft(context, KEY), keyboard(rows))
    await reply(update, t("Is it one day, or several days?"), keyboard(rows))
    return KIND


async def kind_pressed(update: Update, context: BotContext) -> str:
    t = context.t
    choice = _choice(update)
    if choice not in (EventKind.DAY.value, EventKind.ACTION_MONTH.value):
        return await ask_kind(update, context)
    draft(context, KEY)["kind"] = choice
    label = t("One day") if choice == EventKind.DAY.value else t("Several days (a campaign)")
    return await advance(update, label, ask_dates(update, context))


async def ask_dates(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = DATES
    t = context.t
    if state.get("kind") == EventKind.DAY.value:
        text = t("On which day? Type it like 2/12 or 2/12/2026:")
    else:
        text = t("From which day to which day? Type it like 1/12 - 10/12:")
    await reply(update, text)
    return DATES


async def dates_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    state = draft(context, KEY)
    text = text_of(update)
    today = _today(context)
    kind = EventKind(state.get("kind", EventKind.DAY.value))
    if kind is EventKind.DAY:
        first, last = parse_date(text, today), None
    else:
        match = _SPAN.match(text)
        first = parse_date(match[1], today) if match else None
        last = parse_date(match[2], first) if match and first else None
    if first is None or (kind is not EventKind.DAY and last is None):
        await reply(update, t("I cannot read “{text}” as dates.").format(text=esc(text[:60])))
        return await ask_dates(update, context)
    area = await _area(context)
    assert area is not None and context.profile is not None
    try:
        async with context.services.sessions.begin() as session:
            event = await calendar.add_local_event(
                session, context.profile, area, kind, state["title"], first, last
            )
            title = event.title
    except CalendarError:
        await reply(update, t("That cannot be added: check the dates (at most one year long)."))
        return await ask_dates(update, context)
    drop_draft(context, KEY)
    if kind is EventKind.DAY:
        when = t("7 days before, and on the day")
    else:
        when = t("14 days before, on the first day and on the last day")
    await reply(
        update,
        t("✅ Added: <b>{title}</b>, {dates}. Everyone in {place} will be reminded {when}.").format(
            title=esc(title), dates=_span(t, first, last or first), place=esc(area.name), when=when
        ),
    )
    return ConversationHandler.END


# Changing a deadline.
async def ask_deadline(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = DEADLINE
    t = context.t
    async with context.services.sessions() as session:
        found = await calendar.deadlines(session)
    rows = [[(f"{title_of(t, d)} ({d.start_day}/{d.start_month})", f"cd:{d.id}")] for d in found]
    await reply(update, t("Which report deadline? The national date is shown."), keyboard(rows))
    return DEADLINE


async def deadline_pressed(update: Update, context: BotContext) -> str:
    raw = _choice(update)
    async with context.services.sessions() as session:
        found = {d.id: d for d in await calendar.deadlines(session)}
    event = found.get(int(raw)) if raw.isdigit() else None
    if event is None:
        return await ask_deadline(update, context)
    draft(context, KEY)["deadline"] = event.id
    return await advance(update, title_of(context.t, event), ask_deadline_date(update, context))


async def ask_deadline_date(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = DEADLINE_DATE
    area = await _area(context)
    await reply(
        update,
        context.t("On which day is it due in {place}, every year? Type it like 10/12:").format(
            place=esc(area.name if area else "")
        ),
    )
    return DEADLINE_DATE


async def deadline_date_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    text = text_of(update)
    day = parse_date(text, _today(context))
    if day is None:
        await reply(update, t("I cannot read “{text}” as a date.").format(text=esc(text[:60])))
        return await ask_deadline_date(update, context)
    area = await _area(context)
    assert area is not None and context.profile is not None
    try:
        async with context.services.sessions.begin() as session:
            base = await calendar.get_event(session, draft(context, KEY)["deadline"])
            assert base is not None
            await calendar.set_deadline(session, context.profile, base, area, day.month, day.day)
            title = title_of(t, base)
    except CalendarError:
        await reply(update, t("You cannot change this deadline."))
        drop_draft(context, KEY)
        return ConversationHandler.END
    drop_draft(context, KEY)
    await reply(
        update,
        t(
            "✅ In {place}, the {title} is now due on {day}/{month} every year. Coordinators are reminded 7 days and 1 day before."
        ).format(place=esc(area.name), title=esc(title), day=day.day, month=day.month),
    )
    return ConversationHandler.END


# Removing a local event.
async def ask_remove(update: Update, context: BotContext) -> str | int:
    draft(context, KEY)["step"] = REMOVE
    t = context.t
    area = await _area(context)
    today = _today(context)
    async with context.services.sessions() as session:
        dated = await calendar.dated_for(
            session, area.path if area else None, today, today + timedelta(days=365)
        )
    own = [d for d in dated if d.event.unit_id is not None and d.event.base_id is None]
    if not own:
        await reply(update, t("There is no local event to remove."))
        drop_draft(context, KEY)
        return ConversationHandler.END
    rows = [
        [(f"{title_of(t, d.event)} ({_span(t, d.start, d.end)})", f"cr:{d.event.id}")]
        for d in own[:20]
    ]
    await reply(update, t("Which event should be removed?"), keyboard(rows))
    return REMOVE


async def remove_pressed(update: Update, context: BotContext) -> str | int:
    t = context.t
    raw = _choice(update)
    assert context.profile is not None
    removed = False
    if raw.isdigit():
        async with context.services.sessions.begin() as session:
            removed = await calendar.remove_local_event(session, context.profile, int(raw))
    if not removed:
        return await ask_remove(update, context)
    drop_draft(context, KEY)
    return await advance(update, t("🗑 Removed."), _end())


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {
        MENU: ask_menu,
        TITLE: ask_title,
        KIND: ask_kind,
        DATES: ask_dates,
        DEADLINE: ask_deadline,
        DEADLINE_DATE: ask_deadline_date,
        REMOVE: ask_remove,
    }
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[Any]] = {
        MENU: [
            CallbackQueryHandler(menu_pressed, pattern=r"^ca:"),
            *guards(ask_menu, buttons_of=_remembered, press=menu_pressed),
        ],
        TITLE: [MessageHandler(text, title_typed), *guards(ask_title, expects_text=True)],
        KIND: [
            CallbackQueryHandler(kind_pressed, pattern=r"^ck:"),
            *guards(ask_kind, buttons_of=_remembered, press=kind_pressed),
        ],
        DATES: [MessageHandler(text, dates_typed), *guards(ask_dates, expects_text=True)],
        DEADLINE: [
            CallbackQueryHandler(deadline_pressed, pattern=r"^cd:"),
            *guards(ask_deadline),
        ],
        DEADLINE_DATE: [
            MessageHandler(text, deadline_date_typed),
            *guards(ask_deadline_date, expects_text=True),
        ],
        REMOVE: [CallbackQueryHandler(remove_pressed, pattern=r"^cr:"), *guards(ask_remove)],
    }
    return ConversationHandler(
        entry_points=[CommandHandler("calendar", start)],
        states=states,
        fallbacks=fallbacks(
            KEY, steps, restart=CommandHandler("calendar", start), saves_each_step=True
        ),
        name="calendar",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(build())
