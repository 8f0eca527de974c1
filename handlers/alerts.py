"""Incident alerts (cảnh báo vụ việc) for the people who respond: the buttons
on an alert (I take it, Open, Referred to…, Closed, Add note), which work from
any state; and ``/audit CODE`` for administrators. The escalation checks
are the leader's jobs (``scheduler.jobs``); the cipher and the escalation
policy are on ``Services``."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
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
from bot.i18n import Translator, translator
from bot.services import cipher_of as cipher_of
from bot.services import policy_of as policy_of
from handlers.ui import esc, reply, text_of
from scheduler import jobs as scheduler_jobs
from storage import audit, incidents, outbox
from storage.incidents import Cipher, Result, art36
from storage.incidents.access import IncidentDetails
from storage.incidents.labels import (
    AFFECTED_NAMES,
    CONTACT_NAMES,
    KIND_NAMES,
    OCCURRED_NAMES,
    OUTCOME_NAMES,
    REFERRAL_NAMES,
    STATUS_NAMES,
)
from storage.incidents.notices import PREFIX, alert_buttons, alert_text, state_line
from storage.incidents.reach import place_of
from storage.models import (
    Affected,
    Incident,
    IncidentOutcome,
    IncidentStatus,
    Referral,
    User,
)
from storage.trusted_addresses.phones import display_phone

log = logging.getLogger(__name__)
NOTE_KEY = "incident_note"
NOTE = "NOTE"
MAX_NOTE = 4000


# Shared helpers.
def wake_sender(context: BotContext) -> None:
    scheduler_jobs.wake_sender(context.application)


def markup_of(rows: tuple[tuple[outbox.Button, ...], ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.callback_data) for b in row] for row in rows]
    )


# The buttons of an alert.
def _parse(update: Update) -> tuple[str, int, str | None] | None:
    query = update.callback_query
    if query is None or query.data is None:
        return None
    parts = query.data.split(":")
    if len(parts) not in (3, 4) or parts[0] != PREFIX or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2]), parts[3] if len(parts) == 4 else None


async def _edit(update: Update, text: str | None, markup: InlineKeyboardMarkup | None) -> None:
    """Change the pressed alert: append a line, and/or swap its buttons."""
    query = update.callback_query
    assert query is not None
    message = query.message
    if not isinstance(message, Message):
        return
    try:
        if text is not None and message.text_html:
            await message.edit_text(f"{message.text_html}\n{text}", reply_markup=markup)
        else:
            await message.edit_reply_markup(markup)
    except BadRequest as exc:
        log.debug("could not edit the alert: %s", exc)


async def _refused(update: Update, t: Translator, done: incidents.Done) -> None:
    query = update.callback_query
    assert query is not None
    messages = {
        # Someone who may not act learns nothing, not even whether it exists.
        Result.NOT_FOUND: t("You are not allowed to open this report."),
        Result.NOT_ALLOWED: t("You are not allowed to open this report."),
        Result.TAKEN_BY_OTHER: t("{name} is already responsible for this report."),
        Result.ALREADY_YOURS: t("You have already taken this report."),
        Result.CLOSED: t("This report is already closed."),
    }
    text = messages[done.result].format(name=done.responsible or "?")
    await query.answer(text, show_alert=done.result in (Result.NOT_ALLOWED, Result.TAKEN_BY_OTHER))


def state_markup(
    t: Translator, incident_id: int, status: IncidentStatus, art36: bool = False
) -> InlineKeyboardMarkup:
    """The alert's buttons for the report's state; with ``art36``, the offer to
    notify the commune People's Committee."""
    return markup_of(alert_buttons(t, incident_id, status, art36))


async def _look(
    update: Update, context: BotContext, incident_id: int, action: str
) -> incidents.Seen | None:
    """The report's state if the user may act on it now; otherwise the refusal
    is answered (and audited)."""
    services = context.services
    async with services.sessions.begin() as session:
        seen = await incidents.look(session, context.profile, incident_id, action, services.clock())
    if isinstance(seen, incidents.Done):
        await _refused(update, context.t, seen)
        return None
    return seen


