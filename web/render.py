"""HTML of the dashboard's pages, drawn on the server (docs/dashboard.md says
why): every string through the gettext catalogues, charts as inline SVG or
plain bars. A page is a fragment that ``static/app.js`` puts into the shell."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from html import escape
from typing import Any
from urllib.parse import urlencode

from bot.i18n import Translator
from storage.models import ActivityKind, Indicator, ParticipantField, SessionLanguage, Topic
from storage.reports.completeness import Completeness, Standing
from storage.reports.evidence import Page
from storage.reports.labels import (
    FIELD_NAMES,
    FUNDING_NAMES,
    INDICATOR_NAMES,
    KIND_NAMES,
    LANGUAGE_NAMES,
    REGISTER_NAMES,
    TOPIC_NAMES,
)
from storage.reports.periods import Period
from storage.reports.render import period_name, spec_name
from storage.reports.targets import Spec, Status
from web.svg import month_chart

SEXES = ("women", "men", "girls", "boys")
PERIODS = ("this_month", "last_month", "this_quarter", "last_quarter", "half", "year", "last_year")


def words(t: Translator) -> dict[str, str]:
    """The pages' fixed strings (here, not inside the f-strings below, where
    Babel's extraction would not find them)."""
    return {
        "period": t("Period"),
        "other_dates": t("Other dates…"),
        "e_g_q": t("e.g. 2024Q3, 11/2024, 2024"),
        "show": t("Show"),
        "nothing_logged": t("Nothing logged."),
        "collaborators_who_logged_of": t("Collaborators who logged: {reporting} of {all}"),
        "incidents_reported_escalated": t("Incidents reported: {n} (escalated: {escalated})"),
        "place": t("Place"),
        "sessions": t("Sessions"),
        "participants": t("Participants"),
        "women": t("Women"),
        "men": t("Men"),
        "logged": t("Logged"),
        "groups_of_communes": t("Groups of communes"),
        "participants_by_sex_and": t("Participants by sex and month"),
        "sessions_by_kind": t("Sessions by kind"),
        "sessions_by_topic": t("Sessions by topic"),
        "sessions_by_language": t("Sessions by language"),
        "targets_for_against_achieved": t("Targets for {year} against achieved"),
        "download": t("Download"),
        "logged_sessions": t("Logged sessions"),
        "said_no_activity": t("Said no activity"),
        "silent": t("Silent"),
        "has_blocked_the_bot": t("has blocked the bot"),
        "collaborators": t("Collaborators"),
        "name": t("Name"),
        "this_period": t("This period"),
        "photo": t("Photo"),
        "logged_by": t("Logged by {name}"),
        "dashboard": t("Dashboard"),
        "loading": t("Loading…"),
        "no_connection_to_the": t("No connection to the bot. Try again."),
        "this_login_link_has": t(
            "This login link has already been used or has expired. Send /dashboard to the bot for a new one."
        ),
    }


def e(value: object) -> str:
    return escape(str(value), quote=True)


def link(view: str, text: str, **params: str) -> str:
    """A link to another page of the dashboard (app.js loads it in place)."""
    query = urlencode({"v": view, **params})
    return f'<a data-go href="/app/?{e(query)}">{e(text)}</a>'


def period_labels(t: Translator) -> dict[str, str]:
    return {
        "this_month": t("This month"),
        "last_month": t("Last month"),
        "this_quarter": t("This quarter"),
        "last_quarter": t("Last quarter"),
        "half": t("First half of the year"),
        "year": t("This year"),
        "last_year": t("Last year"),
    }


def period_form(view: str, unit: str, chosen: str, t: Translator, extra: str = "") -> str:
    w = words(t)
    labels = period_labels(t)
    options = "".join(
        f'<option value="{k}"{" selected" if k == chosen else ""}>{e(v)}</option>'
        for k, v in labels.items()
    )
    typed = "" if chosen in labels else chosen
    return (
        f'<form data-go class="period"><input type="hidden" name="v" value="{e(view)}">'
        f'<input type="hidden" name="unit" value="{e(unit)}">{extra}'
        f'<label>{e(w["period"])} <select name="period">'
        f'<option value="">{e(w["other_dates"])}</option>{options}</select></label> '
        f'<input name="dates" value="{e(typed)}" placeholder="{e(w["e_g_q"])}" size="12">'
        f"<button>{e(w['show'])}</button></form>"
    )


