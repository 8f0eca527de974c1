"""What the incident feature sends through the outbox: alerts to responders,
notices among them, and neutral status updates to reporters. Every message
is protected from forwarding and goes with the urgent priority."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_timedelta
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.incidents.crypto import Cipher, CipherError
from storage.incidents.labels import (
    AFFECTED_NAMES,
    KIND_NAMES,
    N_,
    OCCURRED_NAMES,
    OUTCOME_NAMES,
    REFERRAL_NAMES,
    Texts,
    Translate,
)
from storage.incidents.reach import place_of, who_may_act
from storage.models import (
    Affected,
    AuditEntry,
    ContactMode,
    Incident,
    IncidentAlert,
    IncidentOutcome,
    IncidentStatus,
    Occurred,
    OutboxEntry,
    OutboxStatus,
    Priority,
    User,
)

ALERT_KIND = "incident_alert"
NOTICE_KIND = "incident_notice"
EDIT_KIND = "incident_alert_edit"
STATUS_KIND = "incident_status"
PREFIX = "ia"  # callback data of the alert buttons: ia:<action>:<incident id>[:<choice>]


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def ref_of(incident_id: int) -> str:
    return f"incident:{incident_id}"


def incident_of_ref(ref: str | None) -> int | None:
    if not ref or not ref.startswith("incident:"):
        return None
    raw = ref.removeprefix("incident:")
    return int(raw) if raw.isdigit() else None


def alert_key(incident_id: int, user_id: int) -> str:
    return f"inc:{incident_id}:a:{user_id}"


@dataclass(frozen=True)
class Reason:
    """Why an alert reaches a level above the commune."""

    code: str  # timeout, no_responder, unreachable
    waited: timedelta | None = None


def _affected(t: Translate, values: list[str]) -> str:
    names = []
    for value in values:
        try:
            names.append(t(AFFECTED_NAMES[Affected(value)]))
        except (ValueError, KeyError):
            continue
    return ", ".join(names) or "—"


def _reason_line(t: Translate, reason: Reason | None) -> str | None:
    if reason is None:
        return None
    if reason.code == "timeout" and reason.waited is not None:
        waited = format_timedelta(reason.waited, locale=t.locale, threshold=2)
        return t("⬆️ Passed on to you: nobody took it within {time}.").format(time=esc(waited))
    if reason.code == "unreachable":
        return t("⬆️ Passed on to you: the responders there could not be reached.")
    return t("⬆️ Passed on to you: nobody there can receive it.")


def _contact_line(t: Translate, incident: Incident) -> str:
    if incident.contact is ContactMode.ANONYMOUS:
        return t("Reporter: anonymous.")
    if incident.consent:
        return t("Reporter: agreed to share who they are; tap “Open” to see it.")
    return t("Reporter: asked not to share who they are; they get updates through the bot.")


def alert_text(t: Translate, incident: Incident, place: str, reason: Reason | None) -> str:
    if incident.danger_now:
        head = t("🔴 <b>Urgent report {code}</b>: someone is in danger now.")
    else:
        head = t("📣 <b>New report {code}</b>")
    lines = [head.format(code=esc(incident.code))]
    reason_line = _reason_line(t, reason)
    if reason_line:
        lines.append(reason_line)
    lines += [
        t("Type: {kind}").format(kind=esc(t(KIND_NAMES[incident.kind]))),
        t("Affected: {people}").format(people=esc(_affected(t, list(incident.affected or [])))),
        t("Place: {place}").format(place=esc(place)),
        t("When: {when}").format(when=esc(t(OCCURRED_NAMES[Occurred(incident.occurred)]))),
    ]
    if incident.description_enc or incident.media_enc:
        lines.append(t("Details were given: tap “Open” to read them."))
    else:
        lines.append(t("No details were given."))
    lines.append(_contact_line(t, incident))
    return "\n".join(lines)


def alert_buttons(
    t: Translate, incident_id: int, status: IncidentStatus = IncidentStatus.NEW, art36: bool = False
) -> tuple[tuple[outbox.Button, ...], ...]:
    """The buttons of an alert for the report's state: "I take it" only while
    nobody holds it; only "Open" and "Add note" once it is closed. ``art36``
    (for whoever holds it) offers the notice to the commune People's Committee."""

    def button(label: str, action: str) -> outbox.Button:
        return outbox.Button(text=label, callback_data=f"{PREFIX}:{action}:{incident_id}")

    if status is IncidentStatus.CLOSED:
        return ((button(t("📄 Open"), "open"), button(t("📝 Add note"), "note")),)
    first: tuple[outbox.Button, ...] = (button(t("📄 Open"), "open"),)
    if status is IncidentStatus.NEW:
        first = (button(t("🙋 I take it"), "take"), *first)
    rows: tuple[tuple[outbox.Button, ...], ...] = (
        first,
        (button(t("↪ Referred to…"), "ref"), button(t("✅ Closed"), "close")),
        (button(t("📝 Add note"), "note"),),
    )
    if art36:
        rows = (*rows, (button(t("📨 Notify the commune People's Committee (Art. 36)"), "a36"),))
    return rows