async def alert_button(update: Update, context: BotContext) -> None:
    t = context.t
    query = update.callback_query
    assert query is not None
    parsed = _parse(update)
    if parsed is None:
        await query.answer(t("That button is no longer valid."))
        raise ApplicationHandlerStop
    action, incident_id, choice = parsed
    services = context.services
    cipher = services.cipher
    if action == "open":
        await _open(update, context, incident_id)
    elif action in ("ref", "close", "back", "card"):
        seen = await _look(update, context, incident_id, action)
        if seen is not None:
            await _show(update, context, action, seen)
    elif action in ("take", "rto", "out"):
        await _change(update, context, action, incident_id, choice, cipher)
    elif action == "a36":
        await _art36(update, context, incident_id)
    else:
        await query.answer(t("That button is no longer valid."))
    raise ApplicationHandlerStop


async def _show(update: Update, context: BotContext, action: str, seen: incidents.Seen) -> None:
    t = context.t
    query = update.callback_query
    assert query is not None
    incident = seen.incident
    await query.answer()
    if action == "ref":
        await _edit(update, None, InlineKeyboardMarkup(_referral_rows(t, incident.id)))
    elif action == "close":
        await _edit(update, None, InlineKeyboardMarkup(_outcome_rows(t, incident.id)))
    elif action == "back":
        await _edit(update, None, state_markup(t, incident.id, incident.status))
    else:  # a card from /incidents
        services = context.services
        async with services.sessions() as session:
            place = (await place_of(session, incident.unit_id)).text
        text = alert_text(t, incident, place, None) + "\n" + state_line(t, incident, seen.holder)
        mine = context.profile is not None and incident.responsible_id == context.profile.id
        chat = update.effective_chat
        assert chat is not None
        await chat.send_message(
            text,
            reply_markup=state_markup(t, incident.id, incident.status, art36=mine),
            protect_content=True,
        )


def _referral_rows(t: Translator, incident_id: int) -> list[list[InlineKeyboardButton]]:
    rows = [
        [InlineKeyboardButton(t(name), callback_data=f"{PREFIX}:rto:{incident_id}:{r.value}")]
        for r, name in REFERRAL_NAMES.items()
    ]
    rows.append([InlineKeyboardButton(t("◀ Back"), callback_data=f"{PREFIX}:back:{incident_id}")])
    return rows


def _outcome_rows(t: Translator, incident_id: int) -> list[list[InlineKeyboardButton]]:
    rows = [
        [InlineKeyboardButton(t(name), callback_data=f"{PREFIX}:out:{incident_id}:{o.value}")]
        for o, name in OUTCOME_NAMES.items()
    ]
    rows.append([InlineKeyboardButton(t("◀ Back"), callback_data=f"{PREFIX}:back:{incident_id}")])
    return rows


async def _change(
    update: Update,
    context: BotContext,
    action: str,
    incident_id: int,
    choice: str | None,
    cipher: Cipher | None,
) -> None:
    t = context.t
    query = update.callback_query
    profile = context.profile
    assert query is not None
    services = context.services
    now = services.clock()
    line: str
    if profile is None:
        await _refused(update, t, incidents.Done(Result.NOT_ALLOWED))
        return
    async with services.sessions.begin() as session:
        if action == "take":
            done = await incidents.take(session, profile, incident_id, now, translator, cipher)
            line = t("➜ 🙋 You took it.")
            status = IncidentStatus.TAKEN
        elif action == "rto":
            try:
                referral = Referral(choice or "")
            except ValueError:
                await query.answer(t("That button is no longer valid."))
                return
            done = await incidents.refer(
                session, profile, incident_id, referral, now, translator, cipher
            )
            line = t("➜ ↪ Referred to: {service}").format(service=esc(t(REFERRAL_NAMES[referral])))
            status = IncidentStatus.REFERRED
        else:
            try:
                outcome = IncidentOutcome(choice or "")
            except ValueError:
                await query.answer(t("That button is no longer valid."))
                return
            done = await incidents.close(
                session, profile, incident_id, outcome, now, translator, cipher
            )
            line = t("➜ ✅ Closed: {outcome}").format(outcome=esc(t(OUTCOME_NAMES[outcome])))
            status = IncidentStatus.CLOSED
    if done.result is not Result.OK:
        await _refused(update, t, done)
        if done.result is not Result.NOT_ALLOWED:
            after = IncidentStatus.CLOSED if done.result is Result.CLOSED else IncidentStatus.TAKEN
            await _edit(update, None, state_markup(t, incident_id, after))
        return
    wake_sender(context)
    await query.answer(t("Saved."))
    await _edit(update, line, state_markup(t, incident_id, status, art36=action != "out"))


