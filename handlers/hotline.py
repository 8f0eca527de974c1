"""/hotline (đường dây nóng), public: the national numbers with when to call
each, then the trusted addresses near the user: those of their own commune if
they are registered there, else near a shared location (nearest first, with
the distance) or in a commune they name. Each address says if it is open now.

Also the renderers the report and directory conversations share, and the
"clear earlier messages" offer of a report's receipt: where the last /hotline
began is kept (``VISIT``), so that a reporter who looked up numbers, or shared
a location, just before ``/report`` can erase that too with one tap."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from babel.dates import get_day_names
from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError
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
from bot.i18n import Translator
from handlers.flow import draft, drop_draft
from handlers.kit import Ask, fallbacks, guards, optional_question
from handlers.ui import esc, keyboard, settle, text_of
from storage import hotlines, trusted_addresses, units
from storage.incidents.labels import SERVICE_NAMES
from storage.models import Unit, UnitLevel
from storage.trusted_addresses import AddressView
from storage.trusted_addresses.hours import HoursError, parse
from storage.trusted_addresses.phones import display_phone

KEY = "hotline"
PLACE = "PLACE"
# In user_data: where the last /hotline began ({"chat": id, "from": message id}),
# and once a receipt offers to clear it, that receipt's id ("receipt").
VISIT = "visit"
MAX_VISIT_MESSAGES = 150  # further back than this is not "the same visit"
CLEAR = "rp:clear"  # "rp:": handled like /report's buttons (no users row is written)
MAX_ADDRESSES = 5
NEAR_KM = 100.0


# Rendering.
def hotline_line(t: Translator, hotline: hotlines.HotlineView) -> str:
    # The number stands alone, unformatted, so that Telegram links it for calling.
    return f"📞 {display_phone(hotline.number)} — {esc(hotline.description(t.lang))}"


def hotlines_text(t: Translator, found: list[hotlines.HotlineView]) -> str:
    title = t("National hotlines")
    lines = [f"<b>{esc(title)}</b>"]
    lines += [hotline_line(t, h) for h in found]
    return "\n".join(lines)


def hours_text(t: Translator, stored: str) -> str:
    """``mon-fri 07:30-17:00`` in the reader's language: ``Th 2–Th 6 07:30–17:00``."""
    try:
        hours = parse(stored)
    except HoursError:
        return esc(stored)
    if hours.always:
        return t("Open 24/7")
    if not hours.rules:
        return t("Opening hours not known")
    names = get_day_names("abbreviated", locale=t.locale)
    parts = []
    for rule in hours.rules:
        groups: list[list[int]] = []
        for day in rule.days:
            if groups and groups[-1][-1] == day - 1:
                groups[-1].append(day)
            else:
                groups.append([day])
        days = ", ".join(
            names[g[0]] if len(g) == 1 else f"{names[g[0]]}–{names[g[-1]]}" for g in groups
        )
        spans = ", ".join(
            f"{s // 60:02d}:{s % 60:02d}–{e // 60:02d}:{e % 60:02d}" for s, e in rule.spans
        )
        parts.append(f"{days} {spans}")
    return "; ".join(parts)


def address_card(
    t: Translator, view: AddressView, local_now: datetime, km: float | None = None
) -> str:
    """One trusted address, as people read it in a list."""
    state = view.is_open(local_now)
    if state is True:
        status = t("🟢 open now")
    elif state is False:
        status = t("🔴 closed now")
    else:
        status = ""
    head = f"🏠 <b>{esc(view.name)}</b>"
    if km is not None:
        distance = t("{km} km").format(km=t.number(round(km, 1)))
        head += f" ({esc(distance)})"
    lines = [head + (f" — {status}" if status else "")]
    if view.address:
        lines.append(f"📍 {esc(view.address)}")
    for phone in view.phones:
        lines.append(f"📞 {display_phone(phone)}")
    lines.append(f"🕘 {esc(hours_text(t, view.hours))}")
    if view.services:
        services = ", ".join(t(SERVICE_NAMES[s]) for s in view.services)
        lines.append(esc(t("Services: {services}").format(services=services)))
    return "\n".join(lines)