def state_line(t: Translate, incident: Incident, holder: str | None) -> str:
    """Who holds the report and where it stands, as every responder's copy shows it."""
    if incident.status is IncidentStatus.CLOSED:
        outcome = t(OUTCOME_NAMES[incident.outcome]) if incident.outcome else "—"
        return t("➜ ✅ Closed: {outcome}").format(outcome=esc(outcome))
    if holder is None:
        return t("➜ Nobody has taken it yet.")
    if incident.status is IncidentStatus.REFERRED and incident.referred_to is not None:
        return t("➜ Held by {name}; referred to {service}.").format(
            name=esc(holder), service=esc(t(REFERRAL_NAMES[incident.referred_to]))
        )
    return t("➜ Held by {name}.").format(name=esc(holder))


async def refresh_alerts(
    session: AsyncSession, incident: Incident, texts: Texts, now: datetime
) -> int:
    """Bring every delivered copy of the alert up to date (who holds it, the
    buttons for its state), through the outbox: one edit per copy and change."""
    place = (await place_of(session, incident.unit_id)).text
    holder = (
        await session.scalar(select(User.display_name).where(User.id == incident.responsible_id))
        if incident.responsible_id is not None
        else None
    )
    people = {p.id: p for p in await alerted_people(session, incident)}
    keys = {alert_key(incident.id, p): p for p in people}
    copies = await session.execute(
        select(OutboxEntry.dedupe_key, OutboxEntry.message_id).where(
            OutboxEntry.dedupe_key.in_(keys),
            OutboxEntry.status == OutboxStatus.SENT,
            OutboxEntry.message_id.is_not(None),
        )
    )
    rows = sorted(
        ((people[keys[key]], message_id) for key, message_id in copies.all() if key in keys),
        key=lambda row: row[0].id,
    )
    # One edit per change: the change is the report's latest audit entry.
    change = await session.scalar(
        select(func.max(AuditEntry.id)).where(
            AuditEntry.entity == "incident", AuditEntry.entity_id == incident.id
        )
    )
    stamp = f"{change or 0}:{int(now.timestamp())}"
    edited = 0
    for person, message_id in rows:
        if person.bot_blocked:
            continue
        t = texts(person.language)
        text = alert_text(t, incident, place, None) + "\n" + state_line(t, incident, holder)
        queued = await outbox.enqueue(
            session,
            kind=EDIT_KIND,
            chat_id=person.telegram_id,
            user_id=person.id,
            message=outbox.Message(
                text=text,
                buttons=alert_buttons(
                    t, incident.id, incident.status, art36=person.id == incident.responsible_id
                ),
                protect_content=True,
                edit_message_id=message_id,
            ),
            priority=Priority.URGENT,
            dedupe_key=f"inc:{incident.id}:e:{person.id}:{stamp}"[:128],
        )
        edited += int(queued.created)
    return edited


async def enqueue_alerts(
    session: AsyncSession,
    incident: Incident,
    people: list[User],
    level: int,
    texts: Texts,
    reason: Reason | None,
    place: str,
) -> int:
    """Alert each person once (the dedupe key is per incident and person); one
    message is stored per language."""
    keys = {p.id: alert_key(incident.id, p.id) for p in people}
    existing = set(
        (
            await session.scalars(
                select(OutboxEntry.dedupe_key).where(OutboxEntry.dedupe_key.in_(keys.values()))
            )
        ).all()
    )
    fresh = [p for p in people if keys[p.id] not in existing]
    by_language: dict[str | None, list[User]] = {}
    for person in fresh:
        by_language.setdefault(person.language, []).append(person)
    for language, group in by_language.items():
        t = texts(language)
        await outbox.enqueue_many(
            session,
            kind=ALERT_KIND,
            recipients=[outbox.Recipient(p.telegram_id, p.id, keys[p.id]) for p in group],
            message=outbox.Message(
                text=alert_text(t, incident, place, reason),
                buttons=alert_buttons(t, incident.id),
                protect_content=True,
            ),
            priority=Priority.URGENT,
            ref=ref_of(incident.id),
        )
    session.add_all(
        IncidentAlert(incident_id=incident.id, user_id=p.id, level=level) for p in fresh
    )
    await session.flush()
    return len(fresh)


async def current_holder(session: AsyncSession, incident: Incident) -> User | None:
    """The responsible person, if they may still act on the report now."""
    if incident.responsible_id is None:
        return None
    place = await place_of(session, incident.unit_id)
    return await session.scalar(
        select(User).where(
            User.id == incident.responsible_id, await who_may_act(session, place, incident.level)
        )
    )


async def alerted_people(session: AsyncSession, incident: Incident) -> list[User]:
    """Those the report was sent to who may still act on it now: someone who
    has moved or was deactivated hears nothing more about it."""
    place = await place_of(session, incident.unit_id)
    return list(
        (
            await session.scalars(
                select(User)
                .join(IncidentAlert, IncidentAlert.user_id == User.id)
                .where(
                    IncidentAlert.incident_id == incident.id,
                    await who_may_act(session, place, incident.level),
                )
                .order_by(User.id)
            )
        ).all()
    )


