"""/log steps the plans ask of some kinds: who a training class was for, and
the communication products (leaflets, posters, panels, videos, handbooks) of
a campaign, a launch, an exhibition or a documented model; and, from the
summary card, the cost of any activity and its funding source."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from handlers.activities.draft import (
    AUDIENCE,
    COST,
    FUNDING,
    HELD_BY,
    PRODUCTS,
    advance_to_next,
    ask_step,
    explain_all,
    pressed,
    refuse_button,
    state_of,
    with_back,
)
from handlers.ui import columns, esc, keyboard, text_of
from storage import activities
from storage.activities import ActivityProblem
from storage.models.activities import AUDIENCE_CODES, FUNDING_CODES, PRODUCT_CODES
from storage.reports.labels import AUDIENCE_NAMES, FUNDING_NAMES, PRODUCT_NAMES, REGISTER_NAMES

AUDIENCE_BY_CODE = {code: audience for audience, code in AUDIENCE_CODES.items()}


# Audience of a training class.
async def ask_audience(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = AUDIENCE
    t = context.t
    rows = [[(t(AUDIENCE_NAMES[a]), f"lh:{code}")] for a, code in AUDIENCE_CODES.items()]
    await ask_step(update, context, t("Who was the class for?"), keyboard(with_back(context, rows)))
    return AUDIENCE


async def audience_chosen(update: Update, context: BotContext) -> str | int:
    audience = AUDIENCE_BY_CODE.get(pressed(update).split(":", 1)[1])
    if audience is None:
        await refuse_button(update, context)
        return await ask_audience(update, context)
    state_of(context)["audience"] = audience.value
    return await advance_to_next(update, context, context.t(AUDIENCE_NAMES[audience]))


async def audience_typed(update: Update, context: BotContext) -> str | int:
    try:
        audience = activities.parse_audience(text_of(update))
    except ActivityProblem as problem:
        await explain_all(update, context, [problem])
        return await ask_audience(update, context)
    state_of(context)["audience"] = audience.value
    return await advance_to_next(update, context, None)


# Communication products.
def products_help(context: BotContext) -> str:
    t = context.t
    names = ", ".join(f"{t(PRODUCT_NAMES[p])} ({code})" for p, code in PRODUCT_CODES.items())
    return t(
        "Which communication products were handed out, put up or shown, and how many? Type them, for example: tờ rơi 200, áp phích 10, pa nô 2.\nProducts: {names}"
    ).format(names=esc(names))


async def ask_products(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = PRODUCTS
    t = context.t
    rows = columns([(t("None ➡"), "lw:none")], 1)
    await ask_step(update, context, products_help(context), keyboard(with_back(context, rows)))
    return PRODUCTS


async def products_none(update: Update, context: BotContext) -> str | int:
    state_of(context)["products"] = {}
    return await advance_to_next(update, context, context.t("None ➡"))


async def products_typed(update: Update, context: BotContext) -> str | int:
    try:
        found = activities.parse_products(text_of(update))
    except ActivityProblem as problem:
        await explain_all(update, context, [problem])
        return await ask_products(update, context)
    state_of(context)["products"] = {p.value: n for p, n in found.items()}
    return await advance_to_next(update, context, None)


# Cost and funding source, asked from the summary card's ✏️ Cost.
FUNDING_BY_CODE = {code: source for source, code in FUNDING_CODES.items()}


async def ask_cost(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = COST
    t = context.t
    rows = [[(t("No cost recorded"), "lc:none")]]
    await ask_step(
        update,
        context,
        t("How much did the activity cost, in đồng? For example: 1.500.000 or 1,5 triệu."),
        keyboard(with_back(context, rows)),
    )
    return COST


async def cost_none(update: Update, context: BotContext) -> str | int:
    state = state_of(context)
    state.pop("ask_cost", None)
    state.update(cost=None, funding_source=None)
    return await advance_to_next(update, context, context.t("No cost recorded"))


async def cost_typed(update: Update, context: BotContext) -> str | int:
    try:
        amount = activities.parse_amount(text_of(update))
    except ActivityProblem as problem:
        await explain_all(update, context, [problem])
        return await ask_cost(update, context)
    state = state_of(context)
    state.pop("ask_cost", None)
    state.pop("funding_source", None)
    state["cost"] = amount
    if not amount:
        state["funding_source"] = None
    return await advance_to_next(update, context, None)


async def ask_funding(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = FUNDING
    t = context.t
    rows = [[(t(FUNDING_NAMES[s]), f"lf:{code}")] for s, code in FUNDING_CODES.items()]
    await ask_step(
        update, context, t("Which source paid for it?"), keyboard(with_back(context, rows))
    )
    return FUNDING


async def funding_chosen(update: Update, context: BotContext) -> str | int:
    source = FUNDING_BY_CODE.get(pressed(update).split(":", 1)[1])
    if source is None:
        await refuse_button(update, context)
        return await ask_funding(update, context)
    state_of(context)["funding_source"] = source.value
    return await advance_to_next(update, context, context.t(FUNDING_NAMES[source]))


# The team, club or group that held it, asked from the summary card.
async def ask_held_by(update: Update, context: BotContext) -> str | int:
    state = state_of(context)
    state["step"] = HELD_BY
    t = context.t
    async with context.services.sessions() as session:
        found = await activities.holders(session, int(state["unit_id"]))
    rows = [[(f"{e.name} · {t(REGISTER_NAMES[e.kind])}", f"lg:{e.id}")] for e in found]
    rows.append([(t("No team, club or group"), "lg:none")])
    await ask_step(
        update,
        context,
        t("Which team, club or group held it?"),
        keyboard(with_back(context, rows)),
    )
    return HELD_BY


async def held_by_chosen(update: Update, context: BotContext) -> str | int:
    state = state_of(context)
    choice = pressed(update).split(":", 1)[1]
    if choice == "none":
        state.pop("ask_held_by", None)
        state["held_by_id"] = None
        return await advance_to_next(update, context, context.t("No team, club or group"))
    async with context.services.sessions() as session:
        found = {e.id: e for e in await activities.holders(session, int(state["unit_id"]))}
    entry = found.get(int(choice)) if choice.isdigit() and len(choice) < 12 else None
    if entry is None:
        await refuse_button(update, context)
        return await ask_held_by(update, context)
    state.pop("ask_held_by", None)
    state["held_by_id"] = entry.id
    return await advance_to_next(update, context, entry.name)
