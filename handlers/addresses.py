"""/addresses: coordinators keep the trusted-address directory (danh bạ địa
chỉ tin cậy) of their area: list, add, edit, deactivate, confirm. A new entry
asks its name and places, then shows a card where every field can be set;
nothing is stored before "Save".

Also the answers to the monthly question to staff ("still correct?"), which
work from any state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
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
from bot.i18n import Translator
from handlers.flow import draft, drop_draft
from handlers.hotline import address_card, hours_text, local_now
from handlers.kit import (
    BUTTONS,
    Ask,
    fallbacks,
    guards,
    pressed_data,
    read_choices,
    remember_buttons,
    route,
    typed_button,
)
from handlers.ui import columns, esc, keyboard, reply, settle, text_of
from storage import trusted_addresses as directory
from storage import units
from storage.incidents.labels import SERVICE_NAMES
from storage.models import AddressService, Unit, UnitLevel, User
from storage.text import clean_name, search_key, starts_like_formula
from storage.trusted_addresses.hours import HoursError, normalise
from storage.trusted_addresses.phones import display_phone, normalise_phone

KEY = "addr"
LIST, VIEW, NAME, PLACES, ADDRESS, PHONES, HOURS, SERVICES, STAFF, LOCATION, FORM = (
    "LIST",
    "VIEW",
    "NAME",
    "PLACES",
    "ADDRESS",
    "PHONES",
    "HOURS",
    "SERVICES",
    "STAFF",
    "LOCATION",
    "FORM",
)
MAX_LISTED = 20
CLEAR = "-"
Step = Callable[[Update, BotContext], Awaitable[str]]


def _state(context: BotContext) -> dict[str, Any]:
    return draft(context, KEY)


async def _ask(update: Update, context: BotContext, step: str, question: str) -> str:
    _state(context)["step"] = step
    await reply(update, question)
    return step


def _data(update: Update) -> list[str]:
    data = pressed_data(update)  # pressed, or its label typed
    assert data is not None
    return data.split(":")


def _remembered(context: BotContext) -> object:
    """The buttons of the last question, for a label typed (``kit.guards``)."""
    return _state(context).get(BUTTONS)


async def _show(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Send a question; its buttons can also be answered by typing their labels."""
    remember_buttons(_state(context), markup)
    await reply(update, text, markup)


def _problem_text(t: Translator, code: str, detail: str) -> str:
    texts = {
        "name": t("The name is empty or too long."),
        "address": t("The address is too long (at most 300 characters)."),
        "phone": t("“{detail}” is not a phone number."),
        "phones": t("At most {detail} phone numbers."),
        "hours": t("Opening hours not understood: “{detail}”."),
        "no_units": t("Choose at least one commune or village."),
        "units": t("At most {detail} places."),
        "unit": t("A place is not a commune or village."),
        "staff_count": t("At most {detail} staff."),
        "staff": t("A staff member is not registered as trusted-address staff."),
        "location": t("The location is not valid."),
    }
    return texts.get(code, code).format(detail=esc(detail))


# Entry and list.
async def start(update: Update, context: BotContext) -> str | int:
    profile = context.profile
    if profile is None or not profile.is_coordinator:
        await reply(update, context.t("Only coordinators can manage trusted addresses."))
        return ConversationHandler.END
    drop_draft(context, KEY)
    return await ask_list(update, context)


async def ask_list(update: Update, context: BotContext, search: str | None = None) -> str:
    state = _state(context)
    state["step"] = LIST
    t = context.t
    profile = context.profile
    assert profile is not None
    services = context.services
    async with services.sessions() as session:
        found = await directory.in_area(session, profile.unit_path, include_inactive=True)
    if search:
        key = search_key(search)
        found = [v for v in found if key in search_key(v.name)]
    now = services.clock()
    rows = []
    for view in found[:MAX_LISTED]:
        mark = "🚫 " if not view.active else "⚠️ " if view.stale(now) else "🏠 "
        rows.append([(f"{mark}{view.name}"[:60], f"ad:view:{view.id}")])
    rows.append([(t("➕ Add a trusted address"), "ad:new")])
    text = t("<b>Trusted addresses in your area</b>: {n}").format(n=len(found))
    if any(v.active and v.stale(now) for v in found):
        text += "\n" + t("⚠️ marks entries not confirmed for 60 days: they may be out of date.")
    if len(found) > MAX_LISTED:
        text += "\n" + t("Not all are shown; type part of a name to search.")
    await _show(update, context, text, keyboard(rows))
    return LIST