async def _art36(update: Update, context: BotContext, incident_id: int) -> None:
    """The Art. 36 notice, offered after "I take it" or "Referred to…"."""
    t = context.t
    query = update.callback_query
    profile = context.profile
    assert query is not None
    if profile is None:
        await _refused(update, t, incidents.Done(Result.NOT_ALLOWED))
        return
    services = context.services
    async with services.sessions.begin() as session:
        outcome, code = await art36.notify_for_incident(
            session, profile, incident_id, services.clock(), translator
        )
    if outcome.result is art36.Art36Result.NOT_ALLOWED:
        await _refused(update, t, incidents.Done(Result.NOT_ALLOWED))
        return
    if outcome.result is art36.Art36Result.NO_COMMUNE:
        await query.answer(
            t(
                "This report has no commune, so no commune People's Committee can be named for the Art. 36 notice."
            ),
            show_alert=True,
        )
        return
    wake_sender(context)
    await query.answer(t("Saved."))
    lines = []
    if outcome.result is art36.Art36Result.ALREADY and outcome.at is not None:
        when = t.datetime(outcome.at.astimezone(services.settings.zone))
        already = t(
            "📨 The commune People's Committee was already notified about {code} on {time}."
        )
        lines.append(already.format(code=esc(code or ""), time=esc(when)))
    else:
        recorded = t(
            "📨 Notice under Art. 36 recorded for {code}. Commune officers told in the bot: {n}."
        )
        lines.append(recorded.format(code=esc(code or ""), n=outcome.informed))
    lines.append(committee_line(t, outcome.committee))
    await reply(update, "\n".join(lines))


def committee_line(t: Translator, committee: art36.Committee | None) -> str:
    """How to reach the commune People's Committee, or that nobody set it yet
    (after "I take it" or "Referred to…", and after a shelter intake)."""
    if committee is None or not committee.known:
        commune = committee.commune_name if committee else ""
        return t(
            "No contact is kept yet for the People's Committee of {commune}: please notify it directly. A coordinator can add the contact with /committee."
        ).format(commune=esc(commune))
    parts = [committee.name or committee.commune_name]
    if committee.phone:
        parts.append(f"📞 {committee.phone}")
    if committee.email:
        parts.append(f"✉ {committee.email}")
    if committee.address:
        parts.append(f"🏠 {committee.address}")
    return t("Please also tell the People's Committee directly: {contact}").format(
        contact=esc(" · ".join(parts))
    )


# Opening a report.
async def _open(update: Update, context: BotContext, incident_id: int) -> None:
    t = context.t
    query = update.callback_query
    profile = context.profile
    assert query is not None
    if profile is None:
        await _refused(update, t, incidents.Done(Result.NOT_ALLOWED))
        return
    services = context.services
    cipher = services.cipher
    if cipher is None:
        await query.answer(
            t("Reports cannot be opened: the bot has no SECRET_KEY."), show_alert=True
        )
        return
    async with services.sessions.begin() as session:
        details = await incidents.open_incident(
            session, cipher, profile, incident_id, services.clock()
        )
        place = (await place_of(session, details.incident.unit_id)).text if details else ""
    if details is None:
        await query.answer(t("You are not allowed to open this report."), show_alert=True)
        return
    await query.answer()
    chat = update.effective_chat
    assert chat is not None
    for text in _details_texts(t, details, place, services.settings.zone):
        await chat.send_message(text, protect_content=True)
    for media in [*details.media, *(m for n in details.notes for m in n.media)]:
        try:
            await _send_media(context, chat.id, media)
        except TelegramError as exc:
            log.warning("could not send a media file of incident %s: %s", incident_id, exc)