def addresses_text(
    t: Translator,
    found: list[tuple[AddressView, float | None]],
    local_now: datetime,
    title: str,
) -> str:
    lines = [f"<b>{esc(title)}</b>"]
    for view, km in found[:MAX_ADDRESSES]:
        lines += ["", address_card(t, view, local_now, km)]
    return "\n".join(lines)


def local_now(context: BotContext) -> datetime:
    services = context.services
    return services.clock().astimezone(services.settings.zone)


def location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t("📍 Share my location"), request_location=True)], [t("Skip")]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def _send(update: Update, text: str, markup: Any = None) -> None:
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, reply_markup=markup)


# The visit before a report.
def note_visit(update: Update, context: BotContext) -> None:
    message, data = update.effective_message, context.user_data
    if message is not None and data is not None:
        data[VISIT] = {"chat": message.chat_id, "from": message.message_id}


def clear_offer(update: Update, context: BotContext) -> InlineKeyboardMarkup | None:
    """For a report's receipt: a button that erases the /hotline exchange
    (and a location shared in it) that came just before, if there was one."""
    visit = (context.user_data or {}).get(VISIT)
    message = update.effective_message
    if not isinstance(visit, dict) or message is None or visit.get("chat") != message.chat_id:
        return None
    if not 0 < message.message_id - int(visit.get("from", 0)) <= MAX_VISIT_MESSAGES:
        return None
    return keyboard([[(context.t("🧹 Clear earlier messages"), CLEAR)]])


def offered(context: BotContext, receipt_id: int) -> None:
    visit = (context.user_data or {}).get(VISIT)
    if isinstance(visit, dict):
        visit["receipt"] = receipt_id


async def clear_visit(update: Update, context: BotContext) -> None:
    """The receipt's button: delete every message from the start of the
    visit up to the receipt, which stays (it holds the code)."""
    from handlers.report.discreet import delete_ids  # the report's deletion path

    query = update.callback_query
    assert query is not None
    visit = (context.user_data or {}).pop(VISIT, None)
    message = query.message
    if (
        isinstance(visit, dict)
        and message is not None
        and visit.get("receipt") == message.message_id
        and visit.get("chat") == message.chat.id
    ):
        first = int(visit["from"])
        await delete_ids(context.bot, message.chat.id, list(range(first, message.message_id)))
    await query.answer(context.t("Done."))
    if message is not None:
        with contextlib.suppress(TelegramError):  # already without it
            await query.edit_message_reply_markup(None)
    raise ApplicationHandlerStop


async def numbers_text(context: BotContext) -> str:
    """The national hotlines, as /hotline sends them (also in the middle of any step)."""
    async with context.services.sessions.begin() as session:
        await hotlines.ensure_seeded(session, context.services.clock())
        found = await hotlines.listing(session)
    return hotlines_text(context.t, found)


async def own_place(context: BotContext) -> int | None:
    """The commune or village of a registered user's profile (None: unknown,
    or only a province)."""
    profile = context.profile
    if profile is None or not profile.is_active or profile.unit_id is None:
        return None
    async with context.services.sessions() as session:
        unit = await session.get(Unit, profile.unit_id)
    if unit is None or unit.level is UnitLevel.PROVINCE:
        return None
    return unit.id


async def hotline_texts(context: BotContext) -> list[str]:
    """What /hotline answers at once: the national numbers and, when the
    user's area is known from their profile, its trusted addresses. Also
    sent for /hotline in the middle of any step (``kit.fallbacks``)."""
    texts = [await numbers_text(context)]
    unit_id = await own_place(context)
    if unit_id is not None:
        texts.append(await place_text(context, unit_id))
    return texts


# The conversation.
async def start(update: Update, context: BotContext) -> str | int:
    note_visit(update, context)
    drop_draft(context, KEY)
    texts = await hotline_texts(context)
    for index, text in enumerate(texts):
        last = index == len(texts) - 1 and len(texts) > 1
        await _send(update, text, ReplyKeyboardRemove() if last else None)
    if len(texts) > 1:
        return ConversationHandler.END
    return await ask_place(update, context)


