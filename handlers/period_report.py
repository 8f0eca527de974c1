"""/periodreport (Báo cáo định kỳ): the six-month and annual report cycle.

A commune coordinator picks the period, sees the figures compiled for it,
writes the three narrative sections (kết quả; khó khăn, vướng mắc; đề xuất,
kiến nghị), each saved as soon as it arrives, and submits it to the
province. A province coordinator sees the communes' reports (submitted,
late, missing), opens one, accepts it, or returns it with a comment. Both
are told through the outbox, with a button that opens the report here.

Parse and render only: ``storage.cycle`` decides who may do what, freezes
the figures and keeps each step once. Callback data: ``pr:p:h|a:YEAR``
(period), ``pr:o:ID`` (open), ``pr:w:r|d|p`` (write a section),
``pr:s|a|r:ID:ROUND`` (submit, accept, return), ``pr:x:ID`` (XLSX),
``pr:l`` (the list), ``pr:back``, ``pr:done``; each is checked again when
pressed (a stale or forged one gets an answer and the question again)."""

from __future__ import annotations

import io
import re
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.i18n import N_, Translator
from handlers import kit
from handlers.activities.asking import answer
from handlers.alerts import wake_sender
from handlers.area_period import today
from handlers.flow import draft, drop_draft
from handlers.ui import esc, keyboard, reply
from storage import cycle
from storage.cycle.export import write_period_report
from storage.cycle.labels import SECTION_NAMES, STATE_NAMES, report_title
from storage.models import CycleKind, CycleState, PeriodReport, Unit
from storage.reports import document
from storage.reports.aggregates import PEOPLE, Counts
from storage.reports.periods import Period, ReportCalendar, parse_month_day
from storage.reports.render import day, headline, period_name

KEY = "prr"
NAME = "period_report"  # the conversation's name (its persisted state)
PICK, VIEW, WRITE, COMMENT, LIST = "PICK", "VIEW", "WRITE", "COMMENT", "LIST"
KIND_CODES = {"h": CycleKind.HALF_YEAR, "a": CycleKind.ANNUAL}
SECTION_CODES = {"r": "results", "d": "difficulties", "p": "proposals"}
SHOWN_CHARS = 500  # of each section in the chat; the XLSX has all of it
MAX_LISTED = 60
MAX_BUTTONS = 20
_PICK = re.compile(r"^pr:p:([ha]):(\d{4})$")
_ROUND = re.compile(r"^pr:([sar]):(\d{1,10}):(\d{1,4})$")
_ID = re.compile(r"^pr:([ox]):(\d{1,10})$")
STATE_MARKS = {
    None: "⏳",
    CycleState.DRAFT: "⏳",
    CycleState.RETURNED: "↩️",
    CycleState.SUBMITTED: "📨",
    CycleState.ACCEPTED: "✅",
}
LISTED_STATES = (CycleState.SUBMITTED, CycleState.ACCEPTED, CycleState.RETURNED)
GONE = N_("That report is no longer available, or not one you can see.")


def _calendar(context: BotContext) -> ReportCalendar:
    return ReportCalendar(parse_month_day(context.services.settings.report_half_year_end))


def _state(context: BotContext) -> dict[str, Any]:
    return draft(context, KEY)


