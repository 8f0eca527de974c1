"""The Reports page (báo cáo định kỳ): the six-month and annual reports of
the communes under the viewer (submitted, accepted, returned, missing, with
deadlines and lateness), and one report with its narrative, its figures as
submitted and the corrections since. Read only: preparing, submitting,
accepting and returning are done with /periodreport in the bot. The work is
``storage.cycle``, which decides who may see what."""

from __future__ import annotations

from aiohttp import web

from bot.i18n import Translator
from storage import cycle
from storage.cycle.labels import SECTION_NAMES, STATE_NAMES, report_title
from storage.models import CycleKind, CycleState, PeriodReport, Unit
from storage.reports import document
from storage.reports.periods import ReportCalendar, parse_month_day
from storage.reports.render import day, period_name
from web.auth import refuse, services_of, viewer
from web.render import e, link, tabs

OPENABLE = (CycleState.SUBMITTED, CycleState.ACCEPTED, CycleState.RETURNED)


def add(app: web.Application) -> None:
    app.router.add_get("/app/view/reports", view_reports)
    app.router.add_get("/app/view/report", view_report)


def _calendar(request: web.Request) -> ReportCalendar:
    return ReportCalendar(parse_month_day(services_of(request).settings.report_half_year_end))


def _state_name(t: Translator, child: cycle.ChildState) -> str:
    if child.state is None:
        return t("missing, due {date}").format(date=day(child.due, t))
    return t(STATE_NAMES[child.state])


async def view_reports(request: web.Request) -> web.Response:
    from web.routes import _html

    seen = await viewer(request)
    services = services_of(request)
    t = seen.t
    calendar = _calendar(request)
    zone = services.settings.zone
    today = services.clock().astimezone(zone).date()
    offered = cycle.current_cycles(today, calendar)
    wanted = str(request.query.get("cycle") or "")
    chosen = next((c for c in offered if f"{c[0].value[0]}{c[1]}" == wanted), None)
    if chosen is None:
        annual = (CycleKind.ANNUAL, today.year)
        chosen = annual if today > calendar.half_end(today.year) else offered[0]
    kind, year = chosen
    unit_code = str(request.query.get("unit") or "")
    period_code = str(request.query.get("period") or "this_month")
    async with services.sessions() as session:
        try:
            found = await cycle.overview(
                session, seen.profile, kind, year, today=today, zone=zone, report_calendar=calendar
            )
        except cycle.CycleError:
            found = []
        own = await cycle.reports.reports_under(session, seen.profile.unit_path or "\x00")
    title = report_title(t, kind, year)
    heading = t("Period reports")
    out = [
        '<section class="page">',
        tabs("reports", unit_code, period_code, t),
        f"<h1>{e(heading)}</h1>",
        '<p class="choices">',
    ]
    for option in offered:
        label = report_title(t, *option)
        code = f"{option[0].value[0]}{option[1]}"
        out.append(
            f"<b>{e(label)}</b> "
            if option == chosen
            else link("reports", label, unit=unit_code, period=period_code, cycle=code) + " "
        )
    out.append("</p>")
    if found:
        headings = (t("Commune"), t("State"), t("Due"), t("Submitted"), t("Late"))
        out.append(f"<h2>{e(title)}</h2><table><thead><tr>")
        out += [f"<th>{e(h)}</th>" for h in headings]
        out.append("</tr></thead><tbody>")
        for child in found:
            name = e(child.unit.name)
            if child.report_id is not None and child.state in OPENABLE:
                name = link("report", child.unit.name, id=str(child.report_id))
            submitted = day(child.submitted_on, t) if child.submitted_on else ""
            late = "⚠️" if child.late else ""
            out.append(
                f'<tr data-unit="{e(child.unit.code)}"><td>{name}</td>'
                f"<td>{e(_state_name(t, child))}</td><td>{e(day(child.due, t))}</td>"
                f"<td>{e(submitted)}</td><td>{late}</td></tr>"
            )
        out.append("</tbody></table>")
    mine = [(r, u) for r, u in own if u.id == seen.profile.unit_id]
    if mine:
        yours = t("Reports of your unit")
        out.append(f"<h2>{e(yours)}</h2><ul>")
        for report, _unit in mine:
            label = f"{report_title(t, report.kind, report.year)} · {t(STATE_NAMES[report.state])}"
            out.append(f"<li>{link('report', label, id=str(report.id))}</li>")
        out.append("</ul>")
    if not found and not mine:
        hint = t("No period report here yet: see /periodreport in the bot.")
        out.append(f'<p class="hint">{e(hint)}</p>')
    out.append("</section>")
    return _html("".join(out))


