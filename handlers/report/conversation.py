"""/report (báo tin vụ việc), public, for registered and unregistered users:
danger now → what happened → who is affected → where → when → what you can
tell → contact and consent → summary and submit. The reporter gets a neutral
reference code; the report goes to the responders at once.

Discreet mode throughout (``handlers.report.discreet``); ``/exit`` (or
``/cancel``) erases the conversation at any step. The draft keeps only
encrypted free text, and a ``key`` that makes a retried submission land once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import ConversationHandler

from bot.context import BotContext
from bot.i18n import Translator, translator
from handlers.alerts import cipher_of, policy_of, wake_sender
from handlers.flow import draft, drop_draft
from handlers.hotline import address_card, clear_offer, hotline_line, local_now, offered
from handlers.kit import BUTTONS, pressed_data, read_choices, typed_button
from handlers.report import pieces
from handlers.report.discreet import CHAT, KEY, MESSAGES, remember_update, say, wipe
from handlers.report.pieces import Added
from handlers.ui import columns, esc, keyboard, settle, text_of
from scheduler import abandoned
from storage import db, hotlines, incidents, trusted_addresses, units
from storage.incidents import Cipher
from storage.incidents.intake import MAX_MEDIA
from storage.incidents.labels import (
    AFFECTED_GROUPS,
    AFFECTED_NAMES,
    CHILD_KINDS,
    CHILDREN,
    CONTACT_NAMES,
    KIND_NAMES,
    OCCURRED_NAMES,
)
from storage.models import Affected, ContactMode, IncidentKind, Occurred, Unit, UnitLevel
from storage.trusted_addresses.phones import normalise_phone

log = logging.getLogger(__name__)

DANGER, KIND, AFFECTED, PLACE, WHEN, DETAILS, CONTACT, PHONE, CONSENT, SUMMARY = (
    "DANGER",
    "KIND",
    "AFFECTED",
    "PLACE",
    "WHEN",
    "DETAILS",
    "CONTACT",
    "PHONE",
    "CONSENT",
    "SUMMARY",
)
P = "rp"  # callback data: rp:<step>:<value>
NEAR_KM = 30.0
MAX_PLACE_BUTTONS = 8
Step = Callable[[Update, BotContext], Awaitable[str | int]]
# What to ask again when storage refuses the report (``InvalidReport.code``).
INVALID_FIELDS = {
    "place": "place",
    "affected": "affected",
    "description": "text",
    "media": "media",
    "phone": "phone",
    "reporter": "contact",
}


def state(context: BotContext) -> dict[str, Any]:
    return draft(context, KEY)


def choice_of(update: Update) -> str:
    data = pressed_data(update)  # pressed, or its label typed
    assert data is not None
    return data.split(":", 2)[2] if data.count(":") >= 2 else ""


def cipher_for(context: BotContext) -> Cipher:
    cipher = cipher_of(context.services.settings)
    assert cipher is not None  # checked at the entry
    return cipher


# Entry (``handlers.report.entry`` checks the key and dispatches here).
async def start(update: Update, context: BotContext) -> str | int:
    t = context.t
    drop_draft(context, KEY)
    current = state(context)
    current.update(key=uuid.uuid4().hex, step=DANGER)
    remember_update(update, context)
    await say(
        update,
        context,
        t(
            "You can report violence here. Nobody else in this chat will see it: this conversation is erased from your chat when you finish, or at any time with /exit."
        ),
    )
    return await ask_danger(update, context)


async def no_key(update: Update, context: BotContext) -> None:
    t = context.t
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(
        t(
            "Reports cannot be accepted right now: this bot has no encryption key (SECRET_KEY) set up, and without it what you tell us could not be kept safe. If someone is in danger, call 113. Send /hotline for other numbers and for trusted addresses near you."
        ),
        protect_content=True,
    )


# Step 1: danger now.
async def ask_danger(update: Update, context: BotContext) -> str | int:
    state(context)["step"] = DANGER
    await say_danger_question(update, context, f"{P}:danger")
    return DANGER


async def say_danger_question(update: Update, context: BotContext, data: str) -> None:
    """ "Is someone in danger right now?", answered ``<data>:y`` or ``<data>:n``
    (the first step of a report, and again before a follow-up)."""
    t = context.t
    await say(
        update,
        context,
        t("Is someone in danger right now?"),
        keyboard([[(t("🆘 Yes, right now"), f"{data}:y"), (t("No"), f"{data}:n")]]),
    )


async def danger_chosen(update: Update, context: BotContext) -> str | int:
    t = context.t
    value = choice_of(update)
    if value not in ("y", "n"):
        return await ask_danger(update, context)
    danger = value == "y"
    state(context)["danger"] = danger
    if danger:
        await settle_query(update, t("🆘 Yes, right now"))
        await show_emergency(update, context)
        return await ask_kind(update, context)
    return await advance_to(update, t("No"), ask_kind(update, context))


async def settle_query(update: Update, chosen: str | None) -> None:
    if update.callback_query is not None:
        await settle(update.callback_query, chosen)


async def advance_to(
    update: Update, chosen: str | None, next_step: Awaitable[str | int]
) -> str | int:
    result = await next_step
    await settle_query(update, chosen)
    return result


async def show_police(update: Update, context: BotContext) -> None:
    """The police hotline (113), for someone in danger now: after the first
    step of a report and after a follow-up's danger question."""
    t = context.t
    async with context.services.sessions.begin() as session:
        await hotlines.ensure_seeded(session, context.services.clock())
        police = await hotlines.by_role(session, hotlines.POLICE)
    title = t("If someone is in danger now, call the police:")
    lines = [f"<b>{esc(title)}</b>"]
    if police is not None:
        lines.append(hotline_line(t, police))
    await say(update, context, "\n".join(lines))