def tabs(view: str, unit: str, period: str, t: Translator) -> str:
    names = {
        "summary": t("Summary"),
        "completeness": t("Who reported"),
        "activities": t("Activities"),
        "targets": t("Targets"),
        "addresses": t("Trusted addresses"),
        "people": t("People"),
        "reports": t("Period reports"),
    }
    items = []
    for key, label in names.items():
        here = ' class="here"' if key == view else ""
        items.append(f"<li{here}>{link(key, label, unit=unit, period=period)}</li>")
    return f'<nav class="tabs"><ul>{"".join(items)}</ul></nav>'


def crumbs(trail: Sequence[tuple[str, str]], view: str, period: str) -> str:
    """Links up the tree: (code, name) from the viewer's top unit down."""
    if len(trail) < 2:
        return ""
    parts = [link(view, name, unit=code, period=period) for code, name in trail[:-1]]
    parts.append(e(trail[-1][1]))
    return f'<p class="crumbs">{" › ".join(parts)}</p>'


def _bars(rows: Iterable[tuple[str, int]], t: Translator, css: str = "") -> str:
    w = words(t)
    rows = list(rows)
    top = max((n for _, n in rows), default=0) or 1
    lines = "".join(
        f'<div class="bar {css}"><span class="label">{e(name)}</span>'
        f'<span class="track"><span class="fill" style="width:{100 * n / top:.1f}%"></span></span>'
        f'<span class="n">{e(t.number(n))}</span></div>'
        for name, n in rows
    )
    return lines or f'<p class="hint">{e(w["nothing_logged"])}</p>'


def _target_bars(doc: dict[str, Any], t: Translator) -> str:
    names = {
        Status.DONE: t("done"),
        Status.ON_TRACK: t("on track"),
        Status.BEHIND: t("behind"),
        Status.NO_TARGET: t("no target"),
    }
    out = []
    for line in doc["targets"]["lines"]:
        spec = Spec(
            Indicator(line["indicator"]),
            ActivityKind(line["kind"]) if line["kind"] else None,
            Topic(line["topic"]) if line["topic"] else None,
            ParticipantField(line["field"]) if line["field"] else None,
            line["keyword"],
        )
        target, achieved = line["target"], line["achieved"]
        if spec.indicator is Indicator.SHARE and target and line["population"]:
            share = 100 * achieved / (line["population"] * target / 100)
        else:
            share = 100 * achieved / target if target else 0
        figure = (
            f"{t.number(achieved)}/{t.number(target)}" if target is not None else t.number(achieved)
        )
        out.append(
            f'<div class="bar target {e(line["status"])}"><span class="label">'
            f"{e(spec_name(spec, None, t))}</span>"
            f'<span class="track"><span class="fill" style="width:{min(share, 100):.1f}%"></span></span>'
            f'<span class="n">{e(figure)} · {e(names.get(line["status"], line["status"]))}</span></div>'
        )
    return "".join(out)