async def list_typed(update: Update, context: BotContext) -> str:
    if typed_button(update, _remembered(context)) is not None:  # an entry's name, or "Add"
        return str(await _list_press(update, context))
    return await ask_list(update, context, text_of(update)[:80])


async def list_back(update: Update, context: BotContext) -> str:
    if update.callback_query is not None:
        await settle(update.callback_query)
    return await ask_list(update, context)


# One entry.
async def view_chosen(update: Update, context: BotContext) -> str:
    parts = _data(update)
    address_id = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    return await show_entry(update, context, address_id)


async def show_entry(
    update: Update, context: BotContext, address_id: int, *, answered: bool = False
) -> str:
    """The entry's card; ``answered``: the pressed button was already answered."""
    t = context.t
    profile = context.profile
    assert profile is not None
    async with context.services.sessions() as session:
        view = await directory.get(session, address_id)
        allowed = view is not None and await directory.may_manage(session, profile, address_id)
    if view is None or not allowed:
        if update.callback_query is not None and not answered:
            await update.callback_query.answer(t("That button is no longer valid."))
        return await ask_list(update, context)
    if update.callback_query is not None and not answered:
        await settle(update.callback_query)
    state = _state(context)
    state.update(step=VIEW, id=view.id)
    now = context.services.clock()
    lines = [address_card(t, view, local_now(context))]
    lines.append(esc(t("Places: {places}").format(places=", ".join(u.name for u in view.units))))
    staff = ", ".join(s.name for s in view.staff) or t("none")
    lines.append(esc(t("Staff on the bot: {staff}").format(staff=staff)))
    lines.append(
        esc(
            t("Last confirmed: {date}").format(
                date=t.date(view.confirmed_at.astimezone(context.services.settings.zone).date())
            )
        )
    )
    if not view.active:
        lines.append(t("🚫 Deactivated: not listed and not alerted."))
    elif view.stale(now):
        lines.append(t("⚠️ Not confirmed for 60 days: it may be out of date."))
    toggle = (
        (t("🚫 Deactivate"), f"ad:off:{view.id}")
        if view.active
        else (t("✅ Reactivate"), f"ad:on:{view.id}")
    )
    rows = [
        [(t("✏️ Edit"), f"ad:edit:{view.id}"), toggle],
        [(t("✅ Confirm it is correct"), f"ad:ok:{view.id}")],
        [(t("◀ Back to the list"), "ad:list")],
    ]
    await _show(update, context, "\n".join(lines), keyboard(rows))
    return VIEW


async def entry_action(update: Update, context: BotContext) -> str:
    t = context.t
    parts = _data(update)
    action, raw = parts[1], parts[2] if len(parts) > 2 else ""
    address_id = int(raw) if raw.isdigit() else 0
    profile = context.profile
    assert profile is not None
    services = context.services
    if action == "edit":
        async with services.sessions() as session:
            view = await directory.get(session, address_id)
            allowed = view is not None and await directory.may_manage(session, profile, address_id)
        if view is None or not allowed:
            return await ask_list(update, context)
        state = _state(context)
        state.clear()
        state.update(
            id=view.id,
            name=view.name,
            units=[u.id for u in view.units],
            address=view.address,
            phones=list(view.phones),
            hours=view.hours,
            services=[s.value for s in view.services],
            staff=[s.user_id for s in view.staff],
            lat=view.latitude,
            lon=view.longitude,
            active=view.active,
        )
        if update.callback_query is not None:
            await settle(update.callback_query, t("✏️ Edit"))
        return await ask_form(update, context)
    try:
        async with services.sessions.begin() as session:
            if action == "ok":
                await directory.confirm(session, profile, address_id, services.clock())
            else:
                await directory.set_active(
                    session, profile, address_id, action == "on", services.clock()
                )
    except (LookupError, directory.NotAllowed):
        return await ask_list(update, context)
    if update.callback_query is not None:
        await settle(update.callback_query, t("Saved."))
    return await show_entry(update, context, address_id, answered=True)


