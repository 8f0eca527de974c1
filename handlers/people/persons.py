"""People under the coordinator's unit, page by page, and one person's
card: deactivate, reactivate, move, change role."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.i18n import Translator
from handlers.common import role_name
from handlers.flow import draft
from handlers.people.menu import ask_menu
from handlers.people.texts import (
    CARD,
    KEY,
    LIST,
    MAX_BUTTONS,
    PLACE,
    ROLE,
    args_of,
    number,
    own_unit,
    refusal,
    status_name,
)
from handlers.ui import Button, advance, esc, keyboard, reply, text_of
from storage import people, units
from storage.models import Role, UnitLevel, UserStatus
from storage.people import PeopleError, Person


# People, page by page.
async def ask_list(update: Update, context: BotContext) -> str:
    t = context.t
    state = draft(context, KEY)
    state["step"] = LIST
    offset = int(state.get("offset", 0))
    profile = context.profile
    assert profile is not None
    async with context.services.sessions() as session:
        page = await people.list_people(session, profile, offset=offset, limit=MAX_BUTTONS)
    if not page.people and offset > 0:
        state["offset"] = 0
        return await ask_list(update, context)
    if not page.people:
        await reply(update, t("Nobody is registered under your unit yet."))
        return await ask_menu(update, context)
    lines = [
        t("People {first}–{last} of {total}:").format(
            first=offset + 1, last=offset + len(page.people), total=page.total
        )
    ]
    rows: list[list[Button]] = []
    for position, person in enumerate(page.people, start=offset + 1):
        mark = "⛔ " if person.status is UserStatus.DEACTIVATED else ""
        lines.append(
            f"{position}. {mark}<b>{esc(person.display_name)}</b> — "
            f"{esc(role_name(t, person.role))}, {esc(person.place)}"
        )
        rows.append([(f"{position}. {mark}{person.display_name}"[:60], f"pp:p:{person.id}")])
    nav: list[Button] = []
    if offset > 0:
        nav.append((t("◀ Previous"), f"pp:list:{max(offset - MAX_BUTTONS, 0)}"))
    if offset + len(page.people) < page.total:
        nav.append((t("Next ▶"), f"pp:list:{offset + MAX_BUTTONS}"))
    if nav:
        rows.append(nav)
    rows.append([(t("◀ Back"), "pp:menu")])
    await reply(update, "\n".join(lines), keyboard(rows))
    return LIST


async def list_pressed(update: Update, context: BotContext) -> str:
    args = args_of(update)
    offset = number(args[1]) if len(args) > 1 else None
    draft(context, KEY)["offset"] = offset or 0
    return await advance(update, None, ask_list(update, context))


# One person.
async def _person(context: BotContext, user_id: int) -> Person | None:
    profile = context.profile
    assert profile is not None
    try:
        async with context.services.sessions() as session:
            return await people.get_person(session, profile, user_id)
    except PeopleError:
        return None


def _card_text(t: Translator, person: Person) -> str:
    last = t.date(person.last_activity) if person.last_activity else t("none yet")
    name = esc(person.display_name)
    if person.username:
        name += f" (@{esc(person.username)})"
    return "\n".join(
        [
            f"<b>{name}</b>",
            t("Role: {role}").format(role=esc(role_name(t, person.role))),
            t("Place: {place}").format(place=esc(person.place)),
            t("Status: {status}").format(status=esc(status_name(t, person.status))),
            t("Last activity: {date}").format(date=esc(last)),
        ]
    )


async def ask_card(update: Update, context: BotContext) -> str:
    t = context.t
    state = draft(context, KEY)
    person = await _person(context, int(state.get("person", 0)))
    if person is None:
        await reply(update, refusal(t, "not_found"))
        return await ask_list(update, context)
    state["step"] = CARD
    rows: list[list[Button]] = []
    if person.can_manage:
        if person.status is UserStatus.ACTIVE:
            rows.append([(t("⛔ Deactivate"), "pp:off")])
        else:
            rows.append([(t("✅ Reactivate"), "pp:on")])
        rows.append([(t("📍 Move"), "pp:mv"), (t("🎖 Change role"), "pp:rl")])
    rows.append([(t("◀ Back"), "pp:list")])
    await reply(update, _card_text(t, person), keyboard(rows))
    return CARD


async def person_pressed(update: Update, context: BotContext) -> str:
    args = args_of(update)
    user_id = number(args[1]) if len(args) > 1 else None
    if user_id is None or await _person(context, user_id) is None:
        return await ask_list(update, context)
    draft(context, KEY)["person"] = user_id
    return await advance(update, None, ask_card(update, context))


async def back_to_list(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_list(update, context))


async def active_pressed(update: Update, context: BotContext) -> str:
    t = context.t
    profile = context.profile
    assert profile is not None
    active = args_of(update)[0] == "on"
    user_id = int(draft(context, KEY).get("person", 0))
    try:
        async with context.services.sessions.begin() as session:
            person = await people.set_active(session, profile, user_id, active)
    except PeopleError as exc:
        await reply(update, refusal(t, exc.code))
        return await advance(update, None, ask_card(update, context))
    done = t("{name} is active again.") if active else t("{name} is deactivated.")
    await reply(update, done.format(name=esc(person.display_name)))
    return await advance(update, None, ask_card(update, context))


# Role.
def _grantable(context: BotContext) -> list[Role]:
    profile = context.profile
    assert profile is not None and profile.role is not None
    return [r for r in people.ROLE_LEVELS if profile.is_admin or r.rank < profile.role.rank]


async def ask_role(update: Update, context: BotContext) -> str:
    t = context.t
    draft(context, KEY)["step"] = ROLE
    rows = [[(role_name(t, r), f"pp:r:{r.value}")] for r in _grantable(context)]
    rows.append([(t("◀ Back"), "pp:card")])
    await reply(update, t("Which role?"), keyboard(rows))
    return ROLE


async def role_opened(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_role(update, context))


async def role_chosen(update: Update, context: BotContext) -> str:
    t = context.t
    args = args_of(update)
    role = next((r for r in _grantable(context) if len(args) > 1 and r.value == args[1]), None)
    if role is None:
        return await ask_role(update, context)
    profile = context.profile
    assert profile is not None
    state = draft(context, KEY)
    try:
        async with context.services.sessions.begin() as session:
            person = await people.change_role(session, profile, int(state.get("person", 0)), role)
    except PeopleError as exc:
        if exc.code == "wrong_level":
            # That role is held elsewhere in the tree: choose the place too.
            state["role"] = role.value
            await reply(update, t("That role is held at another level: choose the place too."))
            return await advance(update, role_name(t, role), ask_place(update, context))
        await reply(update, refusal(t, exc.code))
        return await advance(update, None, ask_role(update, context))
    await reply(
        update,
        t("{name} is now {role}.").format(
            name=esc(person.display_name), role=esc(role_name(t, person.role))
        ),
    )
    return await advance(update, role_name(t, role), ask_card(update, context))


# Place (moving someone, or the place of a new role).
async def ask_place(update: Update, context: BotContext) -> str:
    """The villages of the commune being looked at (the coordinator's own
    commune at first) and the commune itself; or type a name to search."""
    t = context.t
    state = draft(context, KEY)
    state["step"] = PLACE
    commune_id = state.get("commune")
    own = await own_unit(context)
    if commune_id is None and own is not None and own.level is UnitLevel.COMMUNE:
        commune_id = own.id
    rows: list[list[Button]] = []
    if isinstance(commune_id, int):
        async with context.services.sessions() as session:
            commune = await units.get_unit(session, commune_id)
            villages = await units.children(session, commune_id)
        if commune is not None:
            rows.append([(commune.name[:60], f"pp:u:{commune.id}")])
            rows += [[(v.name[:60], f"pp:u:{v.id}")] for v in villages[:30]]
    rows.append([(t("◀ Back"), "pp:card")])
    await reply(
        update,
        t("Where to? Choose a place, or type the name of a commune or village under yours:"),
        keyboard(rows),
    )
    return PLACE


async def move_opened(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state.pop("role", None)
    state.pop("commune", None)
    return await advance(update, None, ask_place(update, context))


async def place_typed(update: Update, context: BotContext) -> str:
    t = context.t
    text = text_of(update)
    own = await own_unit(context)
    profile = context.profile
    assert profile is not None
    within = None if profile.is_admin else own
    async with context.services.sessions() as session:
        hits = [
            *await units.search(session, text, level=UnitLevel.COMMUNE, within=within, limit=5),
            *await units.search(session, text, level=UnitLevel.VILLAGE, within=within, limit=5),
        ]
    if not hits:
        await reply(
            update,
            t("No place under your area matches “{text}”. Type it again.").format(
                text=esc(text[:40])
            ),
        )
        return await ask_place(update, context)
    rows: list[list[Button]] = []
    for hit in hits[:MAX_BUTTONS]:
        where = ", ".join(p for p in (hit.name, hit.commune_name, hit.province_name) if p)
        data = f"pp:c:{hit.id}" if hit.level is UnitLevel.COMMUNE else f"pp:u:{hit.id}"
        rows.append([(where[:60], data)])
    rows.append([(t("◀ Back"), "pp:card")])
    await reply(update, t("Which one?"), keyboard(rows))
    return PLACE


async def commune_opened(update: Update, context: BotContext) -> str:
    args = args_of(update)
    commune_id = number(args[1]) if len(args) > 1 else None
    if commune_id is not None:
        draft(context, KEY)["commune"] = commune_id
    return await advance(update, None, ask_place(update, context))


async def place_chosen(update: Update, context: BotContext) -> str:
    t = context.t
    args = args_of(update)
    unit_id = number(args[1]) if len(args) > 1 else None
    if unit_id is None:
        return await ask_place(update, context)
    profile = context.profile
    assert profile is not None
    state = draft(context, KEY)
    raw_role = state.get("role")
    role = next((r for r in Role if r.value == raw_role), None)
    user_id = int(state.get("person", 0))
    try:
        async with context.services.sessions.begin() as session:
            if role is not None:
                person = await people.change_role(session, profile, user_id, role, unit_id)
            else:
                person = await people.move_person(session, profile, user_id, unit_id)
    except PeopleError as exc:
        await reply(update, refusal(t, exc.code))
        return await advance(update, None, ask_place(update, context))
    state.pop("role", None)
    state.pop("commune", None)
    await reply(
        update,
        t("{name} is now {role} at {place}.").format(
            name=esc(person.display_name),
            role=esc(role_name(t, person.role)),
            place=esc(person.place),
        ),
    )
    return await advance(update, person.place.split(",")[0], ask_card(update, context))


async def back_to_card(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state.pop("role", None)
    state.pop("commune", None)
    return await advance(update, None, ask_card(update, context))
