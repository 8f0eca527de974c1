"""Invitation links (/invite): a coordinator picks a role, a place under their
unit, an expiry and a number of uses, and gets a t.me link to share."""

from __future__ import annotations

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
from handlers.common import role_name
from handlers.flow import draft, drop_draft
from handlers.kit import BUTTONS, Ask, fallbacks, guards, pressed_data, remember_buttons
from handlers.ui import advance, esc, keyboard, reply, text_of
from storage import invites, registration, units
from storage.models import Role, Unit
from storage.registration import RegistrationError

KEY = "inv"
ROLE, PLACE, DAYS, USES = "ROLE", "PLACE", "DAYS", "USES"
DAY_CHOICES = (1, 7, 30)
USE_CHOICES = (1, 10, 50)


def _data(update: Update) -> str:
    data = pressed_data(update)  # pressed, or its label typed
    assert data is not None
    return data.split(":", 1)[1]


def _remembered(context: BotContext) -> object:
    """The buttons of the last question, for a label typed (``kit.guards``)."""
    return draft(context, KEY).get(BUTTONS)


async def start(update: Update, context: BotContext) -> str | int:
    profile = context.profile
    if profile is None or not invites.roles_an_actor_can_invite(profile):
        await reply(update, context.t("Only coordinators can create invitation links."))
        return ConversationHandler.END
    drop_draft(context, KEY)
    return await ask_role(update, context)