# Adding: name, then places, then the card.
async def new_chosen(update: Update, context: BotContext) -> str:
    state = _state(context)
    state.clear()
    state.update(id=None, units=[], phones=[], services=[], staff=[], hours="", address="")
    if update.callback_query is not None:
        await settle(update.callback_query, context.t("➕ Add a trusted address"))
    return await ask_name(update, context)


async def ask_name(update: Update, context: BotContext) -> str:
    question = context.t(
        "Type the name of the trusted address, for example “Trạm y tế xã Trà Bồng” or “Nhà chị Lan, thôn 3”:"
    )
    return await _ask(update, context, NAME, question)


async def name_typed(update: Update, context: BotContext) -> str:
    if starts_like_formula(text_of(update)):
        await reply(
            update,
            context.t(
                "A name cannot start with =, +, - or @ (a spreadsheet would read it as a formula). Please start with a letter or a digit."
            ),
        )
        return await ask_name(update, context)
    name = clean_name(text_of(update), directory.MAX_NAME)
    if name is None:
        await reply(update, context.t("A name has 1 to 200 characters. Please type it again."))
        return await ask_name(update, context)
    state = _state(context)
    state["name"] = name
    if not state.get("units"):
        return await ask_places(update, context)
    return await ask_form(update, context)


async def ask_places(update: Update, context: BotContext) -> str:
    state = _state(context)
    state["step"] = PLACES
    t = context.t
    async with context.services.sessions() as session:
        chosen = [u for u in [await session.get(Unit, i) for i in state.get("units", [])] if u]
    rows = [[(f"✖ {u.name}"[:60], f"ad:pl:rm:{u.id}")] for u in chosen]
    if chosen:
        rows.append([(t("Done ➜"), "ad:pl:done")])
    names = ", ".join(u.name for u in chosen) or t("none yet")
    text = t(
        "Which communes or villages does it cover? Type a name to add one. Chosen: {places}"
    ).format(places=esc(names))
    await _show(update, context, text, keyboard(rows) if rows else None)
    return PLACES


async def places_typed(update: Update, context: BotContext) -> str:
    t = context.t
    if typed_button(update, _remembered(context)) is not None:  # "Xong", or a place listed
        return await place_button(update, context)
    profile = context.profile
    assert profile is not None
    async with context.services.sessions() as session:
        own = await session.get(Unit, profile.unit_id) if profile.unit_id else None
        hits = [
            h
            for h in await units.search(session, text_of(update), within=own, limit=10)
            if h.level is not UnitLevel.PROVINCE
        ]
    if not hits:
        await reply(
            update, t("No commune or village in your area matches that name. Please type it again.")
        )
        return PLACES
    rows = []
    for h in hits:
        where = h.commune_name or h.province_name or ""
        rows.append([(f"{h.name} — {where}"[:60], f"ad:pl:add:{h.id}")])
    await _show(update, context, t("Which one?"), keyboard(rows))
    return PLACES


async def place_button(update: Update, context: BotContext) -> str:
    parts = _data(update)
    state = _state(context)
    chosen: list[int] = state.setdefault("units", [])
    profile = context.profile
    assert profile is not None
    query = update.callback_query
    if parts[2] == "done":
        if not chosen:
            return await ask_places(update, context)
        if query is not None:
            await settle(query)
        if state.get("name") is None:
            return await ask_name(update, context)
        return await ask_form(update, context)
    unit_id = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
    async with context.services.sessions() as session:
        unit = await session.get(Unit, unit_id)
    if unit is None or unit.level is UnitLevel.PROVINCE or not profile.covers(unit.path):
        if query is not None:
            await query.answer(context.t("That button is no longer valid."))
        return await ask_places(update, context)
    if parts[2] == "add" and unit.id not in chosen:
        chosen.append(unit.id)
    elif parts[2] == "rm" and unit.id in chosen:
        chosen.remove(unit.id)
    if query is not None:
        await settle(query)
    return await ask_places(update, context)


