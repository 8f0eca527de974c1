"""The text of a summary, in the reader's language with Babel's number
formatting: HTML for the chat, plain text for the CLI. Also the names of
periods and target lines, shared by the chart and the spreadsheet."""

from __future__ import annotations

import html as html_module
from collections.abc import Callable, Sequence
from datetime import date

from babel.dates import format_date, format_timedelta

from storage.models import Indicator, ParticipantField, UnitLevel
from storage.reports.aggregates import ChildRow, Counts, Summary
from storage.reports.completeness import Collaborator, Completeness, Standing
from storage.reports.incidents import kind_name, status_name
from storage.reports.labels import (
    AUDIENCE_NAMES,
    FIELD_NAMES,
    FUNDING_NAMES,
    INDICATOR_NAMES,
    KIND_NAMES,
    LANGUAGE_NAMES,
    PRODUCT_NAMES,
    REGISTER_NAMES,
    SUPPORT_NAMES,
    TOPIC_NAMES,
    Translate,
)
from storage.reports.periods import Period
from storage.reports.plan_lines import PlanLines
from storage.reports.targets import Progress, Spec, Status, TargetLine, TargetReport

MAX_CHILD_LINES = 10
MAX_NAMES = 8
MARKS = {Status.DONE: "✅", Status.ON_TRACK: "▫️", Status.BEHIND: "⚠️", Status.NO_TARGET: "·"}


def day(value: date, t: Translate) -> str:
    """Dates as the official documents write them: 05/06/2024."""
    return str(format_date(value, format="dd/MM/yyyy", locale=t.locale))


def period_name(period: Period, t: Translate) -> str:
    """``Tháng 11/2024``, ``6 tháng đầu năm 2024``, or a range of dates;
    always followed by the exact dates."""
    dates = f"{day(period.start, t)} – {day(period.end, t)}"
    year = period.start.year
    if period.kind == "month":
        name = t("Month {month}/{year}").format(month=period.start.month, year=year)
    elif period.kind == "quarter":
        name = t("Quarter {quarter}/{year}").format(
            quarter=(period.start.month - 1) // 3 + 1, year=year
        )
    elif period.kind == "half":
        first = period.start.month == 1
        name = (t("First half of {year}") if first else t("Second half of {year}")).format(
            year=year
        )
    elif period.kind == "year":
        name = t("Year {year}").format(year=year)
    else:
        return dates
    return f"{name} ({dates})"


def level_name(level: UnitLevel | None, t: Translate) -> str:
    names = {
        UnitLevel.PROVINCE: t("By province"),
        UnitLevel.COMMUNE: t("By commune"),
        UnitLevel.VILLAGE: t("By village"),
    }
    return names.get(level, t("By place")) if level else t("By place")


def spec_name(spec: Spec, label: str | None, t: Translate) -> str:
    """The plan's own wording if there is one, else a name built from the spec."""
    if label:
        return label
    counted = t(FIELD_NAMES[spec.field or ParticipantField.TOTAL])
    kind = t(KIND_NAMES[spec.activity_kind]) if spec.activity_kind else None
    if spec.indicator is Indicator.SESSIONS:
        name = kind or t("All sessions")
    elif spec.indicator is Indicator.PLACES:
        name = t("Places with: {kind}").format(kind=kind or t("any activity"))
    elif spec.indicator is Indicator.TRUSTED_ADDRESSES:
        name = t("Trusted addresses")
    elif spec.register_kind is not None:
        name = f"{t(REGISTER_NAMES[spec.register_kind])}: {t(INDICATOR_NAMES[spec.indicator])}"
    elif spec.indicator is Indicator.BUDGET:
        name = t("Budget spent (đồng)")
        if kind:
            name += f" ({kind})"
        if spec.funding_source is not None:
            name += f" – {t(FUNDING_NAMES[spec.funding_source])}"
    elif spec.indicator is Indicator.PARTICIPANTS:
        name = t("Number of {people}").format(people=counted)
        if kind:
            name += f" ({kind})"
    else:
        name = t("Share of {people} reached").format(people=counted)
    extras = []
    if spec.topic is not None:
        extras.append(t(TOPIC_NAMES[spec.topic]))
    if spec.keyword:
        extras.append(f"“{spec.keyword_text or spec.keyword}”")
    return f"{name} – {', '.join(extras)}" if extras else name