async def _ask(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    kit.remember_buttons(_state(context), markup)
    await reply(update, text, markup)


def cycle_name(t: Translator, kind: CycleKind, year: int) -> str:
    return report_title(t, kind, year)


# Entry: which period.
async def start(update: Update, context: BotContext) -> str | int:
    profile = context.profile
    drop_draft(context, KEY)
    if profile is None or not profile.is_coordinator:
        await reply(update, context.t("Only coordinators prepare and review period reports."))
        return ConversationHandler.END
    return await ask_pick(update, context)


async def ask_pick(update: Update, context: BotContext) -> str:
    t = context.t
    state = _state(context)
    state["step"] = PICK
    rows = [
        [(cycle_name(t, kind, year), f"pr:p:{kind.value[0]}:{year}")]
        for kind, year in cycle.current_cycles(today(context), _calendar(context))
    ]
    rows.append([(t("✖ Close"), "pr:done")])
    await _ask(update, context, esc(t("📝 Period reports. Which report?")), keyboard(rows))
    return PICK


async def pick_pressed(update: Update, context: BotContext) -> str | int:
    t = context.t
    found = _PICK.match(kit.pressed_data(update) or "")
    offered = cycle.current_cycles(today(context), _calendar(context))
    chosen = (KIND_CODES[found[1]], int(found[2])) if found else None
    if chosen is None or chosen not in offered:
        await answer(update, t(kit.STALE_BUTTON))
        return await ask_pick(update, context)
    await answer(update)
    kind, year = chosen
    state = _state(context)
    state.update(kind=kind.value, year=year)
    profile = context.profile
    assert profile is not None
    try:
        async with context.services.sessions.begin() as session:
            report = await cycle.open_report(session, profile, kind, year, context.services.clock())
            state["id"] = report.id
    except cycle.CycleError:
        return await ask_list(update, context)  # the level above: the communes' reports
    return await ask_view(update, context)


# The report.
def _figure(t: Translator, value: float) -> str:
    return t.number(value)


def _figure_lines(
    t: Translator, shown: cycle.Figures, names: dict[str, str], period: Period
) -> list[str]:
    """The totals as every summary shows them (``render.headline``), then
    the other lines; villages and topics are in the XLSX."""
    figures = shown.lines
    counts = Counts(*(int(figures.get(f"totals:{n}", 0)) for n in ("sessions", *PEOPLE)))
    lines = headline("", period, counts, t)[2:]
    for key, value in figures.items():
        if key.startswith(("child:", "topic:", "totals:")) or (
            key.startswith("kind:") and key.endswith(":total")
        ):
            continue
        lines.append(f"• {esc(cycle.line_name(key, t, names))}: {_figure(t, value)}")
    if shown.corrections:
        heading = t("Corrections since submission")
        lines += ["", f"<b>{esc(heading)}</b>"]
        for c in shown.corrections[:20]:
            sign = "+" if c.difference > 0 else ""
            lines.append(
                f"• {esc(cycle.line_name(c.key, t, names))}: {_figure(t, c.frozen)} → "
                f"{_figure(t, c.now)} ({sign}{_figure(t, c.difference)})"
            )
    return lines


def _section(t: Translator, name: str, text: str) -> str:
    if not text:
        body = t("— not written yet")
    elif len(text) > SHOWN_CHARS:
        body = text[:SHOWN_CHARS] + "…"
    else:
        body = text
    return f"<b>{esc(t(name))}</b>\n{esc(body)}"


async def ask_view(update: Update, context: BotContext) -> str | int:
    state = _state(context)
    state["step"] = VIEW
    shown = await _view(context, int(state.get("id") or 0))
    if shown is None:
        await reply(update, esc(context.t(GONE)))
        drop_draft(context, KEY)
        return ConversationHandler.END
    text, rows, report = shown
    state.update(kind=report.kind.value, year=report.year)
    await _ask(update, context, text, keyboard(rows))
    return VIEW


async def _view(
    context: BotContext, report_id: int
) -> tuple[str, list[list[tuple[str, str]]], PeriodReport] | None:
    """The report as the reader sees it, and the buttons of what they may do
    with it; None if it is gone or not theirs to see."""
    t = context.t
    profile = context.profile
    zone = context.services.settings.zone
    async with context.services.sessions() as session:
        report = await cycle.get(session, profile, report_id) if profile else None
        if report is None or profile is None:
            return None
        unit = await session.get(Unit, report.unit_id)
        assert unit is not None
        calendar = _calendar(context)
        due = await cycle.due_on(session, unit, report.kind, report.year, calendar)
        shown = await cycle.figures(
            session, report, today=today(context), zone=zone, report_calendar=calendar
        )
        codes = sorted({k.split(":")[1] for k in shown.lines if k.startswith("child:")})
        names = await document.unit_names(session, codes)
        owner = cycle.may_submit(profile, unit)
        decider = cycle.may_decide(profile, unit)
    period = cycle.period_of(report.kind, report.year, calendar)
    title = f"{report_title(t, report.kind, report.year)} – {unit.name}"
    lines = [
        f"<b>📝 {esc(title)}</b>",
        esc(period_name(period, t)),
        esc(
            t("Due: {date} · State: {state}").format(
                date=day(due, t), state=t(STATE_NAMES[report.state])
            )
        ),
    ]
    if report.state is CycleState.RETURNED and report.comment:
        lines.append(f"↩️ <i>{esc(report.comment[:1000])}</i>")
    if shown.frozen and report.submitted_at is not None:
        heading = t("Figures as submitted on {date}").format(
            date=day(report.submitted_at.astimezone(zone).date(), t)
        )
    else:
        heading = t("Figures compiled now")
    lines += ["", f"<b>{esc(heading)}</b>", *_figure_lines(t, shown, names, period), ""]
    lines += [_section(t, SECTION_NAMES[s], getattr(report, s)) for s in cycle.SECTIONS]
    rows: list[list[tuple[str, str]]] = []
    if owner and report.state in cycle.OPEN_STATES:
        rows.append([(t("✍️ Results"), "pr:w:r"), (t("✍️ Difficulties"), "pr:w:d")])
        rows.append([(t("✍️ Proposals"), "pr:w:p")])
        rows.append([(t("📤 Submit to the level above"), f"pr:s:{report.id}:{report.submissions}")])
    if decider and report.state is CycleState.SUBMITTED:
        rows.append(
            [
                (t("✅ Accept"), f"pr:a:{report.id}:{report.submissions}"),
                (t("↩️ Return with a comment"), f"pr:r:{report.id}:{report.submissions}"),
            ]
        )
    row = [(t("📥 XLSX"), f"pr:x:{report.id}")]
    if decider:
        row.append((t("◀ All communes"), "pr:l"))
    rows += [row, [(t("✖ Close"), "pr:done")]]
    return _clipped("\n".join(lines)), rows, report


def _clipped(text: str) -> str:
    return text[:3990].rsplit("\n", 1)[0] + "\n…" if len(text) > 4000 else text


async def view_pressed(update: Update, context: BotContext) -> str | int:
    """Every button of the report (and of the list), pressed or typed."""
    t = context.t
    data = kit.pressed_data(update) or ""
    state = _state(context)
    if data == "pr:done":
        await answer(update)
        drop_draft(context, KEY)
        await reply(update, esc(t("Closed. Send /periodreport to come back.")))
        return ConversationHandler.END
    if data == "pr:l" and state.get("kind") in {k.value for k in CycleKind}:
        await answer(update)
        return await ask_list(update, context)
    if data.startswith("pr:w:") and data[5:] in SECTION_CODES and state.get("step") == VIEW:
        await answer(update)
        state["section"] = SECTION_CODES[data[5:]]
        return await ask_write(update, context)
    opened = _ID.match(data)
    if opened is not None:
        return await _by_id(update, context, opened[1], int(opened[2]))
    acted = _ROUND.match(data)
    if acted is not None and int(acted[2]) == state.get("id"):
        return await _act(update, context, acted[1], int(acted[2]), int(acted[3]))
    await answer(update, t(kit.STALE_BUTTON))
    step = state.get("step")
    return await (ask_list(update, context) if step == LIST else ask_view(update, context))


async def _by_id(update: Update, context: BotContext, action: str, report_id: int) -> str | int:
    t = context.t
    profile = context.profile
    async with context.services.sessions() as session:
        report = await cycle.get(session, profile, report_id) if profile else None
    if report is None:
        await answer(update, t("That button is no longer valid."))
        if update.callback_query is None or not _state(context).get("step"):
            await reply(update, esc(t(GONE)))
            drop_draft(context, KEY)
            return ConversationHandler.END
        return str(_state(context)["step"])
    if action == "x":
        await answer(update)
        await _send_xlsx(update, context, report)
        return str(_state(context).get("step") or VIEW)
    await answer(update)
    _state(context)["id"] = report.id
    return await ask_view(update, context)


async def _send_xlsx(update: Update, context: BotContext, report: PeriodReport) -> None:
    t = context.t
    out = io.BytesIO()
    async with context.services.sessions() as session:
        unit = await session.get(Unit, report.unit_id)
        assert unit is not None
        changed = await write_period_report(
            session,
            report,
            out,
            t,
            today=today(context),
            zone=context.services.settings.zone,
            report_calendar=_calendar(context),
        )
    out.seek(0)
    suffix = "h1" if report.kind is CycleKind.HALF_YEAR else "nam"
    caption = cycle_name(t, report.kind, report.year) + f" – {unit.name}"
    if changed:
        caption += "\n" + t.ngettext(
            "{n} line changed since submission (sheet “As submitted”).",
            "{n} lines changed since submission (sheet “As submitted”).",
            changed,
        ).format(n=t.number(changed))
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(
        InputFile(out, filename=f"bao-cao-{unit.code}-{report.year}-{suffix}.xlsx"),
        caption=caption[:1024],
    )


async def _act(
    update: Update, context: BotContext, action: str, report_id: int, round_: int
) -> str | int:
    t = context.t
    profile = context.profile
    assert profile is not None
    if action == "r":
        await answer(update)
        _state(context)["round"] = round_
        return await ask_comment(update, context)
    services = context.services
    async with services.sessions.begin() as session:
        if action == "s":
            done = await cycle.submit(
                session,
                profile,
                report_id,
                round_,
                now=services.clock(),
                zone=services.settings.zone,
                report_calendar=_calendar(context),
                texts=_texts,
            )
        else:
            done = await cycle.decide(
                session,
                profile,
                report_id,
                round_,
                accept=True,
                comment=None,
                now=services.clock(),
                report_calendar=_calendar(context),
                texts=_texts,
            )
    await answer(update)
    await reply(update, esc(_outcome_text(t, action, done.outcome)))
    if done.done:
        wake_sender(context)
    return await ask_view(update, context)


def _texts(language: str | None) -> Translator:
    from bot.i18n import translator

    return translator(language)


def _outcome_text(t: Translator, action: str, outcome: cycle.Outcome) -> str:
    if outcome is cycle.Outcome.DONE:
        texts = {
            "s": t("📤 Submitted. The figures are kept as they are now; the level above is told."),
            "a": t("✅ Accepted. The commune is told."),
            "r": t("↩️ Returned with your comment. The commune is told."),
        }
        return texts[action]
    if outcome is cycle.Outcome.INCOMPLETE:
        if action == "r":
            return t("Please write what must be corrected.")
        return t("Please write the three sections before submitting.")
    if outcome is cycle.Outcome.NOT_ALLOWED:
        return t("You cannot do that with this report.")
    if outcome is cycle.Outcome.TOO_LONG:
        return t("That is too long: at most 12,000 characters.")
    if outcome is cycle.Outcome.NOT_FOUND:
        return t(GONE)
    return t("This report has changed meanwhile (already submitted or decided). Here it is now.")


# Writing a section, and the comment of a return.
async def ask_write(update: Update, context: BotContext) -> str:
    t = context.t
    state = _state(context)
    state["step"] = WRITE
    section = str(state.get("section") or "results")
    name = t(SECTION_NAMES.get(section, SECTION_NAMES["results"]))
    text = t(
        "✍️ Write the section “{name}” and send it. A long text may come in several parts; it is saved as soon as it is received, and replaces what was there."
    ).format(name=name)
    await _ask(update, context, esc(text), keyboard([[(t("◀ Back"), "pr:back")]]))
    return WRITE


def _typed_back(context: BotContext, text: str) -> bool:
    """The "◀ Back" button's label typed, not a text to save."""
    return kit.match_label(text, [(context.t("◀ Back"), True)]) is True


async def section_typed(update: Update, context: BotContext) -> str | int:
    text = await kit.take_text(update, context)
    if text is None:
        return WRITE  # the first part of a split text: the rest is coming
    if _typed_back(context, text):
        return await ask_view(update, context)
    t = context.t
    state = _state(context)
    section = str(state.get("section") or "")
    profile = context.profile
    assert profile is not None
    async with context.services.sessions.begin() as session:
        done = await cycle.save_section(
            session, profile, int(state.get("id") or 0), section, text, context.services.clock()
        )
    if done.outcome is cycle.Outcome.TOO_LONG:
        await reply(update, esc(_outcome_text(t, "w", done.outcome)))
        return await ask_write(update, context)
    if done.done:
        name = t(SECTION_NAMES[section])
        saved = t("✅ Saved: “{name}” ({n} characters).").format(
            name=name, n=t.number(len(text.strip()))
        )
        await reply(update, esc(saved))
    else:
        await reply(update, esc(_outcome_text(t, "w", done.outcome)))
    return await ask_view(update, context)


async def back_pressed(update: Update, context: BotContext) -> str | int:
    await answer(update)
    return await ask_view(update, context)


async def ask_comment(update: Update, context: BotContext) -> str:
    t = context.t
    _state(context)["step"] = COMMENT
    text = t(
        "↩️ Write what the commune must correct, and send it. It goes with the returned report."
    )
    await _ask(update, context, esc(text), keyboard([[(t("◀ Back"), "pr:back")]]))
    return COMMENT


async def comment_typed(update: Update, context: BotContext) -> str | int:
    text = await kit.take_text(update, context)
    if text is None:
        return COMMENT
    if _typed_back(context, text):
        return await ask_view(update, context)
    t = context.t
    state = _state(context)
    profile = context.profile
    assert profile is not None
    services = context.services
    async with services.sessions.begin() as session:
        done = await cycle.decide(
            session,
            profile,
            int(state.get("id") or 0),
            int(state.get("round") or 0),
            accept=False,
            comment=text,
            now=services.clock(),
            report_calendar=_calendar(context),
            texts=_texts,
        )
    await reply(update, esc(_outcome_text(t, "r", done.outcome)))
    if done.outcome in (cycle.Outcome.INCOMPLETE, cycle.Outcome.TOO_LONG):
        return await ask_comment(update, context)
    if done.done:
        wake_sender(context)
    return await ask_view(update, context)


# The level above: every commune's report.
def _child_line(t: Translator, child: cycle.ChildState) -> str:
    """A commune that submitted (or was returned): one line each."""
    mark = STATE_MARKS.get(child.state, "⏳")
    if child.state in cycle.DONE_STATES and child.submitted_on is not None:
        what = f"{t(STATE_NAMES[child.state])} {day(child.submitted_on, t)}"
    else:
        what = t(STATE_NAMES[child.state]) if child.state else ""
    late = t(" (late)") if child.late else ""
    return f"{mark} {esc(child.unit.name)} — {esc(what)}{esc(late)}"


def _missing_lines(t: Translator, missing: list[cycle.ChildState]) -> list[str]:
    """The communes with nothing submitted, by deadline, their names on one line."""
    lines = []
    for due in sorted({c.due for c in missing}):
        group = [c for c in missing if c.due == due]
        head = t("missing, due {date}").format(date=day(due, t))
        if group[0].late:
            head += t(" (late)")
        names = [c.unit.name for c in group[:MAX_LISTED]]
        if len(group) > MAX_LISTED:
            names.append(t("… and {n} more").format(n=t.number(len(group) - MAX_LISTED)))
        lines.append(f"⏳ {esc(head)} ({t.number(len(group))}): {esc(', '.join(names))}")
    return lines


async def ask_list(update: Update, context: BotContext) -> str | int:
    t = context.t
    state = _state(context)
    state["step"] = LIST
    profile = context.profile
    assert profile is not None
    kind = CycleKind(str(state.get("kind")))
    year = int(state.get("year") or today(context).year)
    async with context.services.sessions() as session:
        try:
            found = await cycle.overview(
                session,
                profile,
                kind,
                year,
                today=today(context),
                zone=context.services.settings.zone,
                report_calendar=_calendar(context),
            )
        except cycle.CycleError:
            found = []
        place = await session.get(Unit, profile.unit_id or 0)
    title = t("{report} of the communes of {place}").format(
        report=cycle_name(t, kind, year), place=place.name if place else ""
    )
    lines = [f"<b>{esc(title)}</b>"]
    if not found:
        lines.append(esc(t("No commune under your unit submits reports here.")))
    else:
        count = {s: sum(1 for c in found if c.state is s) for s in CycleState}
        missing = [c for c in found if c.missing]
        lines.append(
            esc(
                t(
                    "Awaiting your decision: {submitted} · Accepted: {accepted} · Missing or returned: {missing} (late: {late})"
                ).format(
                    submitted=t.number(count[CycleState.SUBMITTED]),
                    accepted=t.number(count[CycleState.ACCEPTED]),
                    missing=t.number(len(missing)),
                    late=t.number(sum(1 for c in missing if c.late)),
                )
            )
        )
        lines.append("")
        lines += [_child_line(t, c) for c in found if c.state in LISTED_STATES][:MAX_LISTED]
        lines += _missing_lines(t, [c for c in found if c.state not in LISTED_STATES])
    openable = [c for c in found if c.report_id is not None and c.state is not CycleState.DRAFT]
    rows = [
        [(f"{STATE_MARKS.get(c.state, '')} {c.unit.name}"[:60], f"pr:o:{c.report_id}")]
        for c in openable[:MAX_BUTTONS]
    ]
    rows.append([(t("✖ Close"), "pr:done")])
    text = "\n".join(lines)
    if len(text) > 4000:
        text = text[:3990].rsplit("\n", 1)[0] + "\n…"
    await _ask(update, context, text, keyboard(rows))
    return LIST


async def notice_pressed(update: Update, context: BotContext) -> None:
    """Group -1: the "Open the report" button of a notice (or of the list)
    pressed in the middle of another conversation (a /log draft...). The
    report is shown read only, with how to act on it, and that conversation
    and its draft stay as they were. Outside any conversation, or inside this
    one, the press goes on to :func:`opened_from_notice`."""
    if not kit.in_other_conversation(update, context, NAME):
        return
    t = context.t
    found = _ID.match(kit.pressed_data(update) or "")
    shown = await _view(context, int(found[2])) if found else None
    if shown is None:
        await answer(update, t("That button is no longer valid."))
        await reply(update, esc(t(GONE)))
        raise ApplicationHandlerStop
    await answer(update)
    text, _rows, report = shown
    hint = t(
        "You are in the middle of something else, and it is kept as it was. Finish it first, then press “📂 Open the report” again or send /periodreport to act on this report."
    )
    again = [[(t("📂 Open the report"), f"pr:o:{report.id}")]]
    await reply(update, _clipped(f"{text}\n\n<i>{esc(hint)}</i>"), keyboard(again))
    raise ApplicationHandlerStop


async def opened_from_notice(update: Update, context: BotContext) -> str | int:
    """The "Open the report" button of a notice, outside the conversation."""
    drop_draft(context, KEY)
    found = _ID.match(kit.pressed_data(update) or "")
    if found is None:
        await answer(update, context.t(kit.STALE_BUTTON))
        return ConversationHandler.END
    return await _by_id(update, context, "o", int(found[2]))


async def _leave(update: Update, context: BotContext) -> None:
    """/cancel or /start: every section was saved as it arrived; say so."""
    drop_draft(context, KEY)
    await reply(
        update, esc(context.t("Closed. What you wrote is saved; send /periodreport to come back."))
    )


def _buttons(context: BotContext) -> object:
    return _state(context).get(kit.BUTTONS)


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, kit.Ask] = {
        PICK: ask_pick,
        VIEW: ask_view,
        WRITE: ask_write,
        COMMENT: ask_comment,
        LIST: ask_list,
    }
    text = filters.TEXT & ~filters.COMMAND
    back = CallbackQueryHandler(back_pressed, pattern=r"^pr:back$")
    states: dict[object, list[Any]] = {
        PICK: [
            CallbackQueryHandler(view_pressed, pattern=r"^pr:done$"),
            CallbackQueryHandler(pick_pressed, pattern=r"^pr:p:"),
            *kit.guards(ask_pick, buttons_of=_buttons, press=_pick_or_done),
        ],
        VIEW: [
            CallbackQueryHandler(view_pressed, pattern=r"^pr:"),
            *kit.guards(ask_view, buttons_of=_buttons, press=view_pressed),
        ],
        LIST: [
            CallbackQueryHandler(view_pressed, pattern=r"^pr:"),
            *kit.guards(ask_list, buttons_of=_buttons, press=view_pressed),
        ],
        WRITE: [
            back,
            MessageHandler(text, section_typed),
            *kit.guards(
                ask_write,
                expects_text=True,
                reason=N_("Please type the section as text."),
            ),
        ],
        COMMENT: [
            back,
            MessageHandler(text, comment_typed),
            *kit.guards(
                ask_comment,
                expects_text=True,
                reason=N_("Please type the comment as text."),
            ),
        ],
    }
    return ConversationHandler(
        entry_points=[
            CommandHandler("periodreport", start),
            CallbackQueryHandler(opened_from_notice, pattern=r"^pr:o:"),
        ],
        states=states,
        fallbacks=kit.fallbacks(KEY, steps, leave=_leave),
        name=NAME,
        persistent=True,
        allow_reentry=True,
    )


async def _pick_or_done(update: Update, context: BotContext) -> str | int:
    if kit.pressed_data(update) == "pr:done":
        return await view_pressed(update, context)
    return await pick_pressed(update, context)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(build())


def register_buttons(application: Application) -> None:  # type: ignore[type-arg]
    """Group -1: a notice's "Open the report" works in any state."""
    application.add_handler(CallbackQueryHandler(notice_pressed, pattern=r"^pr:o:"), group=-1)


__all__ = ["build", "cycle_name", "register", "register_buttons"]