async def ask_role(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = ROLE
    assert context.profile is not None
    roles = invites.roles_an_actor_can_invite(context.profile)
    markup = keyboard([[(role_name(context.t, r), f"ir:{r.value}")] for r in roles])
    remember_buttons(draft(context, KEY), markup)
    await reply(update, context.t("Which role will the invited people have?"), markup)
    return ROLE


async def role_chosen(update: Update, context: BotContext) -> str:
    assert context.profile is not None
    try:
        role = Role(_data(update))
    except ValueError:
        return await ask_role(update, context)
    if role not in invites.roles_an_actor_can_invite(context.profile):
        return await ask_role(update, context)
    draft(context, KEY)["role"] = role.value
    return await advance(update, role_name(context.t, role), ask_place(update, context))


async def _own_unit(context: BotContext) -> Unit | None:
    assert context.profile is not None
    if context.profile.unit_id is None:
        return None
    async with context.services.sessions() as session:
        return await units.get_unit(session, context.profile.unit_id)


async def ask_place(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = PLACE
    t = context.t
    role = Role(state["role"])
    own = await _own_unit(context)
    rows = []
    if own is not None and own.level in registration.ROLE_LEVELS[role]:
        rows.append([(own.name, f"iu:{own.id}")])
    await reply(
        update,
        t("Where? Choose your own unit or type the name of a place under it:"),
        keyboard(rows) if rows else None,
    )
    return PLACE


async def place_typed(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    role = Role(state["role"])
    own = await _own_unit(context)
    hits = []
    async with context.services.sessions() as session:
        for level in registration.ROLE_LEVELS[role]:
            hits += await units.search(session, text_of(update), level=level, within=own)
    if not hits:
        await reply(
            update, context.t("No place under your unit matches that name. Please type it again.")
        )
        return PLACE
    rows = [
        [(", ".join(p for p in (h.name, h.commune_name, h.province_name) if p), f"iu:{h.id}")]
        for h in hits[:8]
    ]
    await reply(update, context.t("Which one?"), keyboard(rows))
    return PLACE


async def place_chosen(update: Update, context: BotContext) -> str:
    query = update.callback_query
    assert query is not None and context.profile is not None
    state = draft(context, KEY)
    try:
        unit_id = int(_data(update))
    except ValueError:
        return await ask_place(update, context)
    async with context.services.sessions() as session:
        unit = await units.get_unit(session, unit_id)
    if (
        unit is None
        or not context.profile.covers(unit.path)
        or unit.level not in registration.ROLE_LEVELS[Role(state["role"])]
    ):
        return await ask_place(update, context)
    state["unit"] = unit.id
    return await advance(update, unit.name, ask_days(update, context))


async def ask_days(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = DAYS
    t = context.t
    buttons = [(t.ngettext("{n} day", "{n} days", n).format(n=n), f"id:{n}") for n in DAY_CHOICES]
    remember_buttons(draft(context, KEY), keyboard([buttons]))
    await reply(update, t("How long will the link work?"), keyboard([buttons]))
    return DAYS


async def days_chosen(update: Update, context: BotContext) -> str:
    value = _data(update)
    if not value.isdigit() or int(value) not in DAY_CHOICES:
        return await ask_days(update, context)
    draft(context, KEY)["days"] = int(value)
    return await advance(update, value, ask_uses(update, context))


async def ask_uses(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = USES
    t = context.t
    buttons = [(str(n), f"in:{n}") for n in USE_CHOICES]
    await reply(
        update,
        t("How many people may use it? Choose or type a number from 1 to {max}.").format(
            max=invites.MAX_USES
        ),
        keyboard([buttons]),
    )
    return USES


async def uses_chosen(update: Update, context: BotContext) -> int | str:
    query = update.callback_query
    assert query is not None
    value = _data(update)
    if not value.isdigit():
        return await ask_uses(update, context)
    return await advance(update, value, _create(update, context, int(value)))


async def uses_typed(update: Update, context: BotContext) -> int | str:
    text = text_of(update).strip()
    if not text.isdigit() or not 1 <= int(text) <= invites.MAX_USES:
        await reply(
            update,
            context.t("Please type a whole number from 1 to {max}.").format(max=invites.MAX_USES),
        )
        return USES
    return await _create(update, context, int(text))


async def _create(update: Update, context: BotContext, uses: int) -> int:
    t = context.t
    state = draft(context, KEY)
    assert context.profile is not None
    try:
        async with context.services.sessions.begin() as session:
            unit = await units.get_unit(session, state["unit"])
            assert unit is not None
            invite = await invites.create(
                session, context.profile, Role(state["role"]), unit, state["days"], uses
            )
            place = await units.describe(session, unit)
    except RegistrationError:
        await reply(update, t("You cannot invite people for that role or place."))
        drop_draft(context, KEY)
        return ConversationHandler.END
    drop_draft(context, KEY)
    link = f"https://t.me/{context.bot.username}?start={invite.code}"
    text = t(
        "Invitation link for {role} at {place}, valid for {days} days and {uses} people:\n{link}"
    ).format(
        role=esc(role_name(t, invite.role)),
        place=esc(place),
        days=state["days"],
        uses=uses,
        link=esc(link),
    )
    await reply(update, text)
    return ConversationHandler.END


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {ROLE: ask_role, PLACE: ask_place, DAYS: ask_days, USES: ask_uses}
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[Any]] = {
        ROLE: [
            CallbackQueryHandler(role_chosen, pattern=r"^ir:"),
            *guards(ask_role, buttons_of=_remembered, press=role_chosen),
        ],
        PLACE: [
            CallbackQueryHandler(place_chosen, pattern=r"^iu:"),
            MessageHandler(text, place_typed),
            *guards(ask_place, expects_text=True),
        ],
        DAYS: [
            CallbackQueryHandler(days_chosen, pattern=r"^id:"),
            *guards(ask_days, buttons_of=_remembered, press=days_chosen),
        ],
        USES: [
            CallbackQueryHandler(uses_chosen, pattern=r"^in:"),
            MessageHandler(text, uses_typed),
            *guards(ask_uses, expects_text=True),
        ],
    }
    return ConversationHandler(
        entry_points=[CommandHandler("invite", start)],
        states=states,
        fallbacks=fallbacks(KEY, steps),
        name="invite",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(build())
