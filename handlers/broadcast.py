"""Broadcasts (/broadcast, coordinators): compose → audience (places, roles)
→ now or later, once or repeated → confirm; then a live progress message
with a stop button. /broadcasts lists the ones still running or to come."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
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
from bot.i18n import N_, Translator, available_languages, translator
from handlers.common import role_name
from handlers.flow import draft, drop_draft
from handlers.kit import (
    BUTTONS,
    Ask,
    fallbacks,
    guards,
    pressed_data,
    read_choices,
    remember_buttons,
    take_text,
)
from handlers.ui import advance, columns, esc, keyboard, reply, settle, text_of
from handlers.when import parse_date, parse_moment
from scheduler import broadcasting, jobs
from scheduler.sender import send_payload
from storage import broadcasts, units
from storage.broadcasts import Audience, BroadcastError, Content, Schedule
from storage.calendar import MEMBER_ROLES
from storage.models import Repeat, Role, Unit, UnitLevel
from storage.outbox import MAX_CAPTION, MAX_TEXT, visible_length

KEY = "bc"
COMPOSE, AUDIENCE, PLACES, ROLES, WHEN, AT, REPEAT, WEEKDAYS, UNTIL, CONFIRM = (
    "COMPOSE",
    "AUDIENCE",
    "PLACES",
    "ROLES",
    "WHEN",
    "AT",
    "REPEAT",
    "WEEKDAYS",
    "UNTIL",
    "CONFIRM",
)
MAX_VILLAGE_BUTTONS = 24
PREVIEW_CHARS = 200
WEEKDAYS_SHORT = (
    N_("Mon"),
    N_("Tue"),
    N_("Wed"),
    N_("Thu"),
    N_("Fri"),
    N_("Sat"),
    N_("Sun"),
)
# Plain words for the days of the week, typed at the weekdays step ("thứ 2",
# "thứ hai", "Monday"): each comma-separated part of a translation counts.
WEEKDAY_WORDS = (
    N_("Monday, Mon"),
    N_("Tuesday, Tue"),
    N_("Wednesday, Wed"),
    N_("Thursday, Thu"),
    N_("Friday, Fri"),
    N_("Saturday, Sat"),
    N_("Sunday, Sun"),
)
STOP_PATTERN = rf"^{broadcasting.CANCEL_PREFIX}:\d+$"
# Draws a checklist keyboard from what is chosen so far.
Checklist = Callable[[Translator, list[Any]], InlineKeyboardMarkup]


def _data(update: Update) -> str:
    data = pressed_data(update)  # pressed, or its label typed
    assert data is not None
    return data.split(":", 1)[1]


def _remembered(context: BotContext) -> object:
    """The buttons of the last question, for a label typed (``kit.guards``)."""
    return draft(context, KEY).get(BUTTONS)


async def _refuse(update: Update, text: str) -> None:
    """A press refused: in the button's toast, or as a line if its label was typed."""
    query = update.callback_query
    if query is not None:
        await query.answer(text, show_alert=True)
    else:
        await reply(update, text)


def _now(context: BotContext) -> datetime:
    return context.services.clock()


async def _root(context: BotContext) -> Unit | None:
    """The coordinator's own unit (None: an administrator, the whole country)."""
    profile = context.profile
    assert profile is not None
    if profile.unit_id is None:
        return None
    async with context.services.sessions() as session:
        return await units.get_unit(session, profile.unit_id)


def _limits(place: str | None) -> tuple[int, int]:
    """The longest text and caption a coordinator may write: Telegram's limits
    less the longest header, in any language, put above the message."""
    longest = max(
        visible_length(broadcasting.header(translator(lang), place), "HTML")
        for lang in available_languages()
    )
    # Rounded down to a figure people can remember (4,000, not 4,062).
    return _round(MAX_TEXT - longest - 2), _round(MAX_CAPTION - longest - 2)


def _round(limit: int) -> int:
    return limit // 100 * 100 if limit > 100 else limit


# Entry.
async def start(update: Update, context: BotContext) -> str | int:
    profile = context.profile
    if profile is None or not profile.is_coordinator:
        await reply(update, context.t("Only coordinators can send broadcasts."))
        return ConversationHandler.END
    drop_draft(context, KEY)
    state = draft(context, KEY)
    state.update(places=[], roles=[], when="now", repeat=Repeat.NONE.value, weekdays=[])
    return await ask_compose(update, context)