def progress_figure(progress: Progress, t: Translate) -> str:
    """``5/21 (24 %)``; for a share ``61 % / 80 % (732/1.200)``."""
    if progress.spec.indicator is Indicator.SHARE:
        reached = progress.reached
        if progress.target is None or reached is None:
            return t.number(progress.achieved)
        return (
            f"{t.percent(reached)} / {t.percent(progress.target / 100)} "
            f"({t.number(progress.achieved)}/{t.number(progress.population or 0)})"
        )
    if progress.target is None:
        return t.number(progress.achieved)
    figure = f"{t.number(progress.achieved)}/{t.number(progress.target)}"
    ratio = progress.ratio
    return f"{figure} ({t.percent(ratio)})" if ratio is not None else figure


def _sessions(n: int, t: Translate) -> str:
    return t.ngettext("{n} session", "{n} sessions", n).format(n=t.number(n))


def _participants(n: int, t: Translate) -> str:
    return t.ngettext("{n} participant", "{n} participants", n).format(n=t.number(n))


def _names(people: Sequence[Collaborator], t: Translate, esc: object) -> str:
    shown = [f"{c.display_name or '?'} ({c.place.name})" for c in people[:MAX_NAMES]]
    if len(people) > MAX_NAMES:
        shown.append(t("{n} more").format(n=t.number(len(people) - MAX_NAMES)))
    return ", ".join(shown)


def _child_line(row: ChildRow, t: Translate) -> str:
    mark = "⚠️ " if row.counts.sessions == 0 else ""
    text = f"{mark}{row.place.name}: {_sessions(row.counts.sessions, t)}"
    if row.counts.total:
        text += f", {_participants(row.counts.total, t)}"
    if row.collaborators:
        text += " · " + t("{reporting}/{all} collaborators logged").format(
            reporting=t.number(row.reporting), all=t.number(row.collaborators)
        )
    return text


def headline(
    place_name: str, period: Period, c: Counts, t: Translate, *, html: bool = True
) -> list[str]:
    """The first lines of every summary: the place and period, the sessions
    and participants, by sex and age, and the ethnic-minority participants."""

    def esc(text: object) -> str:
        return html_module.escape(str(text), quote=False) if html else str(text)

    def bold(text: str) -> str:
        return f"<b>{esc(text)}</b>" if html else text

    return [
        bold(f"📊 {place_name}"),
        esc(period_name(period, t)),
        bold(f"{_sessions(c.sessions, t)}, {_participants(c.total, t)}"),
        esc(
            t("Women {women} · Men {men} · Girls {girls} · Boys {boys}").format(
                women=t.number(c.women),
                men=t.number(c.men),
                girls=t.number(c.girls),
                boys=t.number(c.boys),
            )
        ),
        esc(t("Ethnic-minority participants: {n}").format(n=t.number(c.ethnic_minority))),
    ]


