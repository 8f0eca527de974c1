"""/log steps: the kind of activity, the date, the place."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update

from bot.context import BotContext
from bot.i18n import N_
from handlers.activities.asking import say
from handlers.activities.draft import (
    DATE,
    KIND,
    KIND_BY_CODE,
    KIND_OTHER,
    MAX_PLACE_BUTTONS,
    PLACE,
    advance_to_next,
    ask_step,
    explain_all,
    prefs_of,
    pressed,
    proceed,
    refuse_button,
    reporter_of,
    state_of,
    today_of,
    with_back,
)
from handlers.kit import match_label
from handlers.ui import columns, esc, keyboard, text_of
from storage import activities, units
from storage.activities import (
    ActivityProblem,
    Problem,
)
from storage.models import ActivityKind, Unit, UnitLevel
from storage.models.activities import KIND_CODES
from storage.reports.labels import KIND_NAMES
from storage.text import search_key


# Kind.
async def ask_kind(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = KIND
    t = context.t
    buttons = [(t(KIND_NAMES[k]), f"lk:{KIND_CODES[k]}") for k in ActivityKind]
    if state_of(context).get("backup") is None and await _last_time(context) is not None:
        buttons.insert(0, (t(LIKE_LAST), "lk:last"))
    await ask_step(
        update,
        context,
        t("What kind of activity was it?"),
        keyboard(with_back(context, columns(buttons, 1))),
    )
    return KIND


LIKE_LAST = N_("🔁 Like last time (kind, place, topics, language)")


async def _last_time(context: BotContext) -> dict[str, Any] | None:
    async with context.services.sessions() as session:
        return await activities.like_last_time(session, reporter_of(context))


async def _like_last_time(update: Update, context: BotContext) -> str | int:
    """The latest activity's kind, place, topics and language; the date and the
    counts are asked, photos and a note are not (they belong to one session)."""
    values = await _last_time(context)
    if values is None:
        await refuse_button(update, context)
        return await ask_kind(update, context)
    state = state_of(context)
    state.update(values, topics_done=True, optional_done=True)
    return await advance_to_next(update, context, context.t(LIKE_LAST))


async def _set_kind(
    update: Update, context: BotContext, kind: ActivityKind, other: str | None
) -> str | int:
    state = state_of(context)
    state["kind"] = kind.value
    state.pop("kind_other", None)
    if other:
        state["kind_other"] = other
    return await advance_to_next(update, context, context.t(KIND_NAMES[kind]))


async def kind_chosen(update: Update, context: BotContext) -> str | int:
    code = pressed(update).split(":", 1)[1]
    if code == "last":
        return await _like_last_time(update, context)
    kind = KIND_BY_CODE.get(code)
    if kind is None:
        await refuse_button(update, context)
        return await ask_kind(update, context)
    return await _set_kind(update, context, kind, None)


async def kind_typed(update: Update, context: BotContext) -> str | int:
    text = text_of(update)
    t = context.t
    if match_label(text, [(t(LIKE_LAST), True)]):
        return await _like_last_time(update, context)
    kind = match_label(text, [(t(KIND_NAMES[k]), k) for k in ActivityKind])
    if kind is not None:
        return await _set_kind(update, context, kind, None)
    try:
        kind, other = activities.parse_kind(text)
    except ActivityProblem:
        await say(
            update,
            t("“{text}” is not one of the kinds below. Choose a button, or type its name.").format(
                text=esc(text[:40])
            ),
        )
        return await ask_kind(update, context)
    return await _set_kind(update, context, kind, other)


async def ask_kind_other(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = KIND_OTHER
    await ask_step(
        update,
        context,
        context.t("What was the activity? Type a short name, for example “Hội chợ việc làm”:"),
        keyboard(with_back(context, [])) if state_of(context).get("backup") else None,
    )
    return KIND_OTHER


async def kind_other_typed(update: Update, context: BotContext) -> str | int:
    try:
        name = activities.clean_text(text_of(update), "kind_other", activities.MAX_KIND_OTHER)
    except ActivityProblem as problem:
        await explain_all(update, context, [problem])
        return await ask_kind_other(update, context)
    state_of(context)["kind_other"] = name
    return await proceed(update, context)


# Date.
async def ask_date(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = DATE
    t = context.t
    today = today_of(context)
    yesterday = date.fromordinal(today.toordinal() - 1)
    rows = [
        [
            (t("Today ({date})").format(date=t.date(today)), "ld:today"),
            (t("Yesterday ({date})").format(date=t.date(yesterday)), "ld:yesterday"),
        ]
    ]
    await ask_step(
        update,
        context,
        t("When did it take place? Choose, or type the date, for example 20/11 or 20/11/2024:"),
        keyboard(with_back(context, rows)),
    )
    return DATE


async def _set_date(update: Update, context: BotContext, text: str) -> str | int:
    settings = context.services.settings
    today = today_of(context)
    try:
        day = activities.check_date(
            activities.parse_date(text, today), today, settings.activity_max_age_days
        )
    except ActivityProblem as problem:
        await explain_all(update, context, [problem])
        return await ask_date(update, context)
    state_of(context)["held_on"] = day.isoformat()
    return await advance_to_next(update, context, context.t.date(day))


async def date_chosen(update: Update, context: BotContext) -> str | int:
    choice = pressed(update).split(":", 1)[1]
    if choice not in ("today", "yesterday"):
        await refuse_button(update, context)
        return await ask_date(update, context)
    return await _set_date(update, context, choice)


async def date_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    text = text_of(update)
    # The buttons' labels ("Hôm qua (19/11/2026)") as typed.
    choice = match_label(
        text, [(t("Today ({date})"), "today"), (t("Yesterday ({date})"), "yesterday")]
    )
    return await _set_date(update, context, choice or text)


# Place.
async def _place_buttons(context: BotContext) -> list[tuple[str, str]]:
    profile = reporter_of(context)
    last = prefs_of(context).get("unit_id")
    found: list[Unit] = []
    async with context.services.sessions() as session:
        home = await activities.default_place(session, profile)
        scope = await activities.place_scope(session, profile)
        if isinstance(last, int):
            unit = await units.get_unit(session, last)
            if unit is not None and await activities.may_log_at(session, profile, unit):
                found.append(unit)
        if home is not None:
            found.append(home)
        if scope is not None and scope.level is UnitLevel.COMMUNE:
            found.append(scope)
            found.extend(await units.children(session, scope.id))
    seen: set[int] = set()
    buttons: list[tuple[str, str]] = []
    for unit in found:
        if unit.id not in seen and len(buttons) < MAX_PLACE_BUTTONS:
            seen.add(unit.id)
            buttons.append((unit.name, f"lp:{unit.id}"))
    return buttons


async def ask_place(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = PLACE
    t = context.t
    buttons = await _place_buttons(context)
    text = (
        t("Where did it take place? Choose, or type the name of a village or commune:")
        if buttons
        else t("Where did it take place? Type the name of the village or commune:")
    )
    await ask_step(update, context, text, keyboard(with_back(context, columns(buttons, 2))))
    return PLACE


async def place_chosen(update: Update, context: BotContext) -> str | int:
    try:
        unit_id = int(pressed(update).split(":", 1)[1])
    except ValueError:
        await refuse_button(update, context)
        return await ask_place(update, context)
    return await _set_place(update, context, unit_id)


async def _set_place(update: Update, context: BotContext, unit_id: int) -> str | int:
    async with context.services.sessions() as session:
        unit = await units.get_unit(session, unit_id)
        allowed = unit is not None and await activities.may_log_at(
            session, reporter_of(context), unit
        )
    if unit is None or not allowed:
        await explain_all(update, context, [ActivityProblem(Problem.PLACE_NOT_ALLOWED)])
        return await ask_place(update, context)
    state_of(context)["unit_id"] = unit.id
    return await advance_to_next(update, context, unit.name)


async def place_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    text = text_of(update)[:100]
    profile = reporter_of(context)
    shown = match_label(text, await _place_buttons(context))
    if shown is not None:
        return await _set_place(update, context, int(shown.split(":", 1)[1]))
    async with context.services.sessions() as session:
        scope = await activities.place_scope(session, profile)
        if scope is None and not profile.is_admin:
            hits = []
        else:
            hits = await units.search(session, text, within=scope, limit=24)
    hits = [h for h in hits if h.level in activities.PLACE_LEVELS][:MAX_PLACE_BUTTONS]
    exact = [h for h in hits if search_key(h.name) == search_key(text)]
    if len(exact) == 1:  # its full name: chosen, no list of one to press
        return await _set_place(update, context, exact[0].id)
    if not hits:
        await ask_step(
            update,
            context,
            t("No village or commune in your area matches “{text}”.").format(text=esc(text[:60])),
        )
        return await ask_place(update, context)
    rows = []
    for hit in hits:
        where = hit.commune_name if hit.level is UnitLevel.VILLAGE else hit.province_name
        label = f"{hit.name}, {where}" if where else hit.name
        rows.append([(label, f"lp:{hit.id}")])
    await ask_step(update, context, t("Which one?"), keyboard(with_back(context, rows)))
    return PLACE