# The card.
async def ask_form(update: Update, context: BotContext) -> str:
    state = _state(context)
    state["step"] = FORM
    t = context.t
    async with context.services.sessions() as session:
        places = [u.name for u in [await session.get(Unit, i) for i in state.get("units", [])] if u]
        staff_names = []
        for user_id in state.get("staff", []):
            user = await session.get(User, user_id)
            if user is not None:
                staff_names.append(user.display_name)
    services = ", ".join(t(SERVICE_NAMES[AddressService(s)]) for s in state.get("services", []))
    location = (
        f"{state['lat']:.5f}, {state['lon']:.5f}" if state.get("lat") is not None else t("none")
    )
    none = t("none")
    lines = [
        f"<b>{esc(state.get('name') or '?')}</b>",
        esc(t("Places: {places}").format(places=", ".join(places) or none)),
        esc(t("Address: {address}").format(address=state.get("address") or none)),
        esc(
            t("Phones: {phones}").format(
                phones=", ".join(display_phone(p) for p in state.get("phones", [])) or none
            )
        ),
        esc(t("Opening hours: {hours}").format(hours=hours_text(t, state.get("hours", "")))),
        esc(t("Services: {services}").format(services=services or none)),
        esc(t("Staff on the bot: {staff}").format(staff=", ".join(staff_names) or none)),
        esc(t("Location: {location}").format(location=location)),
    ]
    buttons = [
        (t("Name"), "ad:f:name"),
        (t("Places"), "ad:f:places"),
        (t("Address"), "ad:f:address"),
        (t("Phones"), "ad:f:phones"),
        (t("Opening hours"), "ad:f:hours"),
        (t("Services"), "ad:f:services"),
        (t("Staff"), "ad:f:staff"),
        (t("Location"), "ad:f:location"),
    ]
    rows = columns([(f"✏️ {label}", data) for label, data in buttons], 2)
    rows.append([(t("💾 Save"), "ad:save"), (t("✖ Cancel"), "ad:list")])
    await _show(update, context, "\n".join(lines), keyboard(rows))
    return FORM


async def field_chosen(update: Update, context: BotContext) -> str:
    # The button of a field ("ad:f:phones") names its step in lower case.
    ask = FIELD_STEPS.get(_data(update)[2].upper())
    if update.callback_query is not None:
        await settle(update.callback_query)
    if ask is None:
        return await ask_form(update, context)
    return await ask(update, context)


async def ask_address(update: Update, context: BotContext) -> str:
    question = context.t("Type the address (street, village), or “-” for none:")
    return await _ask(update, context, ADDRESS, question)


async def address_typed(update: Update, context: BotContext) -> str:
    text = " ".join(text_of(update).split())
    if text != CLEAR and starts_like_formula(text):
        await reply(
            update,
            context.t(
                "An address cannot start with =, +, - or @ (a spreadsheet would read it as a formula). Please start with a letter or a digit."
            ),
        )
        return await ask_address(update, context)
    if len(text) > directory.MAX_ADDRESS:
        await reply(update, context.t("The address is too long (at most 300 characters)."))
        return await ask_address(update, context)
    _state(context)["address"] = "" if text == CLEAR else text
    return await ask_form(update, context)


async def ask_phones(update: Update, context: BotContext) -> str:
    question = context.t(
        "Type the phone numbers, separated by commas, for example “0255 3822 123, 0905 123 456”, or “-” for none:"
    )
    return await _ask(update, context, PHONES, question)


async def phones_typed(update: Update, context: BotContext) -> str:
    text = text_of(update).strip()
    phones = []
    for part in [] if text == CLEAR else text.replace(";", ",").split(","):
        if not part.strip():
            continue
        phone = normalise_phone(part)
        if phone is None:
            await reply(
                update,
                context.t("“{detail}” is not a phone number.").format(
                    detail=esc(part.strip()[:40])
                ),
            )
            return await ask_phones(update, context)
        phones.append(phone)
    if len(phones) > directory.MAX_PHONES:
        await reply(
            update, context.t("At most {detail} phone numbers.").format(detail=directory.MAX_PHONES)
        )
        return await ask_phones(update, context)
    _state(context)["phones"] = phones
    return await ask_form(update, context)