async def start_pressed(update: Update, context: BotContext) -> str | int:
    """The 📞 button (after "I only need hotlines or to report")."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    return await start(update, context)


async def ask_place(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = PLACE
    t = context.t
    await _send(
        update,
        t(
            "To see the trusted addresses near you, share your location, or type the name of your commune or ward."
        ),
        location_keyboard(t),
    )
    return PLACE


async def place_text(context: BotContext, unit_id: int) -> str:
    """The trusted addresses of a commune or village, or that none is listed."""
    t = context.t
    async with context.services.sessions() as session:
        unit = await session.get(Unit, unit_id)
        found = await trusted_addresses.for_place(session, unit_id)
        place = await units.describe(session, unit) if unit is not None else ""
    if not found:
        return t(
            "No trusted address is listed for {place} yet. The national hotlines above can help at any time."
        ).format(place=esc(place))
    title = t("Trusted addresses for {place}").format(place=place)
    pairs: list[tuple[AddressView, float | None]] = [(v, None) for v in found]
    return addresses_text(t, pairs, local_now(context), title)


async def show_place(update: Update, context: BotContext, unit_id: int) -> None:
    await _send(update, await place_text(context, unit_id), ReplyKeyboardRemove())


async def location_shared(update: Update, context: BotContext) -> str | int:
    t = context.t
    message = update.effective_message
    assert message is not None and message.location is not None
    async with context.services.sessions() as session:
        found = await trusted_addresses.nearest(
            session, message.location.latitude, message.location.longitude, max_km=NEAR_KM
        )
    if not found:
        await _send(
            update,
            t(
                "No trusted address with a known location is within {km} km. Type the name of your commune instead."
            ).format(km=int(NEAR_KM)),
        )
        return PLACE
    pairs: list[tuple[AddressView, float | None]] = [(v, km) for v, km in found]
    title = t("Trusted addresses near you")
    await _send(update, addresses_text(t, pairs, local_now(context), title), ReplyKeyboardRemove())
    drop_draft(context, KEY)
    return ConversationHandler.END


async def place_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    text = text_of(update)
    if text.strip() == t("Skip"):
        drop_draft(context, KEY)
        await _send(update, t("Send /hotline again at any time."), ReplyKeyboardRemove())
        return ConversationHandler.END
    async with context.services.sessions() as session:
        hits = await units.search(session, text, level=UnitLevel.COMMUNE)
    if not hits:
        await _send(
            update,
            t("No commune or ward matches “{text}”. Check the spelling and type it again.").format(
                text=esc(text[:60])
            ),
        )
        return PLACE
    rows = [[(f"{h.name} — {h.province_name}", f"hl:{h.id}")] for h in hits]
    await _send(update, t("Which one?"), keyboard(rows))
    return PLACE


async def place_chosen(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.split(":", 1)[1]
    async with context.services.sessions() as session:
        unit = await session.get(Unit, int(raw)) if raw.isdigit() else None
    if unit is None or unit.level is UnitLevel.PROVINCE:
        await query.answer(context.t("That button is no longer valid."))
        return await ask_place(update, context)
    await settle(query, unit.name)
    await show_place(update, context, unit.id)
    drop_draft(context, KEY)
    return ConversationHandler.END


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {PLACE: ask_place}
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[Any]] = {
        PLACE: [
            MessageHandler(filters.LOCATION, location_shared),
            CallbackQueryHandler(place_chosen, pattern=r"^hl:\d+$"),
            MessageHandler(text, place_typed),
            *guards(ask_place, expects_text=True),
        ],
    }
    return ConversationHandler(
        entry_points=[
            CommandHandler("hotline", start),
            CallbackQueryHandler(start_pressed, pattern=r"^menu:hotline$"),
        ],
        states=states,
        fallbacks=fallbacks(KEY, steps, restart=CommandHandler("hotline", start)),
        name="hotline",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    # Group -1: the receipt's button works whatever conversation is open.
    application.add_handler(CallbackQueryHandler(clear_visit, pattern=rf"^{CLEAR}$"), group=-1)
    conversation = build()
    application.add_handler(conversation)
    # "Where are you?" is optional: any command answers as if it had not been asked.
    optional_question(application, conversation, KEY)