async def _send_media(context: BotContext, chat_id: int, media: incidents.Media) -> None:
    bot = context.bot
    if media.kind == "photo":
        await bot.send_photo(chat_id, media.file_id, protect_content=True)
    elif media.kind == "voice":
        await bot.send_voice(chat_id, media.file_id, protect_content=True)
    elif media.kind == "video":
        await bot.send_video(chat_id, media.file_id, protect_content=True)
    elif media.kind == "audio":
        await bot.send_audio(chat_id, media.file_id, protect_content=True)
    else:
        await bot.send_document(chat_id, media.file_id, protect_content=True)


def _pieces(text: str, size: int = 1000) -> list[str]:
    """Long free text in escaped pieces that each fit a message."""
    return [esc(text[i : i + size]) for i in range(0, len(text), size)] or [""]


def _chunks(lines: list[str], limit: int = 3500) -> list[str]:
    """Lines grouped into messages; no line is split, so no HTML is broken."""
    texts, current = [], ""
    for line in lines:
        if current and len(current) + len(line) + 1 > limit:
            texts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts


def _details_texts(t: Translator, details: IncidentDetails, place: str, zone: Any) -> list[str]:
    incident: Incident = details.incident
    affected = ", ".join(
        t(AFFECTED_NAMES[Affected(a)]) for a in incident.affected or [] if a in _AFFECTED_VALUES
    )
    lines = [
        t("📄 <b>Report {code}</b>").format(code=esc(incident.code)),
        t("Status: {status}").format(status=esc(t(STATUS_NAMES[incident.status]))),
        t("Type: {kind}").format(kind=esc(t(KIND_NAMES[incident.kind]))),
        t("Affected: {people}").format(people=esc(affected or "—")),
        t("Place: {place}").format(place=esc(place)),
        t("When: {when}").format(when=esc(t(OCCURRED_NAMES[incident.occurred]))),
        t("Reported: {time}").format(time=esc(t.datetime(incident.reported_at.astimezone(zone)))),
    ]
    if incident.danger_now:
        lines.append(t("🔴 Someone was in danger at the time of the report."))
    if details.responsible:
        lines.append(t("Responsible: {name}").format(name=esc(details.responsible)))
    if incident.referred_to is not None:
        lines.append(
            t("Referred to: {service}").format(service=esc(t(REFERRAL_NAMES[incident.referred_to])))
        )
    if details.location is not None:
        lat, lon = details.location
        lines.append(t("Shared location: {lat}, {lon}").format(lat=f"{lat:.5f}", lon=f"{lon:.5f}"))
    lines.append(t("Contact: {mode}").format(mode=esc(t(CONTACT_NAMES[incident.contact]))))
    if details.reporter_name or details.phone:
        who = details.reporter_name or ""
        if details.reporter_username:
            who += f" (@{details.reporter_username})"
        if details.phone:
            who += f" 📞 {display_phone(details.phone)}"
        lines.append(t("Reporter (shared with consent): {who}").format(who=esc(who.strip())))
    said = t("What the reporter said:")
    lines += ["", f"<b>{esc(said)}</b>"]
    if details.description:
        lines += _pieces(details.description)
    else:
        lines.append(esc(t("(nothing written)")))
    for note in details.notes:
        author = note.author or t("the reporter")
        head = t("📝 Note by {author}, {time}:").format(
            author=esc(author), time=esc(t.datetime(note.at.astimezone(zone)))
        )
        lines += ["", head, *_pieces(note.text or t("(media only)"))]
    if details.unreadable:
        lines.append(t("⚠️ Some fields could not be decrypted (was the SECRET_KEY changed?)."))
    return _chunks(lines)


_AFFECTED_VALUES = {a.value for a in Affected}