async def show_emergency(update: Update, context: BotContext) -> None:
    """113 at once, and the nearest trusted address if the place is known."""
    t = context.t
    await show_police(update, context)
    unit_id = own_place(context)
    if unit_id is not None:
        await show_nearest_address(update, context, unit_id)
    else:
        await say(
            update,
            context,
            t("Tell me where it is happening and I will show the nearest trusted address."),
        )


def own_place(context: BotContext) -> int | None:
    """The reporter's own commune or village, if they are registered at one."""
    profile = context.profile
    if profile is None or not profile.is_active or profile.unit_id is None:
        return None
    if profile.unit_path is None or profile.unit_path.count("/") < 3:
        return None  # a province
    return profile.unit_id


async def show_nearest_address(update: Update, context: BotContext, unit_id: int) -> None:
    t = context.t
    async with context.services.sessions() as session:
        found = await trusted_addresses.for_place(session, unit_id)
    if found:
        title = t("Nearest trusted address:")
        text = f"<b>{esc(title)}</b>\n" + address_card(t, found[0], local_now(context))
        await say(update, context, text)


async def show_child_line(update: Update, context: BotContext) -> None:
    """111 once, when a child is at risk."""
    current = state(context)
    if current.get("shown_111"):
        return
    current["shown_111"] = True
    t = context.t
    async with context.services.sessions() as session:
        child = await hotlines.by_role(session, hotlines.CHILD)
    if child is not None:
        head = esc(t("A child is at risk: the national child protection hotline can help."))
        await say(update, context, f"<b>{head}</b>\n{hotline_line(t, child)}")


# Step 2: what happened.
async def ask_kind(update: Update, context: BotContext) -> str | int:
    state(context)["step"] = KIND
    t = context.t
    rows = [[(t(name), f"{P}:kind:{kind.value}")] for kind, name in KIND_NAMES.items()]
    await say(update, context, t("What happened?"), keyboard(rows))
    return KIND


async def kind_chosen(update: Update, context: BotContext) -> str | int:
    try:
        kind = IncidentKind(choice_of(update))
    except ValueError:
        return await ask_kind(update, context)
    state(context)["kind"] = kind.value
    await settle_query(update, context.t(KIND_NAMES[kind]))
    if kind in CHILD_KINDS:
        await show_child_line(update, context)
    return await ask_affected(update, context)