async def ask_hours(update: Update, context: BotContext) -> str:
    question = context.t(
        "Type the opening hours, for example “T2-T6 7:30-11:30, 13:30-17:00; T7 7:30-11:30”, or “24/7”, or “-” if not known:"
    )
    return await _ask(update, context, HOURS, question)


async def hours_typed(update: Update, context: BotContext) -> str:
    text = text_of(update).strip()
    try:
        hours = "" if text == CLEAR else normalise(text)
    except HoursError as exc:
        await reply(
            update,
            context.t("Opening hours not understood: “{detail}”.").format(
                detail=esc((exc.part or text)[:60])
            ),
        )
        return await ask_hours(update, context)
    _state(context)["hours"] = hours
    return await ask_form(update, context)


def _toggles(
    t: Translator, options: list[tuple[str, str]], chosen: list[str], prefix: str
) -> InlineKeyboardMarkup:
    buttons = [
        (("✅ " if value in chosen else "") + label, f"{prefix}:{value}")
        for value, label in options
    ]
    rows = columns(buttons, 2)
    rows.append([(t("Done ➜"), f"{prefix}:done")])
    return keyboard(rows)


async def _toggle_pressed(
    update: Update,
    context: BotContext,
    options: list[tuple[str, str]],
    *,
    field: str,
    prefix: str,
    step: str,
    again: Step,
    item: Callable[[str], object] = str,
) -> str:
    """A button of a ``_toggles`` keyboard: Done goes back to the card; an
    option is put into the draft's list ``field`` (as ``item(value)``) or
    taken out of it, and the keyboard is redrawn."""
    value = _data(update)[2]
    chosen: list[object] = _state(context).setdefault(field, [])
    query = update.callback_query
    if value == "done":
        if query is not None:
            await settle(query)
        return await ask_form(update, context)
    if value not in {v for v, _ in options}:
        return await again(update, context)
    picked = item(value)
    if picked in chosen:
        chosen.remove(picked)
    else:
        chosen.append(picked)
    if query is None:
        return await again(update, context)
    await query.answer()
    try:
        await query.edit_message_reply_markup(
            _toggles(context.t, options, [str(i) for i in chosen], prefix)
        )
    except BadRequest as exc:  # shown already: a press handled again after a crash
        if "not modified" not in exc.message.lower():
            raise
    return step


async def _toggles_typed(
    update: Update,
    context: BotContext,
    options: list[tuple[str, str]],
    *,
    field: str,
    again: Step,
    item: Callable[[str], object] = str,
) -> str:
    """Names typed at a ``_toggles`` keyboard ("tư vấn, y tế, xong"): each is
    chosen (a chosen one stays chosen); with Done typed too, back to the card."""
    t = context.t
    typed = read_choices(
        text_of(update),
        [(label, value) for value, label in options],
        done=[t("Done ➜")],
        partial=True,
    )
    if typed.unknown is not None or not (typed.picked or typed.done):
        await reply(
            update,
            t(
                "“{text}” is not one of the buttons below. Tap them, or type their names separated by commas, then “{done}”."
            ).format(text=esc((typed.unknown or text_of(update))[:40]), done=esc(t("Done"))),
        )
        return await again(update, context)
    chosen: list[object] = _state(context).setdefault(field, [])
    chosen += [item(v) for v in typed.picked if item(v) not in chosen]
    if typed.done:
        return await ask_form(update, context)
    return await again(update, context)


def _service_options(t: Translator) -> list[tuple[str, str]]:
    return [(s.value, t(name)) for s, name in SERVICE_NAMES.items()]


async def ask_services(update: Update, context: BotContext) -> str:
    state = _state(context)
    state["step"] = SERVICES
    t = context.t
    await _show(
        update,
        context,
        t("Which services does it offer? Tap to choose, then Done."),
        _toggles(t, _service_options(t), state.setdefault("services", []), "ad:sv"),
    )
    return SERVICES


async def service_button(update: Update, context: BotContext) -> str:
    return await _toggle_pressed(
        update,
        context,
        _service_options(context.t),
        field="services",
        prefix="ad:sv",
        step=SERVICES,
        again=ask_services,
    )


