"""Summaries (/summary) and exports (/export) for coordinators: choose a
period (and, if needed, another area), then read the summary with its chart,
or get the XLSX or CSV file. The buttons under a summary (XLSX, CSV, nudge the
silent collaborators) work at any time, from any conversation."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.i18n import Translator
from handlers import completeness, export
from handlers.area_period import AreaStep, chosen_area, compute, today
from handlers.flow import draft, drop_draft
from handlers.kit import (
    BUTTONS,
    Ask,
    fallbacks,
    guards,
    pressed_data,
    remember_buttons,
    route,
    typed_button,
)
from handlers.ui import advance, esc, keyboard, reply, text_of
from storage.reports import charts, periods, render
from storage.reports.areas import Area
from storage.reports.periods import Period, PeriodError
from storage.reports.report import Report
from storage.reports.targets import Status

KEY = "sum"
PERIOD, DATES, AREA, FORMAT = "PERIOD", "DATES", "AREA", "FORMAT"
SUMMARY, EXPORT = "summary", "export"
ACTIONS = r"^sx:[xcn]:[ung]\d{0,12}:[mqhyc]\d{8}-\d{8}$"


def calendar(context: BotContext) -> periods.ReportCalendar:
    end = context.services.settings.report_half_year_end
    return periods.ReportCalendar(periods.parse_month_day(end))


def period_labels(t: Translator, day: date) -> dict[str, str]:
    return {
        "this_month": t("This month"),
        "last_month": t("Last month"),
        "this_quarter": t("This quarter"),
        "half": t("First half of {year}").format(year=day.year),
        "year": t("This year"),
        "last_year": t("Last year"),
    }


def _data(update: Update) -> str:
    data = pressed_data(update)  # pressed, or its label typed
    assert data is not None
    return data


def _remembered(context: BotContext) -> object:
    """The buttons of the last question, for a label typed (``kit.guards``)."""
    return draft(context, KEY).get(BUTTONS)


# Entry.
async def start_summary(update: Update, context: BotContext) -> str | int:
    return await _start(update, context, SUMMARY)


async def start_export(update: Update, context: BotContext) -> str | int:
    return await _start(update, context, EXPORT)


async def _start(update: Update, context: BotContext, intent: str) -> str | int:
    refusal = context.t("Only coordinators can see summaries and export reports.")
    if not await AREA_STEP.begin(update, context, refusal, intent=intent):
        return ConversationHandler.END
    return await ask_period(update, context)


# Step 1: the period.
async def ask_period(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = PERIOD
    t = context.t
    area = await AREA_STEP.required(update, context)
    if area is None:
        return PERIOD
    labels = period_labels(t, today(context))
    names = list(labels)
    rows = [
        [(labels[a], f"sm:p:{a}"), (labels[b], f"sm:p:{b}")]
        for a, b in zip(names[::2], names[1::2], strict=True)
    ]
    rows.append([(t("📅 Other dates"), "sm:dates"), AREA_STEP.button(context)])
    title = (
        t("📊 Summary of {area}. Which period?")
        if state.get("intent") == SUMMARY
        else t("📥 Export for {area}. Which period?")
    )
    remember_buttons(state, keyboard(rows))
    await reply(update, title.format(area=esc(area.name)), keyboard(rows))
    return PERIOD


async def period_chosen(update: Update, context: BotContext) -> str | int:
    name = _data(update).split(":", 2)[2]
    if name not in periods.NAMED:
        return await ask_period(update, context)
    period = periods.named_period(name, today(context), calendar(context))
    label = period_labels(context.t, today(context)).get(name)
    return await advance(update, label, _period_set(update, context, period))


async def _period_set(update: Update, context: BotContext, period: Period) -> str | int:
    state = draft(context, KEY)
    state["period"] = period.token
    if state.get("intent") == EXPORT:
        return await ask_format(update, context)
    area = await AREA_STEP.current(context)
    if area is None:
        return await ask_period(update, context)
    drop_draft(context, KEY)
    await send_summary(update, context, area, period)
    return ConversationHandler.END


# Step 1b: dates typed.
async def ask_dates(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = DATES
    t = context.t
    markup = keyboard([[(t("◀ Back"), "sm:back")]])
    remember_buttons(draft(context, KEY), markup)
    await reply(
        update,
        t(
            "Type the period, for example:\n• 01/01/2024 - 31/05/2024\n• 11/2024 (a month)\n• 2024 (a year), 2024Q3 (a quarter), 2024H1 (first half)"
        ),
        markup,
    )
    return DATES


async def dates_button(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_dates(update, context))


async def dates_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    text = text_of(update)
    if typed_button(update, _remembered(context)) == "sm:back":  # "Quay lại" typed
        return await back(update, context)
    try:
        period = periods.parse_period(text, calendar(context))
    except PeriodError as error:
        reasons = {
            "order": t("The first date is after the second."),
            "range": t("That date does not exist or is out of range."),
            "length": t("A period can be at most {years} years long. Type a shorter one.").format(
                years=periods.MAX_PERIOD_YEARS
            ),
        }
        reason = reasons.get(
            error.code, t("I could not read a period in “{text}”.").format(text=esc(text[:40]))
        )
        await reply(update, reason)
        return await ask_dates(update, context)
    if period.start > today(context):
        await reply(update, t("That period has not started yet."))
        return await ask_dates(update, context)
    return await _period_set(update, context, period)


async def back(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_period(update, context))


# Step 1c: another area.
AREA_STEP = AreaStep(KEY, "sm", AREA, then=ask_period)


# Step 2 (export): the format.
async def ask_format(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = FORMAT
    t = context.t
    markup = keyboard(
        [[(t("📗 Spreadsheet (XLSX)"), "sm:f:x"), (t("📄 Activities (CSV)"), "sm:f:c")]]
    )
    remember_buttons(draft(context, KEY), markup)
    await reply(
        update,
        t("Which file? The spreadsheet has the targets, the breakdowns and every activity."),
        markup,
    )
    return FORMAT


async def format_chosen(update: Update, context: BotContext) -> str | int:
    state = draft(context, KEY)
    choice = _data(update).split(":", 2)[2]
    area = await AREA_STEP.current(context)
    try:
        period = periods.parse_period(str(state.get("period", "")))
    except PeriodError:
        return await ask_period(update, context)
    if area is None or choice not in ("x", "c"):
        return await ask_format(update, context)
    await advance(
        update,
        "XLSX" if choice == "x" else "CSV",
        export.send_export(update, context, area, period, choice),
    )
    drop_draft(context, KEY)
    return ConversationHandler.END


# The summary itself.
async def send_summary(update: Update, context: BotContext, area: Area, period: Period) -> None:
    t = context.t
    chat = update.effective_chat
    assert chat is not None
    await chat.send_action("typing")
    report = await compute(context, area, period)
    text = render.summary_text(report.summary, report.targets, report.completeness, t)
    silent = [c for c in report.completeness.silent if not c.blocked]
    token = f"{area.token}:{period.token}"
    rows = [[(t("📗 XLSX"), f"sx:x:{token}"), (t("📄 CSV"), f"sx:c:{token}")]]
    if silent:
        label = t.ngettext(
            "🔔 Remind {n} silent collaborator", "🔔 Remind {n} silent collaborators", len(silent)
        ).format(n=len(silent))
        rows.append([(label, f"sx:n:{token}")])
    await reply(update, text, keyboard(rows))
    png = await asyncio.to_thread(charts.render_png, report.summary, report.targets, t)
    caption = _chart_caption(report, t)
    await chat.send_photo(png, caption=caption)


def _chart_caption(report: Report, t: Translator) -> str:
    behind = [line for line in report.targets.lines if line.area.status == Status.BEHIND]
    text = t("Participants by sex and month")
    if report.targets.lines:
        text += " · " + t("{n} targets behind schedule").format(n=len(behind))
    return text


# The buttons under a summary.
async def action_pressed(update: Update, context: BotContext) -> None:
    """XLSX, CSV or the nudge, from any state; the area and period are checked again."""
    query = update.callback_query
    assert query is not None
    _, action, token, period_token = _data(update).split(":")
    profile = context.profile
    area = (
        await chosen_area(context, token)
        if profile is not None and profile.is_coordinator
        else None
    )
    try:
        period = periods.parse_period(period_token)
    except PeriodError:
        area = None
    if area is None:
        await query.answer(context.t("That button is no longer valid."))
        raise ApplicationHandlerStop
    if action == "n":
        await completeness.nudge(update, context, area, period)
    else:
        await query.answer(context.t("Preparing the file…"))
        await export.send_export(update, context, area, period, action)
    raise ApplicationHandlerStop


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {
        PERIOD: ask_period,
        DATES: ask_dates,
        AREA: AREA_STEP.ask,
        FORMAT: ask_format,
    }
    text = filters.TEXT & ~filters.COMMAND
    back_button = CallbackQueryHandler(back, pattern=r"^sm:back$")
    period_buttons: list[CallbackQueryHandler[BotContext, Any]] = [
        CallbackQueryHandler(period_chosen, pattern=r"^sm:p:"),
        CallbackQueryHandler(dates_button, pattern=r"^sm:dates$"),
        AREA_STEP.opener(),
    ]
    states: dict[object, list[Any]] = {
        PERIOD: [
            *period_buttons,
            *guards(ask_period, buttons_of=_remembered, press=route(*period_buttons)),
        ],
        DATES: [
            back_button,
            MessageHandler(text, dates_typed),
            *guards(ask_dates, expects_text=True),
        ],
        AREA: [back_button, *AREA_STEP.handlers()],
        FORMAT: [
            CallbackQueryHandler(format_chosen, pattern=r"^sm:f:"),
            *guards(ask_format, buttons_of=_remembered, press=format_chosen),
        ],
    }
    entry: list[BaseHandler[Update, BotContext, Any]] = [
        CommandHandler("summary", start_summary),
        CommandHandler("export", start_export),
    ]
    return ConversationHandler(
        entry_points=entry,
        states=states,
        fallbacks=fallbacks(KEY, steps),
        name="summary",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(build())


def register_buttons(application: Application) -> None:  # type: ignore[type-arg]
    """Group -1: the buttons under a summary work in any state."""
    application.add_handler(CallbackQueryHandler(action_pressed, pattern=ACTIONS), group=-1)