# Step 3: who is affected (several).
def affected_keyboard(t: Translator, chosen: list[str]) -> InlineKeyboardMarkup:
    buttons = [
        (("✅ " if a.value in chosen else "") + t(name), f"{P}:aff:{a.value}")
        for a, name in AFFECTED_NAMES.items()
    ]
    rows = columns(buttons, 2)
    rows.append([(t("Done ➜"), f"{P}:aff:done")])
    return keyboard(rows)


async def ask_affected(update: Update, context: BotContext) -> str | int:
    current = state(context)
    current["step"] = AFFECTED
    current.setdefault("affected", [])
    t = context.t
    await say(
        update,
        context,
        t("Who is affected? Choose one or more, then tap Done."),
        affected_keyboard(t, current["affected"]),
    )
    return AFFECTED


async def _affected_done(update: Update, context: BotContext) -> str | int:
    t = context.t
    chosen: list[str] = state(context).setdefault("affected", [])
    if not chosen:
        query = update.callback_query
        if query is not None:
            await query.answer(t("Choose at least one."), show_alert=True)
            return AFFECTED
        await say(update, context, t("Choose at least one."))
        return await ask_affected(update, context)
    names = ", ".join(t(AFFECTED_NAMES[Affected(a)]) for a in chosen)
    await settle_query(update, names)
    if any(Affected(a) in CHILDREN for a in chosen):
        await show_child_line(update, context)
    return await ask_place(update, context)


async def affected_typed(update: Update, context: BotContext) -> str | int:
    """Names typed ("phụ nữ, trẻ em"): each is chosen (a chosen one stays
    chosen); with the Done button's word ("xong") the step ends."""
    t = context.t
    chosen: list[str] = state(context).setdefault("affected", [])
    options = [(t(name), a.value) for a, name in AFFECTED_NAMES.items()]
    groups = [(t(words), [a.value for a in members]) for words, members in AFFECTED_GROUPS]
    text = text_of(update)
    typed = read_choices(text, options, done=[t("Done ➜")], groups=groups, partial=True)
    if typed.unknown is not None or not (typed.picked or typed.done):
        await say(
            update,
            context,
            t(
                "“{text}” is not one of the buttons below. Tap them, or type their names separated by commas, then “{done}”."
            ).format(text=esc((typed.unknown or text)[:40]), done=esc(t("Done"))),
        )
        return await ask_affected(update, context)
    chosen += [v for v in typed.picked if v not in chosen]
    if typed.done:
        return await _affected_done(update, context)
    return await ask_affected(update, context)


async def affected_chosen(update: Update, context: BotContext) -> str | int:
    t = context.t
    current = state(context)
    chosen: list[str] = current.setdefault("affected", [])
    value = choice_of(update)
    if value == "done":
        return await _affected_done(update, context)
    query = update.callback_query
    if query is None:  # one label typed through the guards: read as typed names
        return await affected_typed(update, context)
    try:
        person = Affected(value)
    except ValueError:
        return await ask_affected(update, context)
    if person.value in chosen:
        chosen.remove(person.value)
    else:
        chosen.append(person.value)
    await query.answer()
    try:
        await query.edit_message_reply_markup(affected_keyboard(t, chosen))
    except Exception:  # an unchanged keyboard, or the message is gone: ask again
        log.debug("could not update the choice", exc_info=True)
    return AFFECTED


