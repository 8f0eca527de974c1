"""Registration (/start): language → role → province → commune → village →
confirm; the request goes to the coordinators who decide. ``/start CODE``
redeems an invitation at once."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.i18n import available_languages, translator
from handlers import approval, menu
from handlers.common import language_keyboard, role_name
from handlers.flow import draft, drop_draft
from handlers.kit import BUTTONS, Ask, fallbacks, guards, pressed_data, remember_buttons
from handlers.ui import advance, columns, esc, keyboard, reply, settle, text_of
from scheduler.jobs import wake_sender
from storage import approvals, invites, registration, units, users
from storage.models import Role, UnitLevel, UserStatus
from storage.text import clean_name, fold, search_key, starts_like_formula

KEY = "reg"
LANG, ROLE, PROVINCE, COMMUNE, VILLAGE, VILLAGE_NEW, CONFIRM = (
    "LANG",
    "ROLE",
    "PROVINCE",
    "COMMUNE",
    "VILLAGE",
    "VILLAGE_NEW",
    "CONFIRM",
)
MAX_VILLAGE_BUTTONS = 24
MAX_VILLAGE_NAME = 80


def remembered(context: BotContext) -> object:
    """The buttons of the last question, for a label typed (``kit.guards``)."""
    return draft(context, KEY).get(BUTTONS)


def _query_data(update: Update) -> str:
    data = pressed_data(update)  # pressed, or its label typed
    assert data is not None
    return data


def _needs(role: Role) -> tuple[UnitLevel, ...]:
    return registration.ROLE_LEVELS[role]


# Entry.
async def start(update: Update, context: BotContext) -> str | int:
    t = context.t
    profile = context.profile
    assert profile is not None
    code = context.args[0] if context.args else None
    if code:
        return await _redeem(update, context, code)
    if profile.is_active:
        await reply(
            update,
            t("Welcome back! Send /help to see what you can do."),
            menu.main_menu(t, menu.audience_of(profile)),
        )
        return ConversationHandler.END
    if profile.status is UserStatus.PENDING:
        await reply(
            update,
            t(
                "Your registration request is waiting for a coordinator. You can send a new one below."
            ),
        )
    drop_draft(context, KEY)
    return await ask_language(update, context)


async def _redeem(update: Update, context: BotContext, code: str) -> int:
    t = context.t
    profile = context.profile
    assert profile is not None
    async with context.services.sessions.begin() as session:
        result = await invites.redeem(session, code, profile.id)
        place = await units.describe(session, result.unit) if result.unit else ""
    messages = {
        invites.Redeemed.UNKNOWN: t("This invitation link is not valid."),
        invites.Redeemed.EXPIRED: t(
            "This invitation link has expired. Ask your coordinator for a new one."
        ),
        invites.Redeemed.USED_UP: t("This invitation link has been used as many times as allowed."),
        invites.Redeemed.ALREADY_REGISTERED: t(
            "You are already registered. Send /help to see what you can do."
        ),
    }
    if result.outcome is invites.Redeemed.OK and result.invite is not None:
        text = t(
            "Welcome! You are registered as {role} at {place}. Send /help to see what you can do."
        )
        await reply(
            update,
            text.format(role=esc(role_name(context.t, result.invite.role)), place=esc(place)),
        )
    else:
        await reply(update, messages[result.outcome])
    return ConversationHandler.END


# Step 1: language.
async def ask_language(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = LANG
    t = context.t
    markup = keyboard(columns(language_keyboard("rl", context.language)))
    remember_buttons(draft(context, KEY), markup)
    await reply(
        update,
        t("Welcome to the gender equality and violence prevention bot. Choose your language:"),
        markup,
    )
    return LANG


async def language_chosen(update: Update, context: BotContext) -> str:
    code = _query_data(update).split(":", 1)[1]
    if code not in available_languages() or context.profile is None:
        return await ask_language(update, context)
    async with context.services.sessions.begin() as session:
        await users.set_language(session, context.profile.id, code)
    context.profile = replace(context.profile, language=code)
    return await advance(update, translator(code).language_name, ask_role(update, context))


# Step 2: role.
async def ask_role(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = ROLE
    t = context.t
    buttons = [(role_name(context.t, r), f"rr:{r.value}") for r in registration.REQUESTABLE_ROLES]
    rows = [[b] for b in buttons]
    rows.append([(t("I only need hotlines or to report"), "rr:none")])
    remember_buttons(draft(context, KEY), keyboard(rows))
    await reply(update, t("What is your role?"), keyboard(rows))
    return ROLE


async def role_chosen(update: Update, context: BotContext) -> str | int:
    value = _query_data(update).split(":", 1)[1]
    query = update.callback_query
    t = context.t
    if value == "none":
        if query is not None:
            await settle(query, t("I only need hotlines or to report"))
        drop_draft(context, KEY)
        await reply(
            update,
            t("You do not need to register for that. Choose below, or send /help at any time."),
            menu.help_buttons(t),
        )
        return ConversationHandler.END
    try:
        role = Role(value)
    except ValueError:
        return await ask_role(update, context)
    if role not in registration.REQUESTABLE_ROLES:
        return await ask_role(update, context)
    draft(context, KEY)["role"] = role.value
    return await advance(update, role_name(context.t, role), ask_province(update, context))


# Step 3: province.
async def ask_province(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = PROVINCE
    async with context.services.sessions() as session:
        found = await units.provinces(session)
    buttons = [(u.name, f"rp:{u.id}") for u in found]
    await reply(
        update,
        context.t("Choose your province, or type its name:"),
        keyboard(columns(buttons, 2)),
    )
    return PROVINCE


async def province_typed(update: Update, context: BotContext) -> str:
    text = text_of(update)
    async with context.services.sessions() as session:
        hits = await units.search(session, text, level=UnitLevel.PROVINCE)
    if not hits:
        await reply(
            update,
            context.t(
                "No province matches “{text}”. Check the spelling or choose from the list."
            ).format(text=esc(text[:60])),
        )
        return await ask_province(update, context)
    exact = [h for h in hits if search_key(h.name) == search_key(text)]
    if len(exact) == 1:  # the full name typed: chosen, no list of one to press
        return await _province_set(update, context, (exact[0].id, exact[0].name))
    await reply(
        update,
        context.t("Choose your province:"),
        keyboard([[(h.name, f"rp:{h.id}")] for h in hits]),
    )
    return PROVINCE


async def province_chosen(update: Update, context: BotContext) -> str:
    query = update.callback_query
    assert query is not None
    unit = await _unit_from(update, context, UnitLevel.PROVINCE)
    if unit is None:
        return await ask_province(update, context)
    return await _province_set(update, context, unit)


async def _province_set(update: Update, context: BotContext, unit: tuple[int, str]) -> str:
    state = draft(context, KEY)
    state.update(province=unit[0], commune=None, village=None, new_village=None)
    if UnitLevel.PROVINCE in _needs(Role(state["role"])):
        return await advance(update, unit[1], ask_confirm(update, context))
    return await advance(update, unit[1], ask_commune(update, context))


async def _unit_from(
    update: Update, context: BotContext, level: UnitLevel, parent: int | None = None
) -> tuple[int, str] | None:
    """The unit named by a pressed button, if it exists and fits the step."""
    try:
        unit_id = int(_query_data(update).split(":", 1)[1])
    except ValueError:
        return None
    async with context.services.sessions() as session:
        unit = await units.get_unit(session, unit_id)
    if unit is None or unit.level is not level or (parent is not None and unit.parent_id != parent):
        return None
    return unit.id, unit.name


# Step 4: commune.
async def ask_commune(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = COMMUNE
    t = context.t
    await reply(
        update,
        t("Type the name of your commune or ward (xã/phường), with or without accents:"),
        keyboard([[(t("◀ Change province"), "rb:province")]]),
    )
    return COMMUNE


async def commune_typed(update: Update, context: BotContext) -> str:
    t = context.t
    text = text_of(update)
    state = draft(context, KEY)
    async with context.services.sessions() as session:
        province = await units.get_unit(session, state["province"])
        assert province is not None
        hits = await units.search(session, text, level=UnitLevel.COMMUNE, within=province)
    if not hits:
        await reply(
            update,
            t(
                "No commune in {province} matches “{text}”. Check the spelling and type it again."
            ).format(province=esc(province.name), text=esc(text[:60])),
            keyboard([[(t("◀ Change province"), "rb:province")]]),
        )
        return COMMUNE
    exact = [h for h in hits if fold(h.name) == fold(text)]
    if len(exact) == 1:  # the name on a button typed in full ("xã trà bồng"): chosen
        return await _commune_set(update, context, (exact[0].id, exact[0].name))
    rows = [[(h.name, f"rc:{h.id}")] for h in hits]
    rows.append([(t("◀ Change province"), "rb:province")])
    await reply(update, t("Which one is yours?"), keyboard(rows))
    return COMMUNE


async def commune_chosen(update: Update, context: BotContext) -> str:
    query = update.callback_query
    assert query is not None
    state = draft(context, KEY)
    unit = await _unit_from(update, context, UnitLevel.COMMUNE, parent=state.get("province"))
    if unit is None:
        return await ask_commune(update, context)
    return await _commune_set(update, context, unit)


async def _commune_set(update: Update, context: BotContext, unit: tuple[int, str]) -> str:
    state = draft(context, KEY)
    state.update(commune=unit[0], village=None, new_village=None)
    if UnitLevel.VILLAGE in _needs(Role(state["role"])):
        return await advance(update, unit[1], ask_village(update, context))
    return await advance(update, unit[1], ask_confirm(update, context))


async def back_to_province(update: Update, context: BotContext) -> str:
    query = update.callback_query
    assert query is not None
    return await advance(update, None, ask_province(update, context))


# Step 5: village.
async def ask_village(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = VILLAGE
    t = context.t
    async with context.services.sessions() as session:
        villages = await units.children(session, state["commune"])
    rows = columns([(v.name, f"rv:{v.id}") for v in villages[:MAX_VILLAGE_BUTTONS]], 2)
    rows.append([(t("➕ My village is not listed"), "rv:new")])
    rows.append([(t("I work for the whole commune"), "rv:commune")])
    text = t("Choose your village (thôn, làng, tổ dân phố):")
    if len(villages) > MAX_VILLAGE_BUTTONS:
        text += "\n" + t("Not all villages are shown; type a name to search.")
    await reply(update, text, keyboard(rows))
    return VILLAGE


async def village_chosen(update: Update, context: BotContext) -> str:
    query = update.callback_query
    assert query is not None
    t = context.t
    state = draft(context, KEY)
    choice = _query_data(update).split(":", 1)[1]
    if choice == "new":
        return await advance(
            update, t("➕ My village is not listed"), ask_village_name(update, context)
        )
    typed = state.get("typed_village")
    if choice == "add" and isinstance(typed, str):
        state.update(village=None, new_village=typed)
        return await advance(
            update, t("➕ Add “{name}”").format(name=typed), ask_confirm(update, context)
        )
    if choice == "add":  # a stale button of a draft that no longer has the name
        return await ask_village_name(update, context)
    if choice == "commune":
        state.update(village=None, new_village=None)
        return await advance(
            update, t("I work for the whole commune"), ask_confirm(update, context)
        )
    unit = await _unit_from(update, context, UnitLevel.VILLAGE, parent=state.get("commune"))
    if unit is None:
        return await ask_village(update, context)
    state.update(village=unit[0], new_village=None)
    return await advance(update, unit[1], ask_confirm(update, context))


async def village_typed(update: Update, context: BotContext) -> str:
    t = context.t
    state = draft(context, KEY)
    async with context.services.sessions() as session:
        commune = await units.get_unit(session, state["commune"])
        assert commune is not None
        hits = await units.search(session, text_of(update), level=UnitLevel.VILLAGE, within=commune)
    exact = [h for h in hits if fold(h.name) == fold(text_of(update))]
    if len(exact) == 1:  # the name on a button typed in full: chosen
        state.update(village=exact[0].id, new_village=None)
        return await advance(update, exact[0].name, ask_confirm(update, context))
    rows = [[(h.name, f"rv:{h.id}")] for h in hits]
    # The name just typed can be added as it is, without typing it again.
    name = _village_name(text_of(update))
    state["typed_village"] = name
    if name is not None:
        rows.append([(t("➕ Add “{name}”").format(name=name), "rv:add")])
    rows.append([(t("➕ My village is not listed"), "rv:new")])
    await reply(
        update,
        t("Which one is yours?") if hits else t("No village with that name yet. You can add it."),
        keyboard(rows),
    )
    return VILLAGE


def _village_name(text: str) -> str | None:
    """``text`` as the name of a new village; None if it cannot be one."""
    return None if starts_like_formula(text) else clean_name(text, MAX_VILLAGE_NAME)


async def ask_village_name(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = VILLAGE_NEW
    await reply(
        update, context.t("Type the name of your village, for example “Thôn 3” or “Làng Mới”:")
    )
    return VILLAGE_NEW


async def village_name_typed(update: Update, context: BotContext) -> str:
    if starts_like_formula(text_of(update)):
        await reply(
            update,
            context.t(
                "A name cannot start with =, +, - or @ (a spreadsheet would read it as a formula). Please start with a letter or a digit."
            ),
        )
        return await ask_village_name(update, context)
    name = _village_name(text_of(update))
    if name is None:
        await reply(
            update,
            context.t(
                "A village name has 1 to {max} letters or digits. Please type it again."
            ).format(max=MAX_VILLAGE_NAME),
        )
        return await ask_village_name(update, context)
    draft(context, KEY).update(village=None, new_village=name)
    return await ask_confirm(update, context)


# Step 6: confirm and send.
async def ask_confirm(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = CONFIRM
    # Saved with this step, before "Send request" can be pressed: a press
    # handled twice (a crash, a redelivery) files one request.
    state.setdefault("key", uuid.uuid4().hex)
    t = context.t
    unit_id = state.get("village") or state.get("commune") or state["province"]
    async with context.services.sessions() as session:
        unit = await units.get_unit(session, unit_id)
        assert unit is not None
        place = await units.describe(session, unit)
    if state.get("new_village"):
        place = t("{village} (new), {place}").format(village=state["new_village"], place=place)
    text = t("<b>Please check your request</b>\nRole: {role}\nPlace: {place}").format(
        role=esc(role_name(t, Role(state["role"]))), place=esc(place)
    )
    await reply(
        update,
        text,
        keyboard([[(t("✅ Send request"), "rs:send")], [(t("↺ Start over"), "rs:restart")]]),
    )
    return CONFIRM


async def confirmed(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    assert query is not None
    t = context.t
    if _query_data(update) == "rs:restart":
        drop_draft(context, KEY)
        return await advance(update, t("↺ Start over"), ask_role(update, context))
    state = draft(context, KEY)
    profile = context.profile
    assert profile is not None
    await settle(query, t("✅ Send request"))
    unit_id = state.get("village") or state.get("commune") or state["province"]
    services = context.services
    async with services.sessions.begin() as session:
        filed = await approvals.submit(
            session,
            profile.id,
            Role(state["role"]),
            unit_id,
            services.clock(),
            approval.TEXTS,
            state.get("new_village"),
            key=state.get("key"),
        )
    drop_draft(context, KEY)
    wake_sender(context.application)
    delivered = filed.reached
    if delivered:
        await reply(
            update,
            t("Your request has been sent. You will get a message when a coordinator decides."),
        )
    else:
        await reply(
            update,
            t(
                "Your request is saved, but no coordinator can be reached right now. It will be decided as soon as one registers."
            ),
        )
    return ConversationHandler.END


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {
        LANG: ask_language,
        ROLE: ask_role,
        PROVINCE: ask_province,
        COMMUNE: ask_commune,
        VILLAGE: ask_village,
        VILLAGE_NEW: ask_village_name,
        CONFIRM: ask_confirm,
    }
    back = CallbackQueryHandler(back_to_province, pattern=r"^rb:province$")
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[Any]] = {
        LANG: [
            CallbackQueryHandler(language_chosen, pattern=r"^rl:"),
            *guards(ask_language, buttons_of=remembered, press=language_chosen),
        ],
        ROLE: [
            CallbackQueryHandler(role_chosen, pattern=r"^rr:"),
            *guards(ask_role, buttons_of=remembered, press=role_chosen),
        ],
        PROVINCE: [
            CallbackQueryHandler(province_chosen, pattern=r"^rp:"),
            MessageHandler(text, province_typed),
            *guards(ask_province, expects_text=True),
        ],
        COMMUNE: [
            CallbackQueryHandler(commune_chosen, pattern=r"^rc:"),
            back,
            MessageHandler(text, commune_typed),
            *guards(ask_commune, expects_text=True),
        ],
        VILLAGE: [
            CallbackQueryHandler(village_chosen, pattern=r"^rv:"),
            MessageHandler(text, village_typed),
            *guards(ask_village),
        ],
        VILLAGE_NEW: [
            MessageHandler(text, village_name_typed),
            *guards(ask_village_name, expects_text=True),
        ],
        CONFIRM: [
            CallbackQueryHandler(confirmed, pattern=r"^rs:(send|restart)$"),
            *guards(ask_confirm),
        ],
    }
    return ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states=states,
        fallbacks=fallbacks(KEY, steps, restart=CommandHandler("start", start)),
        name="registration",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(build())