def summary_text(
    summary: Summary,
    targets: TargetReport | None,
    completeness: Completeness | None,
    t: Translate,
    *,
    html: bool = True,
) -> str:
    """The compact summary: about 2,000 characters for a province, never more
    than Telegram's 4,096 (long lists are cut and point to the spreadsheet)."""

    def esc(text: object) -> str:
        return html_module.escape(str(text), quote=False) if html else str(text)

    def bold(text: str) -> str:
        return f"<b>{esc(text)}</b>" if html else text

    title, period, *totals = headline(
        summary.place_name, summary.period, summary.counts, t, html=html
    )
    lines = [title, period, "", *totals]
    if summary.by_kind:
        lines += ["", bold(t("By kind of activity"))]
        for kind, counts in summary.by_kind.items():
            text = f"• {t(KIND_NAMES[kind])}: {_sessions(counts.sessions, t)}"
            if counts.total:
                text += f", {_participants(counts.total, t)}"
            lines.append(esc(text))
    lines += plan_lines_text(summary.plan_lines, t, esc, bold)
    lines += costs_text(summary, t, esc, bold)
    lines += intakes_text(summary, t, esc, bold)
    if summary.by_topic:
        lines += ["", bold(t("By topic"))]
        lines += [
            esc(f"• {t(TOPIC_NAMES[topic])}: {t.number(n)}")
            for topic, n in summary.by_topic.items()
        ]
    if summary.by_language:
        lines += ["", bold(t("By language"))]
        lines.append(
            esc(
                " · ".join(
                    f"{t(LANGUAGE_NAMES[lang])}: {t.number(counts.sessions)}"
                    for lang, counts in summary.by_language.items()
                )
            )
        )
    if summary.children:
        order = t("fewest first")
        lines += ["", bold(f"{level_name(summary.child_level, t)} ({order})")]
        lines += [esc(f"• {_child_line(row, t)}") for row in summary.children[:MAX_CHILD_LINES]]
        if len(summary.children) > MAX_CHILD_LINES:
            lines.append(
                esc(
                    t("… and {n} more in the spreadsheet (/export).").format(
                        n=t.number(len(summary.children) - MAX_CHILD_LINES)
                    )
                )
            )
        if summary.own.sessions:
            lines.append(
                esc(
                    "• "
                    + t("At {place} itself: {sessions}").format(
                        place=summary.area.name, sessions=_sessions(summary.own.sessions, t)
                    )
                )
            )
    lines += ["", bold(t("Incidents"))]
    incidents = summary.incidents
    if not incidents.available:
        lines.append(esc(t("No incident data yet.")))
    else:
        text = t.ngettext("{n} incident", "{n} incidents", incidents.total).format(
            n=t.number(incidents.total)
        )
        if incidents.by_kind:
            text += ": " + ", ".join(
                f"{kind_name(k, t)} {t.number(n)}" for k, n in incidents.by_kind.items()
            )
        lines.append(esc(text))
        if incidents.by_status:
            lines.append(
                esc(
                    ", ".join(
                        f"{status_name(k, t)} {t.number(n)}" for k, n in incidents.by_status.items()
                    )
                )
            )
        if incidents.median_to_acknowledge is not None:
            lines.append(
                esc(
                    t("Median time to first acknowledgement: {time}").format(
                        time=format_timedelta(incidents.median_to_acknowledge, locale=t.locale)
                    )
                )
            )
        if incidents.escalated_share is not None:
            lines.append(
                esc(t("Escalated: {share}").format(share=t.percent(incidents.escalated_share)))
            )
    lines += [
        "",
        esc(
            t("Trusted addresses active on the bot: {n}").format(
                n=t.number(summary.trusted_addresses)
            )
        ),
    ]
    if completeness is not None:
        silent = completeness.silent
        declared = completeness.with_standing(Standing.DECLARED_NONE)
        lines.append(
            esc(
                t(
                    "Collaborators: {all} (logged sessions: {reported}; said there was no activity: {declared}; silent: {silent})"
                ).format(
                    all=t.number(completeness.total),
                    reported=t.number(completeness.count(Standing.REPORTED)),
                    declared=t.number(len(declared)),
                    silent=t.number(len(silent)),
                )
            )
        )
        if silent:
            lines.append(esc(t("Silent: {names}").format(names=_names(silent, t, esc))))
        for label, places, among in (
            (
                t("Villages with nothing logged: {n} of {all}"),
                completeness.silent_villages,
                completeness.villages,
            ),
            (
                t("Communes with nothing logged: {n} of {all}"),
                completeness.silent_communes,
                completeness.communes,
            ),
        ):
            # A single commune's summary does not count the commune itself.
            commune_itself = places is completeness.silent_communes and (
                summary.child_level is UnitLevel.VILLAGE or (among == 1 and not places)
            )
            if among and not commune_itself:
                text = label.format(n=t.number(len(places)), all=t.number(among))
                if places:
                    names = [p.name for p in places[:MAX_NAMES]]
                    if len(places) > MAX_NAMES:
                        names.append(t("{n} more").format(n=t.number(len(places) - MAX_NAMES)))
                    text += ": " + ", ".join(names)
                lines.append(esc(text))
    else:
        lines.append(
            esc(
                t("Collaborators: {all} (logged sessions: {reported})").format(
                    all=t.number(summary.collaborators), reported=t.number(summary.reporting)
                )
            )
        )
    if targets is not None and targets.lines:
        lines += [
            "",
            bold(
                t("Targets {year} (as of {date})").format(
                    year=targets.year, date=day(targets.as_of, t)
                )
            ),
        ]
        for line in targets.lines:
            lines.append(esc(target_line(line, t)))
            if line.spec.indicator is Indicator.SHARE:
                lines.append(esc("   " + definition(line.spec, line.area.population, t)))
        if targets.behind:
            lines.append(esc(t("⚠️ = behind schedule at this point of the year")))
    return _fit("\n".join(lines), html)