async def view_report(request: web.Request) -> web.Response:
    from web.routes import _html

    seen = await viewer(request)
    services = services_of(request)
    t = seen.t
    text = str(request.query.get("id") or "")
    report_id = int(text) if text.isdigit() and len(text) < 12 else 0
    calendar = _calendar(request)
    zone = services.settings.zone
    today = services.clock().astimezone(zone).date()
    async with services.sessions() as session:
        report: PeriodReport | None = await cycle.get(session, seen.profile, report_id)
        if report is None:
            raise refuse(
                request, 404, t("That report is no longer available, or not one you can see.")
            )
        unit = await session.get(Unit, report.unit_id)
        assert unit is not None
        due = await cycle.due_on(session, unit, report.kind, report.year, calendar)
        shown = await cycle.figures(
            session, report, today=today, zone=zone, report_calendar=calendar
        )
        codes = sorted({k.split(":")[1] for k in shown.lines if k.startswith("child:")})
        names = await document.unit_names(session, codes)
    period = cycle.period_of(report.kind, report.year, calendar)
    title = f"{report_title(t, report.kind, report.year)} – {unit.name}"
    state = t("Due: {date} · State: {state}").format(
        date=day(due, t), state=t(STATE_NAMES[report.state])
    )
    out = [
        '<section class="page period-report">',
        f"<h1>{e(title)}</h1><p>{e(period_name(period, t))}<br>{e(state)}</p>",
    ]
    if report.comment:
        out.append(f'<p class="comment">↩️ {e(report.comment)}</p>')
    if shown.frozen and report.submitted_at is not None:
        heading = t("Figures as submitted on {date}").format(
            date=day(report.submitted_at.astimezone(zone).date(), t)
        )
    else:
        heading = t("Figures compiled now")
    changed = {c.key: c for c in shown.corrections}
    columns = (t("Line"), t("As submitted") if shown.frozen else t("Now"), t("Correction"))
    out.append(f"<h2>{e(heading)}</h2><table><thead><tr>")
    out += [f"<th>{e(c)}</th>" for c in columns]
    out.append("</tr></thead><tbody>")
    keys = list(dict.fromkeys([*shown.lines, *changed]))
    for key in keys:
        value = shown.lines.get(key, 0)
        fix = changed.get(key)
        note = ""
        if fix is not None:
            sign = "+" if fix.difference > 0 else ""
            note = f"{t.number(fix.now)} ({sign}{t.number(fix.difference)})"
        out.append(
            f"<tr{' class=corrected' if fix else ''}><td>{e(cycle.line_name(key, t, names))}</td>"
            f"<td>{e(t.number(value))}</td><td>{e(note)}</td></tr>"
        )
    out.append("</tbody></table>")
    for section in cycle.SECTIONS:
        body = getattr(report, section) or t("— not written yet")
        out.append(
            f'<h2>{e(t(SECTION_NAMES[section]))}</h2><p class="narrative" style="white-space:pre-wrap">{e(body)}</p>'
        )
    back = t("◀ All communes")
    out.append(f"<p>{link('reports', back)}</p></section>")
    return _html("".join(out))