async def services_typed(update: Update, context: BotContext) -> str:
    return await _toggles_typed(
        update, context, _service_options(context.t), field="services", again=ask_services
    )


async def staff_typed(update: Update, context: BotContext) -> str:
    options = await _staff_options(context)
    return await _toggles_typed(update, context, options, field="staff", again=ask_staff, item=int)


async def _staff_options(context: BotContext) -> list[tuple[str, str]]:
    state = _state(context)
    async with context.services.sessions() as session:
        people = await directory.staff_candidates(session, state.get("units", []))
    return [(str(p.id), p.display_name or str(p.telegram_id)) for p in people]


async def ask_staff(update: Update, context: BotContext) -> str:
    state = _state(context)
    state["step"] = STAFF
    t = context.t
    options = await _staff_options(context)
    chosen = [str(i) for i in state.setdefault("staff", [])]
    if not options:
        await reply(
            update,
            t(
                "Nobody is registered as trusted-address staff in these communes yet. They can register with /start."
            ),
        )
        return await ask_form(update, context)
    await _show(
        update,
        context,
        t("Who works there? Their alerts will come to them. Tap to choose, then Done."),
        _toggles(t, options, chosen, "ad:st"),
    )
    return STAFF


async def staff_button(update: Update, context: BotContext) -> str:
    return await _toggle_pressed(
        update,
        context,
        await _staff_options(context),
        field="staff",
        prefix="ad:st",
        step=STAFF,
        again=ask_staff,
        item=int,
    )