def target_line(line: TargetLine, t: Translate) -> str:
    name = spec_name(line.spec, line.label, t)
    figure = progress_figure(line.area, t)
    if line.area.summed:
        figure += " " + t("(sum of the lower levels' targets)")
    return f"{MARKS[line.area.status]} {name}: {figure}"


def _fit(text: str, html: bool, limit: int = 4000) -> str:
    """Cut whole lines so that the message fits Telegram's limit."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        if size + len(line) + 1 > limit - 2:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*kept, "…"])


def plan_lines_text(
    found: PlanLines, t: Translate, esc: Callable[[object], str], bold: Callable[[str], str]
) -> list[str]:
    """Communication products, and training classes by audience."""
    lines: list[str] = []
    if found.products:
        lines += ["", bold(t("Communication products"))]
        lines.append(
            esc(
                " · ".join(
                    f"{t(PRODUCT_NAMES[p])}: {t.number(n)}" for p, n in found.products.items()
                )
            )
        )
    if found.classes:
        lines += ["", bold(t("Training classes by audience"))]
        for audience, count in found.classes.items():
            name = t(AUDIENCE_NAMES[audience]) if audience else t("Audience not recorded")
            lines.append(
                esc(
                    f"• {name}: "
                    + t.ngettext("{n} class", "{n} classes", count.classes).format(
                        n=t.number(count.classes)
                    )
                    + f", {_participants(count.participants, t)}"
                )
            )
    return lines


def _most_first(summary: Summary) -> Callable[[tuple[str, int]], tuple[int, int, str]]:
    """Sort key for (path, figure) by unit: the largest first; equal figures in
    the order the summary lists its children, the area itself last (the
    figures come grouped from the database, in no defined order)."""
    listed = {row.place.path: i for i, row in enumerate(summary.children)}

    def key(item: tuple[str, int]) -> tuple[int, int, str]:
        return (-item[1], listed.get(item[0], len(listed)), item[0])

    return key


def costs_text(
    summary: Summary, t: Translate, esc: Callable[[object], str], bold: Callable[[str], str]
) -> list[str]:
    """What the activities cost, by funding source and by the next level down."""
    found = summary.plan_lines
    if not found.costs:
        return []
    lines = [
        "",
        bold(t("Costs: {amount} đồng").format(amount=t.number(found.cost_total))),
    ]
    for source, amount in found.costs.items():
        name = t(FUNDING_NAMES[source]) if source else t("Source not recorded")
        lines.append(esc(f"• {name}: {t.number(amount)}"))
    names = {row.place.path: row.place.name for row in summary.children}
    spent = sorted(found.costs_by_child.items(), key=_most_first(summary))
    for path, amount in spent[:MAX_CHILD_LINES]:
        name = names.get(path, summary.area.name)
        lines.append(esc(f"◦ {name}: {t.number(amount)}"))
    return lines


def definition(spec: Spec, population: int | None, t: Translate) -> str:
    """What a target line counts, in words, as the plan's table needs it said."""
    kind = t(KIND_NAMES[spec.activity_kind]) if spec.activity_kind else None
    narrowing = []
    if kind:
        narrowing.append(t("of the kind “{kind}”").format(kind=kind))
    if spec.topic is not None:
        narrowing.append(t("on “{topic}”").format(topic=t(TOPIC_NAMES[spec.topic])))
    if spec.keyword:
        narrowing.append(
            t("whose note or name mentions “{keyword}”").format(
                keyword=spec.keyword_text or spec.keyword
            )
        )
    which = (" " + ", ".join(narrowing)) if narrowing else ""
    people = t(FIELD_NAMES[spec.field or ParticipantField.TOTAL])
    if spec.indicator is Indicator.SESSIONS:
        return t("Sessions logged{which}.").format(which=which)
    if spec.indicator is Indicator.PLACES:
        return t("Villages or communes where at least one session{which} was logged.").format(
            which=which
        )
    if spec.indicator is Indicator.TRUSTED_ADDRESSES:
        return t("Trusted addresses active on the bot that serve the area (not dated).")
    if spec.indicator is Indicator.PARTICIPANTS:
        return t(
            "Attendances of {people} at sessions{which}: one person at two sessions counts twice."
        ).format(people=people, which=which)
    if spec.indicator is Indicator.SHARE:
        return t(
            "Numerator: attendances of {people} at sessions{which}; denominator: the population entered for the area ({population}). Attendances are not distinct people: one woman at three sessions counts three times."
        ).format(people=people, which=which, population=t.number(population or 0))
    if spec.indicator is Indicator.BUDGET:
        source = t(FUNDING_NAMES[spec.funding_source]) if spec.funding_source else t("any source")
        return t("Costs recorded on activities{which}, paid by: {source}.").format(
            which=which, source=source
        )
    register = t(REGISTER_NAMES[spec.register_kind]) if spec.register_kind else ""
    if spec.indicator is Indicator.ESTABLISHED:
        return t("{register} of the register with a date of establishment in the period.").format(
            register=register
        )
    if spec.indicator is Indicator.RENEWED:
        return t(
            "{register} of the register strengthened or newly established (dated) in the period, each once."
        ).format(register=register)
    return t("{register} of the register with a dated support in the period, each once.").format(
        register=register
    )


def intakes_text(
    summary: Summary, t: Translate, esc: Callable[[object], str], bold: Callable[[str], str]
) -> list[str]:
    """People taken in at trusted addresses, with the support given, by commune."""
    found = summary.intakes
    if not found.intakes:
        return []
    head = t.ngettext(
        "Shelter: {n} person taken in, {nights} night(s)",
        "Shelter: {n} people taken in, {nights} night(s)",
        found.intakes,
    ).format(n=t.number(found.intakes), nights=t.number(found.nights))
    lines = ["", bold(head)]
    lines.append(
        esc(" · ".join(f"{t(SUPPORT_NAMES[s])}: {t.number(n)}" for s, n in found.support.items()))
    )
    names = {row.place.path: row.place.name for row in summary.children}
    for path, n in sorted(found.by_child.items(), key=_most_first(summary))[:MAX_CHILD_LINES]:
        lines.append(esc(f"◦ {names.get(path, summary.area.name)}: {t.number(n)}"))
    return lines