def summary_page(
    doc: dict[str, Any],
    *,
    title: str,
    period: Period,
    chosen: str,
    names: dict[str, str],
    trail: Sequence[tuple[str, str]],
    groups: Sequence[tuple[str, str]],
    exports: dict[str, str],
    t: Translator,
) -> str:
    """The summary of one area and period, drawn from its JSON document."""
    w = words(t)
    unit, code = doc["unit"], doc["period"]["code"]
    totals = doc["totals"]
    cards = [
        (t("Sessions"), totals["sessions"]),
        (t("Participants"), totals["total"]),
        (t("Women"), totals["women"]),
        (t("Men"), totals["men"]),
        (t("Girls"), totals["girls"]),
        (t("Boys"), totals["boys"]),
        (t("Ethnic minority"), totals["ethnic_minority"]),
        (t("Trusted addresses"), doc["trusted_addresses"]),
    ]
    out = [
        f'<section class="page" data-unit="{e(unit)}" data-period="{e(code)}">',
        tabs("summary", unit, chosen, t),
        crumbs(trail, "summary", chosen),
        f'<h1>{e(title)}</h1><p class="hint">{e(period_name(period, t))}</p>',
        period_form("summary", unit, chosen, t),
        '<div class="cards">',
        *(
            f'<div class="card"><b data-figure="{e(k)}">{e(t.number(n))}</b><span>{e(label)}</span></div>'
            for (label, n), k in zip(
                cards,
                ("sessions", "total", "women", "men", "girls", "boys", "ethnic", "addresses"),
                strict=True,
            )
        ),
        "</div>",
        f"<p>{e(w['collaborators_who_logged_of'].format(reporting=t.number(doc['reporting']), all=t.number(doc['collaborators'])))}</p>",
    ]
    incidents = doc["incidents"]
    if incidents["available"]:
        out.append(
            f"<p>{e(w['incidents_reported_escalated'].format(n=t.number(incidents['total']), escalated=t.number(incidents['escalated'])))}</p>"
        )
    children = doc["children"]
    if children:
        level = children[0]["level"]
        heading = {
            "province": t("By province"),
            "commune": t("By commune"),
            "village": t("By village"),
        }.get(level, t("By place"))
        rows = []
        for row in sorted(children, key=lambda r: names.get(r["unit"], r["unit"])):
            name = names.get(row["unit"], row["unit"])
            gap = ' class="gap"' if row["sessions"] == 0 else ""
            rows.append(
                f"<tr{gap}><td>{link('summary', name, unit=row['unit'], period=chosen)}</td>"
                f'<td class="n">{e(t.number(row["sessions"]))}</td>'
                f'<td class="n">{e(t.number(row["total"]))}</td>'
                f'<td class="n">{e(t.number(row["women"]))}</td>'
                f'<td class="n">{e(t.number(row["men"]))}</td>'
                f'<td class="n">{e(t.number(row["reporting"]))}/{e(t.number(row["collaborators"]))}</td></tr>'
            )
        out.append(
            f'<h2>{e(heading)}</h2><div class="scroll"><table class="children"><thead><tr>'
            f"<th>{e(w['place'])}</th><th>{e(w['sessions'])}</th><th>{e(w['participants'])}</th>"
            f"<th>{e(w['women'])}</th><th>{e(w['men'])}</th><th>{e(w['logged'])}</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )
    if groups:
        out.append(f"<h2>{e(w['groups_of_communes'])}</h2><p>")
        out.append(" · ".join(link("summary", name, unit=c, period=chosen) for c, name in groups))
        out.append("</p>")
    months = [
        (date.fromisoformat(m["month"] + "-01"), {s: m[s] for s in SEXES}) for m in doc["by_month"]
    ]
    legend = {"women": t("Women"), "men": t("Men"), "girls": t("Girls"), "boys": t("Boys")}
    out.append(f"<h2>{e(w['participants_by_sex_and'])}</h2>")
    out.append(month_chart(months, legend, t))
    out.append(f"<h2>{e(w['sessions_by_kind'])}</h2>")
    out.append(
        _bars(((t(KIND_NAMES[ActivityKind(k["kind"])]), k["sessions"]) for k in doc["by_kind"]), t)
    )
    out.append(f"<h2>{e(w['sessions_by_topic'])}</h2>")
    out.append(
        _bars(((t(TOPIC_NAMES[Topic(k["topic"])]), k["sessions"]) for k in doc["by_topic"]), t)
    )
    if any(k["sessions"] for k in doc["by_language"]):
        out.append(f"<h2>{e(w['sessions_by_language'])}</h2>")
        out.append(
            _bars(
                (
                    (t(LANGUAGE_NAMES[SessionLanguage(k["language"])]), k["sessions"])
                    for k in doc["by_language"]
                ),
                t,
            )
        )
    if doc["targets"]["lines"]:
        out.append(
            f"<h2>{e(w['targets_for_against_achieved'].format(year=doc['targets']['year']))}</h2>"
        )
        out.append(_target_bars(doc, t))
    out.append(f'<h2>{e(w["download"])}</h2><p class="exports">')
    out.append(
        " ".join(
            f'<a class="button" download href="{e(url)}">{e(label)}</a>'
            for label, url in exports.items()
        )
    )
    out.append("</p></section>")
    return "".join(out)


def completeness_page(
    found: Completeness,
    *,
    unit: str,
    title: str,
    chosen: str,
    trail: Sequence[tuple[str, str]],
    t: Translator,
) -> str:
    w = words(t)
    code = found.period.code
    silent = found.silent
    reachable = [c for c in silent if not c.blocked]
    out = [
        f'<section class="page" data-unit="{e(unit)}" data-period="{e(code)}">',
        tabs("completeness", unit, chosen, t),
        crumbs(trail, "completeness", chosen),
        f'<h1>{e(title)}</h1><p class="hint">{e(period_name(found.period, t))}</p>',
        period_form("completeness", unit, chosen, t),
        '<div class="cards">',
        f'<div class="card"><b data-figure="reported">{e(t.number(found.count(Standing.REPORTED)))}</b><span>{e(w["logged_sessions"])}</span></div>',
        f'<div class="card"><b data-figure="declared">{e(t.number(found.count(Standing.DECLARED_NONE)))}</b><span>{e(w["said_no_activity"])}</span></div>',
        f'<div class="card"><b data-figure="silent">{e(t.number(len(silent)))}</b><span>{e(w["silent"])}</span></div>',
        "</div>",
    ]
    if reachable:
        label = t.ngettext(
            "🔔 Remind {n} silent collaborator",
            "🔔 Remind {n} silent collaborators",
            len(reachable),
        ).format(n=len(reachable))
        out.append(
            f'<form data-post="/app/api/nudge"><input type="hidden" name="unit" value="{e(unit)}">'
            f'<input type="hidden" name="period" value="{e(code)}">'
            f'<button class="primary" id="nudge">{e(label)}</button></form>'
        )
    for label, places, among in (
        (t("Villages with nothing logged: {n} of {all}"), found.silent_villages, found.villages),
        (t("Communes with nothing logged: {n} of {all}"), found.silent_communes, found.communes),
    ):
        if among:
            out.append(f"<h2>{e(label.format(n=t.number(len(places)), all=t.number(among)))}</h2>")
            if places:
                out.append(
                    "<p>"
                    + " · ".join(
                        link("completeness", p.name, unit=p.code, period=chosen) for p in places
                    )
                    + "</p>"
                )
    names = {
        Standing.SILENT: t("Silent"),
        Standing.DECLARED_NONE: t("Said no activity"),
        Standing.REPORTED: t("Logged sessions"),
    }
    people = sorted(
        found.collaborators,
        key=lambda c: (c.standing is not Standing.SILENT, c.place.name, c.display_name),
    )
    if people:
        rows = "".join(
            f'<tr class="{e(c.standing.value)}"><td>{e(c.display_name)}</td><td>{e(c.place.name)}</td>'
            f"<td>{e(names[c.standing])}{' · ' + e(w['has_blocked_the_bot']) if c.blocked else ''}</td></tr>"
            for c in people
        )
        out.append(
            f'<h2>{e(w["collaborators"])}</h2><div class="scroll"><table><thead><tr><th>{e(w["name"])}</th>'
            f"<th>{e(w['place'])}</th><th>{e(w['this_period'])}</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
    out.append("</section>")
    return "".join(out)


def activities_page(
    page: Page,
    *,
    unit: str,
    title: str,
    chosen: str,
    period: Period,
    filters: dict[str, str],
    places: Sequence[tuple[str, str]],
    media: dict[int, list[str]],
    voices: dict[int, str],
    t: Translator,
) -> str:
    w = words(t)
    code = period.code

    def select(name: str, options: Sequence[tuple[str, str]], empty: str) -> str:
        chosen_value = filters.get(name, "")
        items = "".join(
            f'<option value="{e(v)}"{" selected" if v == chosen_value else ""}>{e(label)}</option>'
            for v, label in options
        )
        return f'<select name="{name}"><option value="">{e(empty)}</option>{items}</select>'

    found = t.ngettext("{n} activity", "{n} activities", page.total).format(n=t.number(page.total))
    kinds = [(k.value, t(n)) for k, n in KIND_NAMES.items()]
    topics = [(k.value, t(n)) for k, n in TOPIC_NAMES.items()]
    reporters = [(str(i), n) for i, n in page.reporters]
    extra = (
        select("place", places, t("Every place"))
        + select("kind", kinds, t("Every kind"))
        + select("topic", topics, t("Every topic"))
        + select("reporter", reporters, t("Everyone"))
    )
    out = [
        f'<section class="page" data-unit="{e(unit)}" data-period="{e(code)}">',
        tabs("activities", unit, chosen, t),
        f'<h1>{e(title)}</h1><p class="hint">{e(period_name(period, t))}</p>',
        period_form("activities", unit, chosen, t, f'<div class="filters">{extra}</div>'),
        f'<p class="hint">{e(found)}</p>',
    ]
    for entry in page.entries:
        topic_names = ", ".join(t(TOPIC_NAMES[x]) for x in entry.topics)
        kind = entry.kind_other if entry.kind is ActivityKind.OTHER and entry.kind_other else None
        figures = t(
            "{total} participants (women {women}, men {men}, girls {girls}, boys {boys})"
        ).format(
            total=t.number(entry.total),
            women=t.number(entry.women),
            men=t.number(entry.men),
            girls=t.number(entry.girls),
            boys=t.number(entry.boys),
        )
        photos = "".join(
            f'<a href="{e(url)}" target="_blank"><img loading="lazy" alt="{e(w["photo"])}" src="{e(url)}"></a>'
            for url in media.get(entry.id, [])
        )
        voice = (
            f'<audio controls preload="none" src="{e(voices[entry.id])}"></audio>'
            if entry.id in voices
            else ""
        )
        out.append(
            f'<article class="activity" data-id="{entry.id}"><h3>{e(t.date(entry.held_on))} · {e(entry.place_name)}</h3>'
            f"<p><b>{e(kind or t(KIND_NAMES[entry.kind]))}</b>{' · ' + e(topic_names) if topic_names else ''}</p>"
            f'<p>{e(figures)}</p><p class="hint">{e(w["logged_by"].format(name=entry.reporter_name))}</p>'
            f"{'<p>' + e(entry.note) + '</p>' if entry.note else ''}"
            f'<div class="media">{photos}{voice}</div></article>'
        )
    more = []
    params = {"unit": unit, "period": chosen, **{k: v for k, v in filters.items() if v}}
    if page.offset > 0:
        more.append(
            link("activities", t("◀ Newer"), **params, offset=str(max(page.offset - page.limit, 0)))
        )
    if page.offset + page.limit < page.total:
        more.append(
            link("activities", t("Older ▶"), **params, offset=str(page.offset + page.limit))
        )
    if more:
        out.append(f'<p class="pager">{" ".join(more)}</p>')
    out.append("</section>")
    return "".join(out)


def shell(t: Translator) -> str:
    """The page every view is loaded into: the first load (with app.js and app.css)."""
    w = words(t)
    return (
        f'<!doctype html><html lang="{e(t.lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(w['dashboard'])}</title>"
        '<link rel="stylesheet" href="/app/static/app.css"></head><body>'
        f"<header><b>{e(w['dashboard'])}</b></header>"
        f'<div id="toast" role="status" hidden></div>'
        f'<main id="main" data-loading="{e(w["loading"])}" data-failed="{e(w["no_connection_to_the"])}">'
        f'<p class="hint">{e(w["loading"])}</p></main>'
        '<script src="/app/static/app.js"></script></body></html>'
    )


def login_refused(t: Translator) -> str:
    w = words(t)
    return (
        f'<!doctype html><html lang="{e(t.lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<title>{e(w["dashboard"])}</title><link rel="stylesheet" href="/app/static/app.css"></head>'
        f'<body><main><p class="error">{e(w["this_login_link_has"])}</p></main></body></html>'
    )


def targets_page(
    rows: Sequence[tuple[int, str, int, int | None, str, str]],
    *,
    unit: str,
    title: str,
    chosen: str,
    year: int,
    trail: Sequence[tuple[str, str]],
    t: Translator,
) -> str:
    """The area's targets for a year: (id, name, value, population, achieved,
    status) each, a form to change or remove it, and one to add another."""
    none_yet = t("No targets yet.")
    status_names = {
        Status.DONE: t("done"),
        Status.ON_TRACK: t("on track"),
        Status.BEHIND: t("behind"),
        Status.NO_TARGET: t("no target"),
    }
    heading = t("Targets for {year}").format(year=year)
    change, remove, add = t("Change"), t("Remove"), t("Add a target")
    value_label, population_label = t("Target value"), t("Population (for a share)")
    label_label, keyword_label = t("Wording in the plan (optional)"), t("Keyword (optional)")
    out = [
        f'<section class="page" data-unit="{e(unit)}" data-period="{e(chosen)}">',
        tabs("targets", unit, chosen, t),
        crumbs(trail, "targets", chosen),
        f"<h1>{e(title)}</h1><h2>{e(heading)}</h2>",
    ]
    if not rows:
        out.append(f'<p class="hint">{e(none_yet)}</p>')
    hidden = (
        f'<input type="hidden" name="unit" value="{e(unit)}">'
        f'<input type="hidden" name="year" value="{year}">'
    )
    for target_id, name, value, population, achieved, status in rows:
        share = (
            f'<input type="number" name="population" min="1" value="{population}" '
            f'aria-label="{e(population_label)}">'
            if population is not None
            else ""
        )
        out.append(
            f'<div class="target-row {e(status)}" data-target="{target_id}"><p><b>{e(name)}</b><br>'
            f'<span class="hint">{e(achieved)} · {e(status_names.get(status, status))}</span></p>'
            f'<form data-post="/app/api/targets/set" class="inline">{hidden}'
            f'<input type="hidden" name="id" value="{target_id}">'
            f'<input type="number" name="value" min="0" value="{value}" aria-label="{e(value_label)}">'
            f"{share}<button>{e(change)}</button></form>"
            f'<form data-post="/app/api/targets/remove" class="inline">{hidden}'
            f'<input type="hidden" name="id" value="{target_id}">'
            f'<button class="secondary">{e(remove)}</button></form></div>'
        )

    def options(pairs: Iterable[tuple[str, str]], empty: str | None) -> str:
        first = f'<option value="">{e(empty)}</option>' if empty is not None else ""
        return first + "".join(f'<option value="{e(v)}">{e(n)}</option>' for v, n in pairs)

    indicators = options(((k.value, t(n)) for k, n in INDICATOR_NAMES.items()), None)
    kinds = options(((k.value, t(n)) for k, n in KIND_NAMES.items()), t("Every kind"))
    topics = options(((k.value, t(n)) for k, n in TOPIC_NAMES.items()), t("Every topic"))
    fields = options(((k.value, t(n)) for k, n in FIELD_NAMES.items()), "—")
    sources = options(
        ((k.value, t(n)) for k, n in FUNDING_NAMES.items()), t("Funding source (for a budget)")
    )
    registers = options(
        ((k.value, t(n)) for k, n in REGISTER_NAMES.items()),
        t("Register (for established, renewed, supported)"),
    )
    out.append(
        f'<h2>{e(add)}</h2><form data-post="/app/api/targets/set" class="stack">{hidden}'
        f'<select name="indicator">{indicators}</select><select name="kind">{kinds}</select>'
        f'<select name="topic">{topics}</select><select name="field">{fields}</select>'
        f'<select name="source">{sources}</select><select name="register">{registers}</select>'
        f'<input name="keyword" maxlength="60" placeholder="{e(keyword_label)}">'
        f'<input type="number" name="value" min="0" required placeholder="{e(value_label)}">'
        f'<input type="number" name="population" min="1" placeholder="{e(population_label)}">'
        f'<input name="label" maxlength="300" placeholder="{e(label_label)}">'
        f"<button>{e(add)}</button></form></section>"
    )
    return "".join(out)


def addresses_page(
    entries: Sequence[tuple[int, str, str, str, str, str, bool, bool]],
    *,
    unit: str,
    title: str,
    chosen: str,
    can_add: bool,
    trail: Sequence[tuple[str, str]],
    t: Translator,
) -> str:
    """The trusted-address directory of the area: (id, card HTML, name,
    address, phones, hours, active, stale) each, editable in place."""
    heading = t("Trusted addresses")
    save, add = t("Save"), t("Add a trusted address here")
    confirm, deactivate, reactivate = t("Confirm it is correct"), t("Deactivate"), t("Reactivate")
    off_note = t("🚫 Deactivated: not listed and not alerted.")
    stale_note = t("⚠️ Not confirmed for 60 days: it may be out of date.")
    labels = {
        "name": t("Name"),
        "address": t("Address"),
        "phones": t("Phone numbers (separated by commas)"),
        "hours": t("Opening hours"),
    }
    none_yet = t("No trusted addresses here yet.")
    out = [
        f'<section class="page" data-unit="{e(unit)}" data-period="{e(chosen)}">',
        tabs("addresses", unit, chosen, t),
        crumbs(trail, "addresses", chosen),
        f"<h1>{e(title)}</h1><h2>{e(heading)}</h2>",
    ]
    if not entries:
        out.append(f'<p class="hint">{e(none_yet)}</p>')

    def fields(values: dict[str, str]) -> str:
        return "".join(
            f'<label>{e(label)} <input name="{key}" value="{e(values.get(key, ""))}"'
            f"{' required' if key == 'name' else ''}></label>"
            for key, label in labels.items()
        )

    hidden = f'<input type="hidden" name="unit" value="{e(unit)}">'
    for entry_id, card, name, address, phones, hours, active, stale in entries:
        state = "" if active else f'<p class="hint">{e(off_note)}</p>'
        if active and stale:
            state = f'<p class="hint">{e(stale_note)}</p>'
        toggle = (deactivate, "off") if active else (reactivate, "on")
        values = {"name": name, "address": address, "phones": phones, "hours": hours}
        out.append(
            f'<article class="address" data-address="{entry_id}"><p>{card}</p>{state}'
            f'<details><summary>{e(save)}…</summary><form data-post="/app/api/addresses/save" class="stack">'
            f'{hidden}<input type="hidden" name="id" value="{entry_id}">{fields(values)}'
            f"<button>{e(save)}</button></form></details>"
            f'<form data-post="/app/api/addresses/state" class="inline">{hidden}'
            f'<input type="hidden" name="id" value="{entry_id}"><input type="hidden" name="to" value="ok">'
            f"<button>{e(confirm)}</button></form>"
            f'<form data-post="/app/api/addresses/state" class="inline">{hidden}'
            f'<input type="hidden" name="id" value="{entry_id}"><input type="hidden" name="to" value="{toggle[1]}">'
            f'<button class="secondary">{e(toggle[0])}</button></form></article>'
        )
    if can_add:
        out.append(
            f'<h2>{e(add)}</h2><form data-post="/app/api/addresses/save" class="stack">{hidden}'
            f"{fields({})}<button>{e(add)}</button></form>"
        )
    out.append("</section>")
    return "".join(out)


def login_page(t: Translator) -> str:
    title, button = t("Dashboard"), t("Sign in to the dashboard")
    hint = t("This link works once and for 10 minutes.")
    return (
        f'<!doctype html><html lang="{e(t.lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<title>{e(title)}</title><link rel="stylesheet" href="/app/static/app.css"></head>'
        f'<body><main><h1>{e(title)}</h1><form method="post"><button id="login">{e(button)}</button>'
        f'</form><p class="hint">{e(hint)}</p></main></body></html>'
    )