# Step 4: where.
def location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t("📍 Share a location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def ask_place(update: Update, context: BotContext) -> str | int:
    state(context)["step"] = PLACE
    t = context.t
    await say(
        update,
        context,
        t(
            "Where did it happen? Type the name of the village, commune or ward (with or without accents), or share a location with the button below."
        ),
        location_keyboard(t),
    )
    unit_id = own_place(context)
    if unit_id is not None:
        async with context.services.sessions() as session:
            unit = await session.get(Unit, unit_id)
        if unit is not None:
            label = t("📍 In my area: {place}").format(place=unit.name)
            await say(update, context, t("Or:"), keyboard([[(label[:60], f"{P}:place:{unit.id}")]]))
    return PLACE


async def place_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    text = text_of(update)
    typed = typed_button(update, state(context).get(BUTTONS))
    if typed is not None and typed.startswith(f"{P}:place:"):  # a place listed, typed
        return await place_chosen(update, context)
    async with context.services.sessions() as session:
        hits = [
            h
            for h in await units.search(session, text, limit=MAX_PLACE_BUTTONS + 4)
            if h.level is not UnitLevel.PROVINCE
        ][:MAX_PLACE_BUTTONS]
    if not hits:
        await say(
            update,
            context,
            t(
                "No village, commune or ward matches “{text}”. Check the spelling and type it again."
            ).format(text=esc(text[:60])),
        )
        return PLACE
    rows = []
    for hit in hits:
        if hit.level is UnitLevel.VILLAGE:
            label = f"{hit.name} — {hit.commune_name}, {hit.province_name}"
        else:
            label = f"{hit.name} — {hit.province_name}"
        rows.append([(label[:60], f"{P}:place:{hit.id}")])
    await say(update, context, t("Which one?"), keyboard(rows))
    return PLACE


async def location_shared(update: Update, context: BotContext) -> str | int:
    t = context.t
    message = update.effective_message
    assert message is not None and message.location is not None
    lat, lon = message.location.latitude, message.location.longitude
    state(context)["loc"] = cipher_for(context).encrypt_json("draft.location", [lat, lon])
    async with context.services.sessions() as session:
        near = await trusted_addresses.nearest(session, lat, lon, limit=5, max_km=NEAR_KM)
        options: dict[int, str] = {}
        for view, _km in near:
            for covered in view.units:
                if covered.id not in options and len(options) < MAX_PLACE_BUTTONS:
                    unit = await session.get(Unit, covered.id)
                    if unit is not None:
                        options[covered.id] = await units.describe(session, unit)
    if not options:
        await say(
            update,
            context,
            t(
                "Thank you, the location is kept for the responders. I cannot tell the commune from it: please type the name of the village, commune or ward."
            ),
        )
        return PLACE
    rows = [[(label[:60], f"{P}:place:{unit_id}")] for unit_id, label in options.items()]
    await say(
        update,
        context,
        t(
            "Thank you, the location is kept for the responders. Is it in one of these places? If not, type the name of the village, commune or ward."
        ),
        keyboard(rows),
    )
    return PLACE


async def place_chosen(update: Update, context: BotContext) -> str | int:
    t = context.t
    raw = choice_of(update)
    async with context.services.sessions() as session:
        unit = await session.get(Unit, int(raw)) if raw.isdigit() else None
        place = await units.describe(session, unit) if unit is not None else ""
    if unit is None or unit.level is UnitLevel.PROVINCE:
        return await ask_place(update, context)
    current = state(context)
    current["place"] = unit.id
    await settle_query(update, unit.name)
    await say(update, context, t("Place: {place}").format(place=esc(place)), ReplyKeyboardRemove())
    if current.get("danger"):
        await show_nearest_address(update, context, unit.id)
    return await ask_when(update, context)


# Step 5: when.
async def ask_when(update: Update, context: BotContext) -> str | int:
    state(context)["step"] = WHEN
    t = context.t
    rows = columns([(t(name), f"{P}:when:{o.value}") for o, name in OCCURRED_NAMES.items()], 2)
    await say(update, context, t("When did it happen?"), keyboard(rows))
    return WHEN


async def when_chosen(update: Update, context: BotContext) -> str | int:
    try:
        occurred = Occurred(choice_of(update))
    except ValueError:
        return await ask_when(update, context)
    state(context)["when"] = occurred.value
    return await advance_to(
        update, context.t(OCCURRED_NAMES[occurred]), ask_details(update, context)
    )


# Step 6: what you can tell (optional).
def details_keyboard(t: Translator, has_any: bool) -> InlineKeyboardMarkup:
    label = t("Done ➜") if has_any else t("Skip ➜")
    return keyboard([[(label, f"{P}:det:done")]])


async def ask_details(update: Update, context: BotContext) -> str | int:
    current = state(context)
    current["step"] = DETAILS
    t = context.t
    has_any = bool(current.get("text") or current.get("media"))
    await say(
        update,
        context,
        t(
            "What can you tell us? Write it, send a voice message or photos, in as many messages as you need. This is optional. Tap Done when you have finished."
        ),
        details_keyboard(t, has_any),
    )
    return DETAILS


async def details_text(update: Update, context: BotContext) -> str | int:
    t = context.t
    current = state(context)
    if typed_button(update, current.get(BUTTONS)) == f"{P}:det:done":  # "Xong", not a detail
        return await details_done(update, context)
    added = pieces.add_text(cipher_for(context), current, text_of(update))
    if added is Added.NOTHING:
        return await ask_details(update, context)
    if added is Added.FULL:
        too_much = t(
            "That is more text than one report can hold. Tap Done; you can add more later with the reference code."
        )
        await say(update, context, too_much, details_keyboard(t, True))
        return DETAILS
    await say(update, context, pieces.received(t, current), details_keyboard(t, True))
    return DETAILS


async def details_media(update: Update, context: BotContext) -> str | int:
    t = context.t
    current = state(context)
    added = pieces.add_media(cipher_for(context), current, update)
    if added is Added.NOTHING:
        return await ask_details(update, context)
    if added is Added.FULL:
        full = t("At most {max} photos or recordings fit in one report. Tap Done.")
        await say(update, context, full.format(max=MAX_MEDIA), details_keyboard(t, True))
        return DETAILS
    await say(update, context, pieces.received(t, current), details_keyboard(t, True))
    return DETAILS


async def details_done(update: Update, context: BotContext) -> str | int:
    current = state(context)
    current["details_done"] = True
    return await advance_to(update, None, ask_contact(update, context))


# Step 7: contact and consent.
async def ask_contact(update: Update, context: BotContext) -> str | int:
    state(context)["step"] = CONTACT
    t = context.t
    rows = [
        [(t("🙈 Stay anonymous"), f"{P}:contact:{ContactMode.ANONYMOUS.value}")],
        [(t("💬 Contact me here in Telegram"), f"{P}:contact:{ContactMode.TELEGRAM.value}")],
        [(t("📞 Give a phone number"), f"{P}:contact:{ContactMode.PHONE.value}")],
    ]
    await say(update, context, t("May the responders contact you?"), keyboard(rows))
    return CONTACT


async def contact_chosen(update: Update, context: BotContext) -> str | int:
    try:
        mode = ContactMode(choice_of(update))
    except ValueError:
        return await ask_contact(update, context)
    current = state(context)
    current["contact"] = mode.value
    current.pop("consent", None)
    if mode is not ContactMode.PHONE:
        current.pop("phone", None)
    label = context.t(CONTACT_NAMES[mode])
    if mode is ContactMode.ANONYMOUS:
        return await advance_to(update, label, ask_summary(update, context))
    if mode is ContactMode.PHONE:
        return await advance_to(update, label, ask_phone(update, context))
    return await advance_to(update, label, ask_consent(update, context))


async def ask_phone(update: Update, context: BotContext) -> str | int:
    state(context)["step"] = PHONE
    await say(update, context, context.t("Type your phone number, for example 0905 123 456:"))
    return PHONE


async def phone_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    phone = normalise_phone(text_of(update))
    if phone is None or len(phone.lstrip("+")) < 9:
        await say(
            update,
            context,
            t("That does not look like a phone number. Please type it again, digits only."),
        )
        return await ask_phone(update, context)
    state(context)["phone"] = cipher_for(context).encrypt("draft.phone", phone)
    return await ask_consent(update, context)


async def ask_consent(update: Update, context: BotContext) -> str | int:
    current = state(context)
    current["step"] = CONSENT
    t = context.t
    if current.get("contact") == ContactMode.PHONE.value:
        question = t(
            "May we share your name and phone number with the responders, so that they can call you? If you say no, they will not see them."
        )
    else:
        question = t(
            "May we share your name and Telegram account with the responders? If you say no, they will not see who you are, and you will still get short updates here."
        )
    await say(
        update,
        context,
        question,
        keyboard([[(t("Yes, share it"), f"{P}:consent:y"), (t("No"), f"{P}:consent:n")]]),
    )
    return CONSENT


async def consent_chosen(update: Update, context: BotContext) -> str | int:
    value = choice_of(update)
    if value not in ("y", "n"):
        return await ask_consent(update, context)
    state(context)["consent"] = value == "y"
    t = context.t
    label = t("Yes, share it") if value == "y" else t("No")
    return await advance_to(update, label, ask_summary(update, context))


# Step 8: summary and submit.
def missing_step(current: dict[str, Any]) -> Step | None:
    """The first step the draft still lacks (after a restart mid-way, say)."""
    checks: list[tuple[str, Step]] = [
        ("danger", ask_danger),
        ("kind", ask_kind),
        ("affected", ask_affected),
        ("place", ask_place),
        ("when", ask_when),
        ("details_done", ask_details),
        ("contact", ask_contact),
    ]
    for field, step in checks:
        if current.get(field) in (None, []):
            return step
    if current["contact"] == ContactMode.PHONE.value and not current.get("phone"):
        return ask_phone
    if current["contact"] != ContactMode.ANONYMOUS.value and "consent" not in current:
        return ask_consent
    return None


async def ask_summary(update: Update, context: BotContext) -> str | int:
    current = state(context)
    missing = missing_step(current)
    if missing is not None:
        return await missing(update, context)
    current["step"] = SUMMARY
    t = context.t
    async with context.services.sessions() as session:
        unit = await session.get(Unit, current["place"])
        place = await units.describe(session, unit) if unit is not None else "?"
    contact = ContactMode(current["contact"])
    contact_text = t(CONTACT_NAMES[contact])
    if contact is not ContactMode.ANONYMOUS:
        shared = t("shared with the responders") if current.get("consent") else t("not shared")
        contact_text = f"{contact_text} ({shared})"
    title = t("Please check your report")
    lines = [
        f"<b>{esc(title)}</b>",
        t("Someone in danger now: {answer}").format(
            answer=esc(t("Yes") if current.get("danger") else t("No"))
        ),
        t("Type: {kind}").format(kind=esc(t(KIND_NAMES[IncidentKind(current["kind"])]))),
        t("Affected: {people}").format(
            people=esc(", ".join(t(AFFECTED_NAMES[Affected(a)]) for a in current["affected"]))
        ),
        t("Place: {place}").format(place=esc(place)),
        t("When: {when}").format(when=esc(t(OCCURRED_NAMES[Occurred(current["when"])]))),
        t("Details: {texts} written, {media} photos or recordings").format(
            texts=len(current.get("text", [])), media=len(current.get("media", []))
        ),
        t("Contact: {contact}").format(contact=esc(contact_text)),
    ]
    rows = [
        [(t("✅ Send the report"), f"{P}:sum:send")],
        [(t("↺ Start again"), f"{P}:sum:restart"), (t("✖ Exit and erase"), f"{P}:sum:exit")],
    ]
    await say(update, context, "\n".join(lines), keyboard(rows))
    return SUMMARY


async def summary_chosen(update: Update, context: BotContext) -> str | int:
    t = context.t
    value = choice_of(update)
    if value == "exit":
        return await leave(update, context)
    if value == "restart":
        current = state(context)
        keep: dict[str, Any] = {
            k: current[k] for k in ("key", MESSAGES, CHAT, abandoned.SEEN) if k in current
        }
        current.clear()
        current.update(keep)
        return await advance_to(update, t("↺ Start again"), ask_danger(update, context))
    if value != "send":
        return await ask_summary(update, context)
    return await submit(update, context)


def build_input(update: Update, context: BotContext) -> incidents.IncidentInput:
    current = state(context)
    cipher = cipher_for(context)
    contact = ContactMode(current["contact"])
    description, media = pieces.opened(cipher, current)
    location = None
    if current.get("loc"):
        lat, lon = cipher.decrypt_json("draft.location", current["loc"])
        location = (float(lat), float(lon))
    user = update.effective_user
    reporter = None
    if contact is not ContactMode.ANONYMOUS and user is not None:
        reporter = incidents.Reporter(user.id, user.full_name, user.username)
    return incidents.IncidentInput(
        submission_key=current["key"],
        kind=IncidentKind(current["kind"]),
        danger_now=bool(current.get("danger")),
        affected=[Affected(a) for a in current["affected"]],
        unit_id=int(current["place"]),
        occurred=Occurred(current["when"]),
        contact=contact,
        description=description or None,
        media=media,
        location=location,
        reporter=reporter,
        phone=cipher.decrypt("draft.phone", current["phone"]) if current.get("phone") else None,
        consent=bool(current.get("consent")),
        language=context.language,
    )


async def submit(update: Update, context: BotContext) -> str | int:
    """Store the report (tried again while the database fails,
    ``storage.db.retrying``); the reporter is told it is saved only once it is."""
    t = context.t
    services = context.services
    data = build_input(update, context)
    submitted = None
    try:
        submitted = await db.retrying(
            services.sessions,
            lambda session: incidents.submit(
                session,
                cipher_for(context),
                data,
                services.clock(),
                policy_of(services.settings),
                translator,
            ),
        )
    except incidents.InvalidReport as exc:
        log.warning("report refused: %s", exc.code)
        await say(update, context, t("Something in the report needs to be answered again."))
        field = INVALID_FIELDS.get(exc.code)
        if field is not None:
            state(context).pop(field, None)
        return await ask_summary(update, context)
    except SQLAlchemyError:
        log.exception("could not store a report")
    if submitted is None:
        await say(
            update,
            context,
            t(
                "Your report is NOT saved yet: we have a technical problem. Nothing you entered is lost. Please tap “Send the report” again in a minute."
            ),
        )
        return SUMMARY
    wake_sender(context)
    await settle_query(update, None)
    await finish(update, context)
    # The only message left in the chat: whoever picks up the phone must not
    # learn from it that a report was made (no "report", "violence"...).
    lines = [
        t("✅ Thank you. Your code: <b>{code}</b>").format(code=esc(submitted.code)),
        t("Keep it somewhere safe. Send /help if you need anything."),
    ]
    if data.contact is not ContactMode.ANONYMOUS:
        lines.append(t("We will write to you here."))
    chat = update.effective_chat
    assert chat is not None
    offer = clear_offer(update, context)
    sent = await chat.send_message("\n".join(lines), reply_markup=offer, protect_content=True)
    if offer is not None:
        offered(context, sent.message_id)
    return ConversationHandler.END


async def finish(update: Update, context: BotContext) -> None:
    """Erase the conversation from the reporter's chat and forget the draft."""
    chat = update.effective_chat
    if chat is not None:
        await wipe(context, chat.id)
    drop_draft(context, KEY)


async def leave(update: Update, context: BotContext) -> int:
    """/exit, /cancel, or the exit button: erase everything, save nothing."""
    remember_update(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await finish(update, context)
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(
            context.t("Cancelled. Nothing was saved. Send /help to see what you can do."),
            reply_markup=ReplyKeyboardRemove(),
        )
    return ConversationHandler.END


STEPS: dict[str, Step] = {
    DANGER: ask_danger,
    KIND: ask_kind,
    AFFECTED: ask_affected,
    PLACE: ask_place,
    WHEN: ask_when,
    DETAILS: ask_details,
    CONTACT: ask_contact,
    PHONE: ask_phone,
    CONSENT: ask_consent,
    SUMMARY: ask_summary,
}