async def ask_location(update: Update, context: BotContext) -> str:
    _state(context)["step"] = LOCATION
    t = context.t
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(
        t(
            "Share the location of the address with the button below (attach → Location), or type “-” to remove it."
        ),
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton(t("📍 Share a location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )
    return LOCATION


async def location_shared(update: Update, context: BotContext) -> str:
    message = update.effective_message
    assert message is not None and message.location is not None
    state = _state(context)
    state["lat"], state["lon"] = message.location.latitude, message.location.longitude
    return await _location_set(update, context)


async def location_typed(update: Update, context: BotContext) -> str:
    text = text_of(update).strip()
    state = _state(context)
    if text == CLEAR:
        state["lat"] = state["lon"] = None
    else:
        parts = text.replace(";", ",").split(",")
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            return await ask_location(update, context)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return await ask_location(update, context)
        state["lat"], state["lon"] = lat, lon
    return await _location_set(update, context)


async def _location_set(update: Update, context: BotContext) -> str:
    """Take the location keyboard away, and show the card again."""
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(
        context.t("Location saved in the card."), reply_markup=ReplyKeyboardRemove()
    )
    return await ask_form(update, context)


# The steps that set one field of the card.
FIELD_STEPS: dict[str, Step] = {
    NAME: ask_name,
    PLACES: ask_places,
    ADDRESS: ask_address,
    PHONES: ask_phones,
    HOURS: ask_hours,
    SERVICES: ask_services,
    STAFF: ask_staff,
    LOCATION: ask_location,
}


async def save(update: Update, context: BotContext) -> str | int:
    t = context.t
    state = _state(context)
    profile = context.profile
    assert profile is not None
    data = directory.AddressData(
        name=state.get("name") or "",
        unit_ids=list(state.get("units", [])),
        address=state.get("address") or "",
        phones=list(state.get("phones", [])),
        hours=state.get("hours") or "",
        services=[AddressService(s) for s in state.get("services", [])],
        staff_ids=list(state.get("staff", [])),
        latitude=state.get("lat"),
        longitude=state.get("lon"),
        active=state.get("active", True),
    )
    services = context.services
    try:
        async with services.sessions.begin() as session:
            if state.get("id"):
                entry = await directory.update(
                    session, profile, int(state["id"]), data, services.clock()
                )
            else:
                entry = await directory.create(session, profile, data, services.clock())
            address_id = entry.id
    except directory.InvalidAddress as exc:
        if update.callback_query is not None:
            await update.callback_query.answer()
        problems = "\n".join(f"• {_problem_text(t, c, d)}" for c, d in exc.problems)
        await reply(update, t("Not saved yet:") + "\n" + problems)
        return await ask_form(update, context)
    except (directory.NotAllowed, LookupError):
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, t("You cannot change trusted addresses outside your area."))
        return await ask_form(update, context)
    if update.callback_query is not None:
        await settle(update.callback_query, t("💾 Save"))
    await reply(update, t("✅ Saved."))
    drop_draft(context, KEY)
    return await show_entry(update, context, address_id, answered=True)


# The monthly question to staff (group -1).
async def check_answer(update: Update, context: BotContext) -> None:
    t = context.t
    query = update.callback_query
    assert query is not None and query.data is not None
    _, answer, raw = query.data.split(":")
    profile = context.profile
    if profile is None or not raw.isdigit():
        await query.answer(t("That button is no longer valid."))
        raise ApplicationHandlerStop
    if answer == "chg":
        await settle(query, t("✏️ Something changed"))
        await reply(
            update,
            t(
                "Thank you. Please tell your commune coordinator what changed; they can correct the entry with /addresses."
            ),
        )
        raise ApplicationHandlerStop
    services = context.services
    try:
        async with services.sessions.begin() as session:
            await directory.confirm(session, profile, int(raw), services.clock())
    except (LookupError, directory.NotAllowed):
        await query.answer(t("That button is no longer valid."))
        raise ApplicationHandlerStop from None
    await settle(query, t("✅ Still correct"))
    await reply(update, t("Thank you, the entry is confirmed."))
    raise ApplicationHandlerStop


_LIST_BUTTONS = [
    CallbackQueryHandler(view_chosen, pattern=r"^ad:view:\d+$"),
    CallbackQueryHandler(new_chosen, pattern=r"^ad:new$"),
]
_list_press = route(*_LIST_BUTTONS)


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {LIST: ask_list, FORM: ask_form, **FIELD_STEPS}
    text = filters.TEXT & ~filters.COMMAND
    back = CallbackQueryHandler(list_back, pattern=r"^ad:list$")
    entry = CallbackQueryHandler(entry_action, pattern=r"^ad:(edit|on|off|ok):\d+$")
    field = CallbackQueryHandler(field_chosen, pattern=r"^ad:f:[a-z]+$")
    saving = CallbackQueryHandler(save, pattern=r"^ad:save$")
    states: dict[object, list[Any]] = {
        LIST: [
            *_LIST_BUTTONS,
            MessageHandler(text, list_typed),
            *guards(ask_list),
        ],
        VIEW: [
            entry,
            back,
            *guards(ask_list, buttons_of=_remembered, press=route(entry, back)),
        ],
        NAME: [MessageHandler(text, name_typed), *guards(ask_name, expects_text=True)],
        PLACES: [
            CallbackQueryHandler(place_button, pattern=r"^ad:pl:(add:\d+|rm:\d+|done)$"),
            MessageHandler(text, places_typed),
            *guards(ask_places, expects_text=True),
        ],
        ADDRESS: [MessageHandler(text, address_typed), *guards(ask_address, expects_text=True)],
        PHONES: [MessageHandler(text, phones_typed), *guards(ask_phones, expects_text=True)],
        HOURS: [MessageHandler(text, hours_typed), *guards(ask_hours, expects_text=True)],
        SERVICES: [
            CallbackQueryHandler(service_button, pattern=r"^ad:sv:"),
            MessageHandler(text, services_typed),
            *guards(ask_services),
        ],
        STAFF: [
            CallbackQueryHandler(staff_button, pattern=r"^ad:st:"),
            MessageHandler(text, staff_typed),
            *guards(ask_staff),
        ],
        LOCATION: [
            MessageHandler(filters.LOCATION, location_shared),
            MessageHandler(text, location_typed),
            *guards(ask_location, expects_text=True),
        ],
        FORM: [
            field,
            saving,
            back,
            *guards(ask_form, buttons_of=_remembered, press=route(field, saving, back)),
        ],
    }
    return ConversationHandler(
        entry_points=[CommandHandler("addresses", start)],
        states=states,
        fallbacks=fallbacks(
            KEY, steps, restart=CommandHandler("addresses", start), saves_each_step=True
        ),
        name="addresses",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(
        CallbackQueryHandler(check_answer, pattern=r"^ta:(ok|chg):\d+$"), group=-1
    )
    application.add_handler(build())