# Step 1: the message.
async def ask_compose(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = COMPOSE
    t = context.t
    root = await _root(context)
    max_text, max_caption = _limits(root.name if root else None)
    await reply(
        update,
        t(
            "📢 <b>New broadcast</b>\nSend the message to broadcast: a text of up to {text} characters, or a photo or a document with a caption of up to {caption} characters.\nSend /cancel to stop."
        ).format(text=t.number(max_text), caption=t.number(max_caption)),
    )
    return COMPOSE


async def got_text(update: Update, context: BotContext) -> str:
    body = await take_text(update, context, html=True)
    if body is None:  # the first part of a split message: the rest is on its way
        return COMPOSE
    return await _got(update, context, body, None, None)


async def got_media(update: Update, context: BotContext) -> str:
    message = update.effective_message
    assert message is not None
    photo = message.photo[-1].file_id if message.photo else None
    document = message.document.file_id if message.document else None
    return await _got(update, context, message.caption_html or "", photo, document)


async def _got(
    update: Update, context: BotContext, body: str, photo: str | None, document: str | None
) -> str:
    t = context.t
    root = await _root(context)
    max_text, max_caption = _limits(root.name if root else None)
    limit = max_caption if photo or document else max_text
    length = visible_length(body, "HTML")
    if length > limit:
        what = t("The caption") if photo or document else t("Your message")
        await reply(
            update,
            t(
                "{what} has {length} characters; a broadcast can have at most {max}. Please shorten it and send it again."
            ).format(what=what, length=t.number(length), max=t.number(limit)),
        )
        return COMPOSE
    draft(context, KEY).update(text=body, photo=photo, document=document)
    return await ask_audience(update, context)


async def wrong_content(update: Update, context: BotContext) -> str:
    await reply(update, context.t("Please send a text, a photo or a document."))
    return await ask_compose(update, context)


# Step 2: the audience.
def _audience(
    state: dict[str, Any], root: Unit | None, places: list[Unit], author: int
) -> Audience:
    return Audience(
        root=root.path if root else None,
        places=tuple(p.path for p in places),
        roles=tuple(Role(r) for r in state.get("roles", [])),
        exclude_user_id=author,
    )


async def _places(context: BotContext, root: Unit | None) -> list[Unit]:
    async with context.services.sessions() as session:
        return await broadcasts.narrowing_places(
            session, root.path if root else None, draft(context, KEY).get("places", [])
        )


async def _count(context: BotContext) -> int:
    root = await _root(context)
    places = await _places(context, root)
    assert context.profile is not None
    audience = _audience(draft(context, KEY), root, places, context.profile.id)
    async with context.services.sessions() as session:
        return await broadcasts.count_audience(session, audience)


async def ask_audience(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = AUDIENCE
    t = context.t
    root = await _root(context)
    places = await _places(context, root)
    count = await _count(context)
    roles = [role_name(t, Role(r)) for r in state.get("roles", [])]
    lines = [
        t("<b>Who receives it</b>"),
        t("Area: {place}").format(place=esc(root.name if root else t("the whole country"))),
        t("Places: {places}").format(
            places=esc(", ".join(p.name for p in places)) if places else t("all")
        ),
        t("Roles: {roles}").format(roles=esc(", ".join(roles)) if roles else t("everyone")),
        t("Recipients now: <b>{n}</b>").format(n=t.number(count)),
    ]
    rows = [[(t("📍 Places"), "ba:places"), (t("👥 Roles"), "ba:roles")]]
    if places or roles:
        rows.append([(t("↺ Everyone in my area"), "ba:all")])
    rows.append([(t("➡ Continue"), "ba:next")])
    rows.append([(t("✏️ Change the message"), "ba:edit")])
    remember_buttons(state, keyboard(rows))
    await reply(update, "\n".join(lines), keyboard(rows))
    return AUDIENCE


async def audience_pressed(update: Update, context: BotContext) -> str:
    t = context.t
    choice = _data(update)
    state = draft(context, KEY)
    if choice == "places":
        return await advance(update, t("📍 Places"), ask_places(update, context))
    if choice == "roles":
        return await advance(update, t("👥 Roles"), ask_roles(update, context))
    if choice == "all":
        state.update(places=[], roles=[])
        return await advance(update, t("↺ Everyone in my area"), ask_audience(update, context))
    if choice == "edit":
        return await advance(update, t("✏️ Change the message"), ask_compose(update, context))
    if choice == "next":
        if await _count(context) == 0:
            await _refuse(update, t("Nobody would receive it. Choose other places or roles."))
            return AUDIENCE
        return await advance(update, t("➡ Continue"), ask_when(update, context))
    return await ask_audience(update, context)


async def ask_places(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = PLACES
    t = context.t
    root = await _root(context)
    chosen = await _places(context, root)
    area = root.name if root else t("the whole country")
    text = t(
        "Type the name of a commune or village in {area} to add it (with or without accents)."
    ).format(area=esc(area))
    if chosen:
        text += "\n" + t("Chosen: {places}").format(places=esc(", ".join(p.name for p in chosen)))
    buttons: list[tuple[str, str]] = []
    if root is not None and root.level is UnitLevel.COMMUNE:
        async with context.services.sessions() as session:
            villages = await units.children(session, root.id)
        picked = {p.id for p in chosen}
        buttons = [
            (
                ("✓ " if v.id in picked else "") + v.name,
                f"bp:{'del' if v.id in picked else 'add'}:{v.id}",
            )
            for v in villages[:MAX_VILLAGE_BUTTONS]
        ]
    rows = columns(buttons, 2)
    rows += [
        [("✖ " + p.name, f"bp:del:{p.id}")]
        for p in chosen
        if root is None or p.parent_id != root.id
    ]
    rows.append([(t("✅ Done"), "bp:done")])
    remember_buttons(state, keyboard(rows))
    await reply(update, text, keyboard(rows))
    return PLACES


async def place_typed(update: Update, context: BotContext) -> str:
    t = context.t
    text = text_of(update)
    # Names of the buttons shown ("Thôn 1, Thôn 3, xong"): chosen at once.
    remembered = _remembered(context)
    buttons = [(str(p[0]), str(p[1])) for p in remembered] if isinstance(remembered, list) else []
    typed = read_choices(text, buttons, done=[t("✅ Done")])
    if typed.unknown is None and (typed.picked or typed.done):
        return await _places_typed(update, context, typed.picked, typed.done)
    root = await _root(context)
    async with context.services.sessions() as session:
        hits = [
            h
            for h in await units.search(session, text, within=root, limit=12)
            if h.level in (UnitLevel.COMMUNE, UnitLevel.VILLAGE)
            and (root is None or h.id != root.id)
        ][:8]
    if not hits:
        await reply(
            update,
            t("No commune or village in your area matches “{text}”. Type it again.").format(
                text=esc(text[:60])
            ),
            keyboard([[(t("✅ Done"), "bp:done")]]),
        )
        return PLACES
    rows = [
        [(", ".join(x for x in (h.name, h.commune_name, h.province_name) if x), f"bp:add:{h.id}")]
        for h in hits
    ]
    rows.append([(t("✅ Done"), "bp:done")])
    remember_buttons(draft(context, KEY), keyboard(rows))
    await reply(update, t("Which one?"), keyboard(rows))
    return PLACES


async def _places_typed(update: Update, context: BotContext, picked: list[str], done: bool) -> str:
    """Places named by their buttons' labels: each one not yet chosen is
    added (a chosen one stays chosen); then Done, if it was typed too."""
    t = context.t
    state = draft(context, KEY)
    places: list[int] = list(state.get("places", []))
    wanted = [int(d.rsplit(":", 1)[1]) for d in picked if re.fullmatch(r"bp:add:\d+", d)]
    root = await _root(context)
    async with context.services.sessions() as session:
        valid = await broadcasts.narrowing_places(session, root.path if root else None, wanted)
    for unit in valid:
        if unit.id in places:
            continue
        if len(places) >= broadcasts.MAX_PLACES:
            await reply(update, t("Too many places; choose at most 20."))
            break
        places.append(unit.id)
    state["places"] = places
    if done or any(d == "bp:done" for d in picked):
        return await ask_audience(update, context)
    return await ask_places(update, context)


async def place_pressed(update: Update, context: BotContext) -> str:
    t = context.t
    state = draft(context, KEY)
    action, _, raw = _data(update).partition(":")
    if action == "done":
        return await advance(update, t("✅ Done"), ask_audience(update, context))
    if not raw.isdigit() or action not in ("add", "del"):
        return await ask_places(update, context)
    unit_id = int(raw)
    places: list[int] = list(state.get("places", []))
    if action == "del":
        state["places"] = [p for p in places if p != unit_id]
        return await advance(update, None, ask_places(update, context))
    root = await _root(context)
    async with context.services.sessions() as session:
        valid = await broadcasts.narrowing_places(session, root.path if root else None, [unit_id])
    if not valid:
        return await ask_places(update, context)
    if len(places) >= broadcasts.MAX_PLACES:
        await _refuse(update, t("Too many places; choose at most 20."))
        return PLACES
    if unit_id not in places:
        places.append(unit_id)
    state["places"] = places
    return await advance(update, valid[0].name, ask_places(update, context))


def _checklist(
    t: Translator, options: list[tuple[Any, str]], chosen: list[Any], prefix: str, width: int
) -> InlineKeyboardMarkup:
    """A button per ``(value, label)`` option, ticked when chosen, then Done."""
    buttons = [
        (("✓ " if value in chosen else "") + label, f"{prefix}:{value}") for value, label in options
    ]
    rows = columns(buttons, width)
    rows.append([(t("✅ Done"), f"{prefix}:done")])
    return keyboard(rows)


async def _ask_checklist(
    update: Update, context: BotContext, step: str, question: str, field: str, markup: Checklist
) -> str:
    """Ask ``question`` with the keyboard ``markup`` draws of the draft's list ``field``."""
    state = draft(context, KEY)
    state["step"] = step
    drawn = markup(context.t, state.get(field, []))
    remember_buttons(state, drawn)
    await reply(update, question, drawn)
    return step


async def _checklist_typed(
    update: Update,
    context: BotContext,
    field: str,
    options: list[tuple[str, Any]],
    ask: Ask,
    finish: Callable[[Update, BotContext], Any],
    *,
    ordered: bool,
) -> str:
    """Labels typed at a checklist ("T2, T4", "cộng tác viên thôn, xong"):
    each named one is chosen (a chosen one stays chosen); with Done typed
    too, the step ends as the Done button would end it."""
    t = context.t
    typed = read_choices(text_of(update), options, done=[t("✅ Done")], partial=True)
    if typed.unknown is not None or not (typed.picked or typed.done):
        await reply(
            update,
            t(
                "“{text}” is not one of the buttons below. Tap them, or type their names separated by commas, then “{done}”."
            ).format(text=esc((typed.unknown or text_of(update))[:40]), done=esc(t("Done"))),
        )
        return str(await ask(update, context))
    state = draft(context, KEY)
    chosen = list(state.get(field, []))
    chosen += [x for x in typed.picked if x not in chosen]
    state[field] = sorted(chosen) if ordered else chosen
    if typed.done:
        return str(await finish(update, context))
    return str(await ask(update, context))


async def _toggle(
    update: Update,
    context: BotContext,
    field: str,
    item: object,
    markup: Checklist,
    *,
    ordered: bool,
) -> None:
    """Put ``item`` into the draft's list ``field`` or take it out (kept
    sorted if ``ordered``, else in the order chosen), and redraw the keyboard."""
    query = update.callback_query
    assert query is not None  # a typed label goes to ``_checklist_typed``
    state = draft(context, KEY)
    chosen = list(state.get(field, []))
    chosen = [x for x in chosen if x != item] if item in chosen else [*chosen, item]
    state[field] = sorted(chosen) if ordered else chosen
    drawn = markup(context.t, state[field])
    remember_buttons(state, drawn)
    await query.answer()
    await _edit_markup(query.message, drawn)


def _roles_markup(t: Translator, chosen: list[str]) -> InlineKeyboardMarkup:
    options = [(r.value, role_name(t, r)) for r in MEMBER_ROLES]
    return _checklist(t, options, chosen, "br", 1)


async def ask_roles(update: Update, context: BotContext) -> str:
    question = context.t(
        "Who should receive it? Tap the roles to choose them; none chosen means everyone."
    )
    return await _ask_checklist(update, context, ROLES, question, "roles", _roles_markup)


async def role_pressed(update: Update, context: BotContext) -> str:
    value = _data(update)
    if value == "done":
        return await advance(update, context.t("✅ Done"), ask_audience(update, context))
    if value not in {r.value for r in MEMBER_ROLES}:
        return await ask_roles(update, context)
    await _toggle(update, context, "roles", value, _roles_markup, ordered=False)
    return ROLES


async def roles_typed(update: Update, context: BotContext) -> str:
    t = context.t
    options = [(role_name(t, r), r.value) for r in MEMBER_ROLES]
    return await _checklist_typed(
        update, context, "roles", options, ask_roles, ask_audience, ordered=False
    )


async def _edit_markup(message: object, markup: Any) -> None:
    if isinstance(message, Message):
        with contextlib.suppress(BadRequest):  # unchanged, or too old to edit
            await message.edit_reply_markup(markup)


# Step 3: when.
async def ask_when(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = WHEN
    t = context.t
    markup = keyboard([[(t("📤 Now"), "bw:now"), (t("🗓 Later"), "bw:later")]])
    remember_buttons(draft(context, KEY), markup)
    await reply(update, t("When should it be sent?"), markup)
    return WHEN


async def when_pressed(update: Update, context: BotContext) -> str:
    t = context.t
    state = draft(context, KEY)
    if _data(update) == "now":
        state.update(when="now", at=None, repeat=Repeat.NONE.value, weekdays=[], until=None)
        return await advance(update, t("📤 Now"), ask_confirm(update, context))
    if _data(update) == "later":
        state["when"] = "later"
        return await advance(update, t("🗓 Later"), ask_at(update, context))
    return await ask_when(update, context)


async def ask_at(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = AT
    await reply(
        update,
        context.t(
            "Type the day and the time to send it, for example {example} (Vietnam time):"
        ).format(example="25/11 08:00"),
    )
    return AT


async def at_typed(update: Update, context: BotContext) -> str:
    t = context.t
    text = text_of(update)
    zone = context.services.settings.zone
    now = _now(context)
    moment = parse_moment(text, now, zone)
    if moment is None:
        await reply(
            update,
            t("I cannot read “{text}” as a day and a time. Type it like 25/11 08:00.").format(
                text=esc(text[:40])
            ),
        )
        return AT
    try:
        broadcasts.check_first_at(moment, now)
    except BroadcastError as exc:
        await reply(update, t(str(exc)))
        return AT
    draft(context, KEY)["at"] = moment.astimezone(UTC).isoformat()
    return await ask_repeat(update, context)


async def ask_repeat(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = REPEAT
    t = context.t
    rows = [
        [(t("Once"), "bx:none")],
        [(t("Every day"), "bx:daily")],
        [(t("Every week, on chosen days"), "bx:weekly")],
    ]
    remember_buttons(draft(context, KEY), keyboard(rows))
    await reply(update, t("Send it once, or repeat it?"), keyboard(rows))
    return REPEAT


async def repeat_pressed(update: Update, context: BotContext) -> str:
    t = context.t
    state = draft(context, KEY)
    try:
        repeat = Repeat(_data(update))
    except ValueError:
        return await ask_repeat(update, context)
    state["repeat"] = repeat.value
    labels = {
        Repeat.NONE: t("Once"),
        Repeat.DAILY: t("Every day"),
        Repeat.WEEKLY: t("Every week, on chosen days"),
    }
    if repeat is Repeat.NONE:
        state.update(weekdays=[], until=None)
        return await advance(update, labels[repeat], ask_confirm(update, context))
    if repeat is Repeat.WEEKLY:
        first = _first_local(context)
        state["weekdays"] = [first.weekday()] if first else []
        return await advance(update, labels[repeat], ask_weekdays(update, context))
    state["weekdays"] = []
    return await advance(update, labels[repeat], ask_until(update, context))


def _first_local(context: BotContext) -> datetime | None:
    at = draft(context, KEY).get("at")
    if not isinstance(at, str):
        return None
    return datetime.fromisoformat(at).astimezone(context.services.settings.zone)


def _weekdays_markup(t: Translator, chosen: list[int]) -> InlineKeyboardMarkup:
    options = [(i, t(name)) for i, name in enumerate(WEEKDAYS_SHORT)]
    return _checklist(t, options, chosen, "bd", 4)


async def ask_weekdays(update: Update, context: BotContext) -> str:
    question = context.t("On which days of the week? Tap to choose, then Done.")
    return await _ask_checklist(update, context, WEEKDAYS, question, "weekdays", _weekdays_markup)


async def weekday_pressed(update: Update, context: BotContext) -> str:
    value = _data(update)
    if value == "done":
        return await _weekdays_done(update, context)
    if not value.isdigit() or not 0 <= int(value) <= 6:
        return await ask_weekdays(update, context)
    await _toggle(update, context, "weekdays", int(value), _weekdays_markup, ordered=True)
    return WEEKDAYS


async def _weekdays_done(update: Update, context: BotContext) -> str:
    t = context.t
    if not draft(context, KEY).get("weekdays"):
        await _refuse(update, t("Choose at least one day of the week."))
        return WEEKDAYS
    return await advance(update, t("✅ Done"), ask_until(update, context))


async def weekdays_typed(update: Update, context: BotContext) -> str:
    t = context.t
    options = [(t(name), i) for i, name in enumerate(WEEKDAYS_SHORT)]
    options += [(t(words), i) for i, words in enumerate(WEEKDAY_WORDS)]
    return await _checklist_typed(
        update, context, "weekdays", options, ask_weekdays, _weekdays_done, ordered=True
    )


async def ask_until(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = UNTIL
    first = _first_local(context)
    today = _now(context).astimezone(context.services.settings.zone).date()
    example = (first.date() if first else today) + timedelta(days=14)
    await reply(
        update,
        context.t("Until which day should it repeat? Type a date, for example {example}:").format(
            example=f"{example.day}/{example.month}"
        ),
    )
    return UNTIL


async def until_typed(update: Update, context: BotContext) -> str:
    t = context.t
    text = text_of(update)
    first = _first_local(context)
    assert first is not None
    last = parse_date(text, first.date())
    if last is None:
        await reply(
            update,
            t("I cannot read “{text}” as a date. Type it like 15/12 or 15/12/2026.").format(
                text=esc(text[:40])
            ),
        )
        return UNTIL
    state = draft(context, KEY)
    state["until"] = last.isoformat()
    try:
        _schedule(context).check(_now(context), context.services.settings.zone)
    except BroadcastError as exc:
        await reply(update, t(str(exc)))
        return UNTIL
    return await ask_confirm(update, context)


def _schedule(context: BotContext) -> Schedule:
    state = draft(context, KEY)
    if state.get("when") != "later" or not state.get("at"):
        return Schedule(first_at=_now(context))
    return Schedule(
        first_at=datetime.fromisoformat(state["at"]),
        repeat=Repeat(state.get("repeat", Repeat.NONE.value)),
        weekdays=tuple(state.get("weekdays", [])),
        until=date.fromisoformat(state["until"]) if state.get("until") else None,
    )


# Step 4: confirm.
def _when_text(t: Translator, schedule: Schedule, context: BotContext, now: bool) -> str:
    if now:
        return t("When: now")
    zone = context.services.settings.zone
    runs = broadcasts.runs_of(schedule, zone)
    first = schedule.first_at.astimezone(zone)
    if schedule.repeat is Repeat.NONE:
        return t("When: {moment}").format(moment=t.datetime(first))
    at = first.strftime("%H:%M")
    last = runs[-1].astimezone(zone).date() if runs else first.date()
    count = t.number(len(runs))
    if schedule.repeat is Repeat.DAILY:
        return t("When: every day at {time}, from {first} to {last} ({n} times)").format(
            time=at, first=t.date(first.date()), last=t.date(last), n=count
        )
    days = ", ".join(t(WEEKDAYS_SHORT[d]) for d in schedule.weekdays)
    return t("When: every {days} at {time}, from {first} to {last} ({n} times)").format(
        days=days, time=at, first=t.date(first.date()), last=t.date(last), n=count
    )


async def ask_confirm(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = CONFIRM
    t = context.t
    root = await _root(context)
    content = Content(state.get("text") or "", state.get("photo"), state.get("document"))
    now = state.get("when") != "later"
    chat = update.effective_chat
    if chat is not None:  # the message as recipients will see it (the header in their language)
        await reply(update, t("This is how it will look:"))
        preview = broadcasting.compose(t, root.name if root else None, content)
        await send_payload(context.bot, chat.id, preview, token_held=False)
    count = await _count(context)
    lines = [
        t("<b>Please check the broadcast</b>"),
        t("Recipients now: <b>{n}</b>").format(n=t.number(count)),
        _when_text(t, _schedule(context), context, now),
    ]
    go = t("📢 Send now") if now else t("🗓 Schedule it")
    rows = [[(go, "bs:go")], [(t("✏️ Change the audience"), "bs:audience")]]
    remember_buttons(state, keyboard(rows))
    await reply(update, "\n".join(lines), keyboard(rows))
    return CONFIRM


async def confirm_pressed(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    assert context.profile is not None
    t = context.t
    if _data(update) == "audience":
        return await advance(update, t("✏️ Change the audience"), ask_audience(update, context))
    state = draft(context, KEY)
    root = await _root(context)
    now = state.get("when") != "later"
    wiring = jobs.of(context.application)
    try:
        submitted = await broadcasting.submit(
            context.services.sessions,
            context.profile,
            Content(state.get("text") or "", state.get("photo"), state.get("document")),
            root.id if root else None,
            list(state.get("places", [])),
            [Role(r) for r in state.get("roles", [])],
            _schedule(context),
            _now(context),
            wiring.runtime,
            wiring.texts,
            start_now=now,
        )
    except BroadcastError as exc:
        await _refuse(update, t(str(exc)))
        return await (ask_at(update, context) if not now else ask_audience(update, context))
    broadcast_id, next_at, started = submitted.broadcast_id, submitted.next_at, submitted.started
    drop_draft(context, KEY)
    if started is None:
        if query is not None:
            await settle(query, t("🗓 Schedule it"))
        zone = context.services.settings.zone
        moment = next_at.astimezone(zone) if next_at else None
        await reply(
            update,
            t(
                "🗓 Scheduled as broadcast #{id}, first on {moment}. Send /broadcasts to see or stop it."
            ).format(id=broadcast_id, moment=t.datetime(moment) if moment else "—"),
        )
        return ConversationHandler.END
    wiring.sender.wake()
    if query is not None:
        await query.answer()
    progress = broadcasts.Progress(started.recipients, 0, 0, 0, started.recipients, 0)
    text = (
        t("📢 <b>Broadcast #{id}</b>: sending…").format(id=broadcast_id)
        + "\n"
        + t("Delivered: {sent} of {total}").format(sent=t.number(0), total=t.number(progress.total))
    )
    message = query.message if query is not None else None
    chat_id = message.chat.id if isinstance(message, Message) else None
    message_id = None
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=broadcasting.stop_button(t, broadcast_id))
            message_id = message.message_id
        except BadRequest:
            message_id = None
    elif update.effective_chat is not None:  # "Gửi ngay" typed: the progress below
        sent = await update.effective_chat.send_message(
            text, reply_markup=broadcasting.stop_button(t, broadcast_id)
        )
        chat_id, message_id = sent.chat.id, sent.message_id
    if chat_id is not None:
        async with context.services.sessions.begin() as session:
            await broadcasts.set_progress_message(session, started.run.id, chat_id, message_id)
    return ConversationHandler.END


# Any time: the list, and stopping.
async def list_command(update: Update, context: BotContext) -> None:
    t = context.t
    profile = context.profile
    if profile is None or not profile.is_coordinator:
        await reply(update, t("Only coordinators can send broadcasts."))
        return
    zone = context.services.settings.zone
    async with context.services.sessions() as session:
        found = await broadcasts.active_of(session, profile.id)
    if not found:
        await reply(
            update,
            t("You have no broadcast running or to come. Send /broadcast to create one."),
        )
        return
    lines = [t("<b>Your broadcasts</b>")]
    rows = []
    for b in found:
        preview = esc(_plain(b.text)[:40]) or "📎"
        if b.next_at is not None:
            when = t("next: {moment}").format(moment=t.datetime(b.next_at.astimezone(zone)))
        else:
            when = t("sending now")
        lines.append(f"#{b.id} — {preview} — {when}")
        rows.append([(t("⏹ Stop #{id}").format(id=b.id), f"{broadcasting.CANCEL_PREFIX}:{b.id}")])
    await reply(update, "\n".join(lines), keyboard(rows))


def _plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", html_text)).replace("\n", " ")


async def stop_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    t = context.t
    raw = query.data.split(":", 1)[1]
    profile = context.profile
    if profile is None or not raw.isdigit():
        await query.answer(t("That button is no longer valid."))
        raise ApplicationHandlerStop
    async with context.services.sessions.begin() as session:
        result = await broadcasts.cancel(session, profile, int(raw), _now(context))
    if result.broadcast is None:
        await query.answer(t("You cannot stop this broadcast."), show_alert=True)
    elif not result.stopped:
        await query.answer(t("This broadcast is already over."))
    else:
        await query.answer(
            t("Stopped. {n} messages will not be sent.").format(n=t.number(result.withdrawn)),
            show_alert=True,
        )
        wiring = jobs.of(context.application)
        await broadcasting.update_progress(wiring.runtime, wiring.texts, wiring.sender)
    raise ApplicationHandlerStop


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {
        COMPOSE: ask_compose,
        AUDIENCE: ask_audience,
        PLACES: ask_places,
        ROLES: ask_roles,
        WHEN: ask_when,
        AT: ask_at,
        REPEAT: ask_repeat,
        WEEKDAYS: ask_weekdays,
        UNTIL: ask_until,
        CONFIRM: ask_confirm,
    }
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[Any]] = {
        COMPOSE: [
            MessageHandler(text, got_text),
            MessageHandler(filters.PHOTO | filters.Document.ALL, got_media),
            MessageHandler(~filters.COMMAND, wrong_content),
            *guards(ask_compose, expects_text=True),
        ],
        AUDIENCE: [
            CallbackQueryHandler(audience_pressed, pattern=r"^ba:"),
            *guards(ask_audience, buttons_of=_remembered, press=audience_pressed),
        ],
        PLACES: [
            CallbackQueryHandler(place_pressed, pattern=r"^bp:"),
            MessageHandler(text, place_typed),
            *guards(ask_places, expects_text=True),
        ],
        ROLES: [
            CallbackQueryHandler(role_pressed, pattern=r"^br:"),
            MessageHandler(text, roles_typed),
            *guards(ask_roles),
        ],
        WHEN: [
            CallbackQueryHandler(when_pressed, pattern=r"^bw:"),
            *guards(ask_when, buttons_of=_remembered, press=when_pressed),
        ],
        AT: [MessageHandler(text, at_typed), *guards(ask_at, expects_text=True)],
        REPEAT: [
            CallbackQueryHandler(repeat_pressed, pattern=r"^bx:"),
            *guards(ask_repeat, buttons_of=_remembered, press=repeat_pressed),
        ],
        WEEKDAYS: [
            CallbackQueryHandler(weekday_pressed, pattern=r"^bd:"),
            MessageHandler(text, weekdays_typed),
            *guards(ask_weekdays),
        ],
        UNTIL: [MessageHandler(text, until_typed), *guards(ask_until, expects_text=True)],
        CONFIRM: [
            CallbackQueryHandler(confirm_pressed, pattern=r"^bs:(go|audience)$"),
            *guards(ask_confirm, buttons_of=_remembered, press=confirm_pressed),
        ],
    }
    return ConversationHandler(
        entry_points=[CommandHandler("broadcast", start)],
        states=states,
        fallbacks=fallbacks(KEY, steps, restart=CommandHandler("broadcast", start)),
        name="broadcast",
        persistent=True,
        allow_reentry=True,
    )


def register_buttons(application: Application) -> None:  # type: ignore[type-arg]
    """Group -1: the stop button works whatever conversation is going on."""
    application.add_handler(CallbackQueryHandler(stop_pressed, pattern=STOP_PATTERN), group=-1)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(build())
    application.add_handler(CommandHandler("broadcasts", list_command))
