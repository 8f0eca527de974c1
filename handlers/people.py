"""People (/people): coordinators who never open the dashboard manage the
people and villages of their area here. Pending registration requests (with
the same approve and reject buttons as the approvers' message), the people
under their unit page by page, one person's card (deactivate, reactivate,
move, change role), and villages (rename, merge). The work and the
permission are in ``storage.people``.

Also here: a deactivated person is told so, politely, whatever they send
(except a violence report and the hotlines, which stay open to everyone);
their drafts are left as they were."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import BotContext
from bot.i18n import Translator
from handlers import hotline, report
from handlers.common import role_name
from handlers.flow import Ask, draft, drop_draft, fallbacks
from handlers.ui import Button, advance, esc, guards, keyboard, reply, settle, text_of
from storage import people, registration, units
from storage.models import Role, Unit, UnitLevel, UserStatus
from storage.people import PeopleError, Person

KEY = "people"
MENU, LIST, CARD, ROLE, PLACE, VILLAGES, VILLAGE, RENAME, MERGE, CONFIRM = (
    "MENU",
    "LIST",
    "CARD",
    "ROLE",
    "PLACE",
    "VILLAGES",
    "VILLAGE",
    "RENAME",
    "MERGE",
    "CONFIRM",
)
MAX_PENDING_SHOWN = 10
MAX_BUTTONS = 10
# Commands a deactivated person may still use: the violence report and the hotlines.
OPEN_COMMANDS = ("report", "exit", "hotline", "help", "language")


def _status_name(t: Translator, status: UserStatus) -> str:
    names = {
        UserStatus.ACTIVE: t("Active"),
        UserStatus.DEACTIVATED: t("Deactivated"),
    }
    return names.get(status, status.value)


def _refusal(t: Translator, code: str) -> str:
    """Why ``storage.people`` refused, as the user reads it."""
    reasons = {
        "not_found": t("That person or place is no longer there."),
        "not_allowed": t("That is outside what you can manage."),
        "role_too_high": t("You can only give a role below your own."),
        "wrong_level": t("That role is not held at that level (village, commune or province)."),
        "not_active": t("This person is not active."),
        "not_deactivated": t("This person is not deactivated."),
        "same_place": t("Nothing changes: it is already so."),
        "same_role": t("This person already has that role."),
        "bad_name": t("A village name has 1 to {max} letters or digits.").format(
            max=people.MAX_VILLAGE_NAME
        ),
        "name_taken": t(
            "Another village of the commune already has that name: merge them instead."
        ),
        "not_village": t("Only villages can be renamed or merged."),
        "different_commune": t("Only two villages of the same commune can be merged."),
        "same_village": t("Choose another village than this one."),
    }
    return reasons.get(code, t("That is outside what you can manage."))


def _age(t: Translator, age: timedelta) -> str:
    if age.days < 1:
        return t("today")
    if age.days == 1:
        return t("yesterday")
    return t("{days} days ago").format(days=age.days)


def _number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) <= 12 else None


def _data(update: Update) -> list[str]:
    query = update.callback_query
    assert query is not None and query.data is not None
    return query.data.split(":")[1:]


def approval_data(request_id: int, approve: bool) -> str:
    """The approvers' own button (``handlers.approval``), which decides and
    tells the applicant and the other approvers."""
    return f"ap:{request_id}:{'y' if approve else 'n'}"


# Entry and menu.
async def start(update: Update, context: BotContext) -> str | int:
    profile = context.profile
    if profile is None or not profile.is_coordinator:
        await reply(update, context.t("Only coordinators can manage people."))
        return ConversationHandler.END
    drop_draft(context, KEY)
    return await ask_menu(update, context)


async def ask_menu(update: Update, context: BotContext) -> str:
    t = context.t
    state = draft(context, KEY)
    state["step"] = MENU
    profile = context.profile
    assert profile is not None
    async with context.services.sessions() as session:
        pending = await people.count_pending(session, profile, context.services.clock())
        unit = await units.get_unit(session, profile.unit_id) if profile.unit_id else None
        place = await units.describe(session, unit) if unit else t("the whole country")
    rows = [
        [(t("📥 Pending requests ({n})").format(n=pending), "pp:req")],
        [(t("👥 People"), "pp:list:0")],
        [(t("🏘 Villages"), "pp:vil")],
        [(t("✖ Close"), "pp:close")],
    ]
    await reply(
        update, t("People and villages of {place}:").format(place=esc(place)), keyboard(rows)
    )
    return MENU


async def menu_pressed(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_menu(update, context))


async def close_pressed(update: Update, context: BotContext) -> int:
    drop_draft(context, KEY)
    return await advance(update, context.t("✖ Close"), _end())


async def _end() -> int:
    return ConversationHandler.END


# Pending requests: one message each, with the approvers' buttons.
async def requests_pressed(update: Update, context: BotContext) -> str:
    t = context.t
    profile = context.profile
    assert profile is not None and update.callback_query is not None
    await settle(update.callback_query)
    async with context.services.sessions() as session:
        pending = await people.pending_requests(session, profile, context.services.clock())
    if not pending:
        await reply(update, t("No registration request is waiting."))
        return await ask_menu(update, context)
    shown = pending[:MAX_PENDING_SHOWN]
    for number, request in enumerate(shown, start=1):
        text = t("{name} asks to be {role} at {place} ({age}).").format(
            name=esc(request.display_name),
            role=esc(role_name(t, request.role)),
            place=esc(request.place),
            age=_age(t, request.age),
        )
        rows: list[list[Button]] = [
            [
                (t("✅ Approve"), approval_data(request.id, True)),
                (t("❌ Reject"), approval_data(request.id, False)),
            ]
        ]
        if number == len(shown):
            rows.append([(t("◀ Back"), "pp:menu")])
        markup = keyboard(rows)
        chat = update.effective_chat
        assert chat is not None
        message = await chat.send_message(text, reply_markup=markup)
        # A copy like the one sent when the request came: once anyone
        # decides, every copy is updated.
        async with context.services.sessions.begin() as session:
            await registration.record_notice(
                session, request.id, profile.id, chat.id, message.message_id
            )
    if len(pending) > MAX_PENDING_SHOWN:
        await reply(
            update,
            t("{n} more are waiting: decide these first, then open the list again.").format(
                n=len(pending) - MAX_PENDING_SHOWN
            ),
        )
    return MENU


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
    for number, person in enumerate(page.people, start=offset + 1):
        mark = "⛔ " if person.status is UserStatus.DEACTIVATED else ""
        lines.append(
            f"{number}. {mark}<b>{esc(person.display_name)}</b> — "
            f"{esc(role_name(t, person.role))}, {esc(person.place)}"
        )
        rows.append([(f"{number}. {mark}{person.display_name}"[:60], f"pp:p:{person.id}")])
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
    args = _data(update)
    offset = _number(args[1]) if len(args) > 1 else None
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
            t("Status: {status}").format(status=esc(_status_name(t, person.status))),
            t("Last activity: {date}").format(date=esc(last)),
        ]
    )


async def ask_card(update: Update, context: BotContext) -> str:
    t = context.t
    state = draft(context, KEY)
    person = await _person(context, int(state.get("person", 0)))
    if person is None:
        await reply(update, _refusal(t, "not_found"))
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
    args = _data(update)
    user_id = _number(args[1]) if len(args) > 1 else None
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
    active = _data(update)[0] == "on"
    user_id = int(draft(context, KEY).get("person", 0))
    try:
        async with context.services.sessions.begin() as session:
            person = await people.set_active(session, profile, user_id, active)
    except PeopleError as exc:
        await reply(update, _refusal(t, exc.code))
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
    args = _data(update)
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
        await reply(update, _refusal(t, exc.code))
        return await advance(update, None, ask_role(update, context))
    await reply(
        update,
        t("{name} is now {role}.").format(
            name=esc(person.display_name), role=esc(role_name(t, person.role))
        ),
    )
    return await advance(update, role_name(t, role), ask_card(update, context))


# Place (moving someone, or the place of a new role).
async def _own_unit(context: BotContext) -> Unit | None:
    profile = context.profile
    assert profile is not None
    if profile.unit_id is None:
        return None
    async with context.services.sessions() as session:
        return await units.get_unit(session, profile.unit_id)


async def ask_place(update: Update, context: BotContext) -> str:
    """The villages of the commune being looked at (the coordinator's own
    commune at first) and the commune itself; or type a name to search."""
    t = context.t
    state = draft(context, KEY)
    state["step"] = PLACE
    commune_id = state.get("commune")
    own = await _own_unit(context)
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
    own = await _own_unit(context)
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
    args = _data(update)
    commune_id = _number(args[1]) if len(args) > 1 else None
    if commune_id is not None:
        draft(context, KEY)["commune"] = commune_id
    return await advance(update, None, ask_place(update, context))


async def place_chosen(update: Update, context: BotContext) -> str:
    t = context.t
    args = _data(update)
    unit_id = _number(args[1]) if len(args) > 1 else None
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
        await reply(update, _refusal(t, exc.code))
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


# Villages.
async def ask_villages(update: Update, context: BotContext) -> str:
    """The villages of the commune (the coordinator's own, or one typed)."""
    t = context.t
    state = draft(context, KEY)
    state["step"] = VILLAGES
    own = await _own_unit(context)
    commune_id = state.get("vcommune")
    if commune_id is None and own is not None and own.level is UnitLevel.COMMUNE:
        commune_id = state["vcommune"] = own.id
    profile = context.profile
    assert profile is not None
    if not isinstance(commune_id, int):
        await reply(
            update,
            t("Type the name of the commune whose villages you want to manage:"),
            keyboard([[(t("◀ Back"), "pp:menu")]]),
        )
        return VILLAGES
    try:
        async with context.services.sessions() as session:
            commune = await units.get_unit(session, commune_id)
            found = await people.villages(session, profile, commune_id)
    except PeopleError as exc:
        state.pop("vcommune", None)
        await reply(update, _refusal(t, exc.code))
        return await ask_menu(update, context)
    assert commune is not None
    rows = [[(v.name[:60], f"pp:v:{v.id}")] for v in found[:40]]
    rows.append([(t("◀ Back"), "pp:menu")])
    text = (
        t("Villages of {commune}: choose one to rename or merge it.")
        if found
        else t("{commune} has no villages yet. Add them with /villages.")
    )
    await reply(update, text.format(commune=esc(commune.name)), keyboard(rows))
    return VILLAGES


async def villages_opened(update: Update, context: BotContext) -> str:
    draft(context, KEY).pop("vcommune", None)
    return await advance(update, None, ask_villages(update, context))


async def commune_typed(update: Update, context: BotContext) -> str:
    t = context.t
    profile = context.profile
    assert profile is not None
    own = await _own_unit(context)
    async with context.services.sessions() as session:
        hits = await units.search(
            session,
            text_of(update),
            level=UnitLevel.COMMUNE,
            within=None if profile.is_admin else own,
        )
    if not hits:
        await reply(update, t("No place under your unit matches that name. Please type it again."))
        return await ask_villages(update, context)
    rows = [[(f"{h.name}, {h.province_name}"[:60], f"pp:vc:{h.id}")] for h in hits]
    rows.append([(t("◀ Back"), "pp:menu")])
    await reply(update, t("Which one?"), keyboard(rows))
    return VILLAGES


async def village_commune_chosen(update: Update, context: BotContext) -> str:
    args = _data(update)
    commune_id = _number(args[1]) if len(args) > 1 else None
    if commune_id is not None:
        draft(context, KEY)["vcommune"] = commune_id
    return await advance(update, None, ask_villages(update, context))


async def _village(context: BotContext) -> Unit | None:
    village_id = draft(context, KEY).get("village")
    if not isinstance(village_id, int):
        return None
    async with context.services.sessions() as session:
        village = await units.get_unit(session, village_id)
    profile = context.profile
    assert profile is not None
    if (
        village is None
        or not village.active
        or village.level is not UnitLevel.VILLAGE
        or not profile.covers(village.path)
    ):
        return None
    return village


async def ask_village(update: Update, context: BotContext) -> str:
    t = context.t
    village = await _village(context)
    if village is None:
        return await ask_villages(update, context)
    draft(context, KEY)["step"] = VILLAGE
    rows = [
        [(t("✏️ Rename"), "pp:rn"), (t("🔗 Merge"), "pp:mg")],
        [(t("◀ Back"), "pp:vil")],
    ]
    await reply(
        update, t("{name}: what do you want to do?").format(name=esc(village.name)), keyboard(rows)
    )
    return VILLAGE


async def village_pressed(update: Update, context: BotContext) -> str:
    args = _data(update)
    village_id = _number(args[1]) if len(args) > 1 else None
    draft(context, KEY)["village"] = village_id
    return await advance(update, None, ask_village(update, context))


async def back_to_villages(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_villages(update, context))


async def ask_rename(update: Update, context: BotContext) -> str:
    t = context.t
    village = await _village(context)
    if village is None:
        return await ask_villages(update, context)
    draft(context, KEY)["step"] = RENAME
    await reply(
        update,
        t("Type the new name of {name}, or /cancel to stop:").format(name=esc(village.name)),
    )
    return RENAME


async def rename_opened(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_rename(update, context))


async def name_typed(update: Update, context: BotContext) -> str:
    t = context.t
    profile = context.profile
    assert profile is not None
    village_id = draft(context, KEY).get("village")
    try:
        async with context.services.sessions.begin() as session:
            before = await units.get_unit(session, int(village_id or 0))
            old_name = before.name if before else ""
            village = await people.rename_village(
                session, profile, int(village_id or 0), text_of(update)
            )
    except PeopleError as exc:
        await reply(update, _refusal(t, exc.code) + " " + t("Please type it again."))
        return await ask_rename(update, context)
    await reply(
        update,
        t("Renamed {old} to {new}.").format(old=esc(old_name), new=esc(village.name)),
    )
    return await ask_village(update, context)


async def ask_merge(update: Update, context: BotContext) -> str:
    t = context.t
    village = await _village(context)
    if village is None:
        return await ask_villages(update, context)
    draft(context, KEY)["step"] = MERGE
    async with context.services.sessions() as session:
        siblings = [
            v for v in await units.children(session, village.parent_id or 0) if v.id != village.id
        ]
    if not siblings:
        await reply(update, t("This commune has no other village to merge with."))
        return await ask_village(update, context)
    rows = [[(v.name[:60], f"pp:m:{v.id}")] for v in siblings[:40]]
    rows.append([(t("◀ Back"), "pp:vb")])
    await reply(
        update,
        t(
            "Which village is the same place as {name}? {name} will be merged into it: its activities, people and everything else move there."
        ).format(name=esc(village.name)),
        keyboard(rows),
    )
    return MERGE


async def merge_opened(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_merge(update, context))


async def back_to_village(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_village(update, context))


async def merge_target_chosen(update: Update, context: BotContext) -> str:
    args = _data(update)
    keep_id = _number(args[1]) if len(args) > 1 else None
    village = await _village(context)
    if village is None:
        return await ask_villages(update, context)
    async with context.services.sessions() as session:
        keep = await units.get_unit(session, keep_id) if keep_id else None
    if keep is None or keep.parent_id != village.parent_id or keep.id == village.id:
        return await ask_merge(update, context)
    draft(context, KEY)["keep"] = keep.id
    return await advance(update, keep.name, ask_confirm(update, context))


async def ask_confirm(update: Update, context: BotContext) -> str:
    t = context.t
    state = draft(context, KEY)
    village = await _village(context)
    keep_id = state.get("keep")
    async with context.services.sessions() as session:
        keep = await units.get_unit(session, keep_id) if isinstance(keep_id, int) else None
    if village is None or keep is None or not keep.active:
        return await ask_villages(update, context)
    state["step"] = CONFIRM
    rows = [[(t("✅ Merge"), "pp:my"), (t("◀ Back"), "pp:mg")]]
    await reply(
        update,
        t(
            "Merge {drop} into {keep}? {drop} will no longer be listed. This cannot be undone here."
        ).format(drop=esc(village.name), keep=esc(keep.name)),
        keyboard(rows),
    )
    return CONFIRM


async def merge_confirmed(update: Update, context: BotContext) -> str:
    t = context.t
    profile = context.profile
    assert profile is not None
    state = draft(context, KEY)
    try:
        async with context.services.sessions.begin() as session:
            merged = await people.merge_villages(
                session, profile, int(state.get("keep", 0)), int(state.get("village", 0))
            )
            kept, dropped = merged.kept.name, merged.dropped.name
            activities = merged.moved.get("activities.unit_id", 0)
            moved_people = merged.moved.get("users.unit_id", 0)
    except PeopleError as exc:
        await reply(update, _refusal(t, exc.code))
        return await advance(update, None, ask_villages(update, context))
    state["village"] = state.pop("keep", None)
    await reply(
        update,
        t("Merged {drop} into {keep}: {activities} activities and {people} people moved.").format(
            drop=esc(dropped), keep=esc(kept), activities=activities, people=moved_people
        ),
    )
    return await advance(update, t("✅ Merge"), ask_villages(update, context))


def _back(data: str, handler: Any) -> CallbackQueryHandler[BotContext, Any]:
    return CallbackQueryHandler(handler, pattern=rf"^pp:{data}$")


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {
        MENU: ask_menu,
        LIST: ask_list,
        CARD: ask_card,
        ROLE: ask_role,
        PLACE: ask_place,
        VILLAGES: ask_villages,
        VILLAGE: ask_village,
        RENAME: ask_rename,
        MERGE: ask_merge,
        CONFIRM: ask_confirm,
    }
    text = filters.TEXT & ~filters.COMMAND
    menu = _back("menu", menu_pressed)
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]] = {
        MENU: [
            _back("req", requests_pressed),
            menu,
            CallbackQueryHandler(list_pressed, pattern=r"^pp:list:\d{1,6}$"),
            _back("vil", villages_opened),
            _back("close", close_pressed),
            *guards(ask_menu),
        ],
        LIST: [
            CallbackQueryHandler(list_pressed, pattern=r"^pp:list:\d{1,6}$"),
            CallbackQueryHandler(person_pressed, pattern=r"^pp:p:\d{1,12}$"),
            menu,
            *guards(ask_list),
        ],
        CARD: [
            CallbackQueryHandler(active_pressed, pattern=r"^pp:(on|off)$"),
            _back("mv", move_opened),
            _back("rl", role_opened),
            _back("list", back_to_list),
            *guards(ask_card),
        ],
        ROLE: [
            CallbackQueryHandler(role_chosen, pattern=r"^pp:r:[a-z_]{1,30}$"),
            _back("card", back_to_card),
            *guards(ask_role),
        ],
        PLACE: [
            CallbackQueryHandler(place_chosen, pattern=r"^pp:u:\d{1,12}$"),
            CallbackQueryHandler(commune_opened, pattern=r"^pp:c:\d{1,12}$"),
            _back("card", back_to_card),
            MessageHandler(text, place_typed),
            *guards(ask_place, expects_text=True),
        ],
        VILLAGES: [
            CallbackQueryHandler(village_pressed, pattern=r"^pp:v:\d{1,12}$"),
            CallbackQueryHandler(village_commune_chosen, pattern=r"^pp:vc:\d{1,12}$"),
            menu,
            MessageHandler(text, commune_typed),
            *guards(ask_villages, expects_text=True),
        ],
        VILLAGE: [
            _back("rn", rename_opened),
            _back("mg", merge_opened),
            _back("vil", back_to_villages),
            *guards(ask_village),
        ],
        RENAME: [MessageHandler(text, name_typed), *guards(ask_rename, expects_text=True)],
        MERGE: [
            CallbackQueryHandler(merge_target_chosen, pattern=r"^pp:m:\d{1,12}$"),
            _back("vb", back_to_village),
            *guards(ask_merge),
        ],
        CONFIRM: [
            _back("my", merge_confirmed),
            _back("mg", merge_opened),
            *guards(ask_confirm),
        ],
    }
    return ConversationHandler(
        entry_points=[CommandHandler("people", start)],
        states=states,
        fallbacks=fallbacks(KEY, steps),
        name="people",
        persistent=True,
        allow_reentry=True,
    )


# Deactivated people.
def _open_to_everyone(update: Update, context: BotContext) -> bool:
    """A violence report and the hotlines stay open to a deactivated person."""
    message = update.effective_message
    text = ""
    if message is not None and update.callback_query is None:
        text = message.text or ""
    if text.startswith("/"):
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return command in OPEN_COMMANDS
    data = context.user_data or {}
    return report.KEY in data or hotline.KEY in data


async def stop_deactivated(update: Update, context: BotContext) -> None:
    profile = context.profile
    if profile is None or profile.status is not UserStatus.DEACTIVATED:
        return
    if update.effective_chat is None or _open_to_everyone(update, context):
        return
    t = context.t
    text = t(
        "Your account has been deactivated by your coordinator, so the bot cannot take your reports for now. Nothing you entered is lost. Please contact your commune officer if you think this is a mistake. To report violence, send /report; for hotlines, /hotline."
    )
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, text)
    raise ApplicationHandlerStop


def register_guard(application: Application) -> None:  # type: ignore[type-arg]
    """Group -2: after the profile is loaded, before any button or conversation."""
    application.add_handler(TypeHandler(Update, stop_deactivated), group=-2)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(build())