async def _notify(
    session: AsyncSession,
    people: list[User],
    key: str,
    texts: Texts,
    render: RenderNotice,
    incident_id: int,
    with_open: bool = False,
) -> int:
    sent = 0
    for person in people:
        if person.bot_blocked:
            continue
        t = texts(person.language)
        buttons: tuple[tuple[outbox.Button, ...], ...] = ()
        if with_open:
            buttons = (
                (outbox.Button(text=t("📄 Open"), callback_data=f"{PREFIX}:open:{incident_id}"),),
            )
        queued = await outbox.enqueue(
            session,
            kind=NOTICE_KIND,
            chat_id=person.telegram_id,
            user_id=person.id,
            message=outbox.Message(text=render(t), buttons=buttons, protect_content=True),
            priority=Priority.URGENT,
            dedupe_key=f"inc:{incident_id}:{key}:{person.id}",
        )
        sent += int(queued.created)
    return sent


class RenderNotice:
    """Renders one notice in a recipient's language."""

    def __init__(self, message: str, **values: str) -> None:
        self.message, self.values = message, values

    def __call__(self, t: Translate) -> str:
        return t(self.message).format(**{k: esc(v) for k, v in self.values.items()})


async def notify_taken(session: AsyncSession, incident: Incident, taker: User, texts: Texts) -> int:
    """Tell everyone else who got the alert that someone took it."""
    others = [p for p in await alerted_people(session, incident) if p.id != taker.id]
    render = RenderNotice(
        N_("{code}: {name} has taken this report."), code=incident.code, name=taker.display_name
    )
    return await _notify(session, others, "t", texts, render, incident.id)


async def notify_closed(
    session: AsyncSession,
    incident: Incident,
    closer: User,
    outcome: IncidentOutcome,
    texts: Texts,
) -> int:
    others = [p for p in await alerted_people(session, incident) if p.id != closer.id]
    sent = 0
    for person in others:
        t = texts(person.language)
        render = RenderNotice(
            N_("{code}: {name} closed this report ({outcome})."),
            code=incident.code,
            name=closer.display_name,
            outcome=t(OUTCOME_NAMES[outcome]),
        )
        sent += await _notify(session, [person], "c", texts, render, incident.id)
    return sent


NOTE_TEXTS = {
    "note": N_("{code}: new information was added."),
    "danger": N_(
        "🔴 {code}: the reporter added information and says someone is in danger NOW. Please act at once."
    ),
    "reopened": N_("{code}: new information came in on this closed report; it is open again."),
}


async def notify_note(
    session: AsyncSession,
    incident: Incident,
    note_id: int,
    author_id: int | None,
    texts: Texts,
    event: str = "note",
) -> int:
    """New information (``event``, a key of :data:`NOTE_TEXTS`): to the
    responsible person, or, while nobody holds the report (or for someone in
    danger, or a report opened again), to everyone alerted who may still act."""
    people = await alerted_people(session, incident)
    holder = await current_holder(session, incident)
    if holder is not None and event == "note":
        people = [holder]
    elif holder is not None and holder.id not in {p.id for p in people}:
        people.append(holder)
    people = [p for p in people if p.id != author_id]
    render = RenderNotice(NOTE_TEXTS[event], code=incident.code)
    return await _notify(session, people, f"n{note_id}", texts, render, incident.id, True)


# Status updates to the reporter: neutral, with nothing but the reference.
STATUS_TEXTS = {
    "taken": N_("Update on {code}: a responder has taken it."),
    "referred": N_("Update on {code}: it has been passed to a specialised service."),
    "closed": N_("Update on {code}: it is closed. Thank you for reaching out."),
    "escalated": N_("Update on {code}: it has been passed on to more responders."),
}


def reporter_chat(cipher: Cipher, incident: Incident) -> tuple[int, str | None] | None:
    """The reporter's chat and language, when they may be contacted in Telegram."""
    if incident.contact is ContactMode.ANONYMOUS or incident.reporter_enc is None:
        return None
    try:
        reporter = cipher.decrypt_json("incident.reporter", incident.reporter_enc)
    except CipherError:
        return None
    chat_id = reporter.get("chat_id") if isinstance(reporter, dict) else None
    return (int(chat_id), incident.language) if isinstance(chat_id, int) else None


async def notify_reporter(
    session: AsyncSession,
    cipher: Cipher | None,
    incident: Incident,
    event: str,
    texts: Texts,
    occurrence: str = "",
) -> bool:
    """A status update without details (``event`` is a key of
    :data:`STATUS_TEXTS`), once per event and ``occurrence``."""
    if cipher is None:
        return False
    chat = reporter_chat(cipher, incident)
    if chat is None:
        return False
    chat_id, language = chat
    t = texts(language)
    queued = await outbox.enqueue(
        session,
        kind=STATUS_KIND,
        chat_id=chat_id,
        message=outbox.Message(
            text=t(STATUS_TEXTS[event]).format(code=esc(incident.code)), protect_content=True
        ),
        priority=Priority.URGENT,
        dedupe_key=f"inc:{incident.id}:s:{event}{occurrence}",
    )
    return queued.created
