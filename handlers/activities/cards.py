"""How an activity reads on screen: the summary card and the lines of lists."""

from __future__ import annotations

from bot.i18n import Translator
from handlers.activities.texts import kind_name, language_name
from handlers.ui import esc
from storage.activities import ActivityInput, ActivityLine, Page, reference
from storage.reports.labels import AUDIENCE_NAMES, FUNDING_NAMES, PRODUCT_NAMES, TOPIC_NAMES


def card(
    t: Translator, data: ActivityInput, place: str, title: str, held_by: str | None = None
) -> str:
    """Every field of an activity, one per line, under a bold title."""
    p = data.participants
    counts = t(
        "{total} — women {women}, men {men}, girls {girls}, boys {boys}; ethnic minority {ethnic}"
    ).format(
        total=t.number(p.total),
        women=t.number(p.women),
        men=t.number(p.men),
        girls=t.number(p.girls),
        boys=t.number(p.boys),
        ethnic=t.number(p.ethnic_minority),
    )
    lines = [
        f"<b>{esc(title)}</b>",
        t("Activity: {kind}").format(kind=esc(kind_name(t, data.kind, data.kind_other))),
        t("Date: {date}").format(date=t.date(data.held_on)),
        t("Place: {place}").format(place=esc(place)),
        t("Participants: {counts}").format(counts=counts),
        t("Topics: {topics}").format(topics=esc(", ".join(t(TOPIC_NAMES[x]) for x in data.topics))),
        t("Language: {language}").format(
            language=esc(language_name(t, data.language, data.ethnic_language))
        ),
    ]
    if data.audience is not None:
        lines.append(
            t("Class for: {audience}").format(audience=esc(t(AUDIENCE_NAMES[data.audience])))
        )
    if data.products:
        products = "; ".join(  # the names have commas of their own
            f"{t(PRODUCT_NAMES[p])} {t.number(n)}" for p, n in data.products.items()
        )
        lines.append(t("Products: {products}").format(products=esc(products)))
    if held_by:
        lines.append(t("Held by: {name}").format(name=esc(held_by)))
    if data.cost is not None:
        cost = t("{amount} đồng").format(amount=t.number(data.cost))
        if data.funding_source is not None:
            cost += f" — {t(FUNDING_NAMES[data.funding_source])}"
        lines.append(t("Cost: {cost}").format(cost=esc(cost)))
    media = []
    if data.photo_file_ids:
        media.append(t("{count} photo(s)").format(count=len(data.photo_file_ids)))
    if data.voice_file_id:
        media.append(t("a voice note"))
    if media:
        lines.append(t("Attached: {media}").format(media=", ".join(media)))
    if data.note:
        lines.append(t("Note: {note}").format(note=esc(data.note)))
    return "\n".join(lines)


def line(t: Translator, item: ActivityLine, with_reporter: bool = False) -> str:
    """``HD-12 · 20/11/2026 · Training class · Thôn 1 · 45 people``"""
    parts = [
        f"<b>{reference(item.id)}</b>",
        t.date(item.held_on),
        esc(kind_name(t, item.kind, item.kind_other)),
        esc(item.place),
        t("{count} people").format(count=t.number(item.total)),
    ]
    if with_reporter:
        parts.append(esc(item.reporter))
    return " · ".join(parts)


def page_range(t: Translator, page: Page) -> str:
    if not page.total:
        return ""
    return t("{first}–{last} of {total}").format(
        first=page.offset + 1, last=page.offset + len(page.lines), total=page.total
    )