# Notes: a small conversation that starts from the alert's button.
async def note_start(update: Update, context: BotContext) -> str | int:
    t = context.t
    query = update.callback_query
    parsed = _parse(update)
    assert query is not None
    if parsed is None:
        await query.answer(t("That button is no longer valid."))
        raise ApplicationHandlerStop(ConversationHandler.END)
    services = context.services
    async with services.sessions.begin() as session:
        seen = await incidents.look(session, context.profile, parsed[1], "note", services.clock())
    if isinstance(seen, incidents.Done):
        await query.answer(t("You are not allowed to open this report."), show_alert=True)
        raise ApplicationHandlerStop(ConversationHandler.END)
    await query.answer()
    assert context.user_data is not None
    code = seen.incident.code
    context.user_data[NOTE_KEY] = {"incident": seen.incident.id, "code": code}
    await reply(update, t("Type your note for {code}, or send /cancel.").format(code=esc(code)))
    raise ApplicationHandlerStop(NOTE)


async def note_typed(update: Update, context: BotContext) -> int:
    t = context.t
    state = (context.user_data or {}).get(NOTE_KEY) or {}
    text = text_of(update).strip()
    cipher = context.services.cipher
    if not text or len(text) > MAX_NOTE or cipher is None:
        await reply(
            update,
            t("A note has 1 to {max} characters. Please type it again.").format(max=MAX_NOTE),
        )
        raise ApplicationHandlerStop(NOTE)
    services = context.services
    async with services.sessions.begin() as session:
        done = await incidents.add_responder_note(
            session,
            cipher,
            context.profile,
            int(state.get("incident", 0)),
            text,
            services.clock(),
            translator,
        )
    _drop_note(context)
    if done.result is not Result.OK:
        await reply(update, t("You are not allowed to open this report."))
    else:
        wake_sender(context)
        await reply(update, t("📝 Note added to {code}.").format(code=esc(done.code or "")))
    raise ApplicationHandlerStop(ConversationHandler.END)


async def note_wrong(update: Update, context: BotContext) -> None:
    await reply(update, context.t("Please type your note as text, or send /cancel."))
    raise ApplicationHandlerStop(NOTE)


async def note_cancel(update: Update, context: BotContext) -> None:
    _drop_note(context)
    await reply(update, context.t("No note was added."))
    raise ApplicationHandlerStop(ConversationHandler.END)


def _drop_note(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(NOTE_KEY, None)


def build_notes() -> ConversationHandler[BotContext]:
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(note_start, pattern=rf"^{PREFIX}:note:\d+$")],
        states={
            NOTE: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, note_typed),
                CommandHandler("cancel", note_cancel),
                MessageHandler(filters.COMMAND, note_wrong),
                MessageHandler(filters.ALL, note_wrong),
            ]
        },
        fallbacks=[],
        name="incident_note",
        persistent=True,
        allow_reentry=True,
    )


# The audit trail, for administrators.
async def audit_command(update: Update, context: BotContext) -> None:
    t = context.t
    profile = context.profile
    if profile is None or not profile.is_admin:
        await reply(update, t("Only administrators can read the audit trail."))
        return
    code = " ".join(context.args or [])
    services = context.services
    async with services.sessions() as session:
        incident = await incidents.find_by_code(session, code) if code else None
        if incident is None:
            await reply(
                update,
                t("Send /audit followed by a report's reference, for example /audit BD-7K3Q."),
            )
            return
        entries = await audit.history(session, "incident", incident.id)
        names = await _names(session, [e.actor_id for e in entries if e.actor_id])
    zone = services.settings.zone
    lines = [t("<b>Audit trail of {code}</b>").format(code=esc(incident.code))]
    for entry in entries:
        actor = names.get(entry.actor_id, "?") if entry.actor_id else t("the system")
        details = ", ".join(f"{k}={v}" for k, v in (entry.details or {}).items())
        lines.append(
            f"{esc(t.datetime(entry.at.astimezone(zone)))} — {esc(actor)} — {esc(entry.action)}"
            + (f" ({esc(details)})" if details else "")
        )
    for text in _chunks(lines):
        await reply(update, text)


async def _names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {i: n for i, n in rows.all()}


def register(application: Application) -> None:  # type: ignore[type-arg]
    # Group -1: a responder in the middle of another conversation can still act.
    application.add_handler(build_notes(), group=-1)
    application.add_handler(
        CallbackQueryHandler(alert_button, pattern=rf"^{PREFIX}:[a-z0-9]+:\d+(:[a-z_]+)?$"),
        group=-1,
    )
    application.add_handler(CommandHandler("audit", audit_command))
