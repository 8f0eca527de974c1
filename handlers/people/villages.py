"""Villages of a commune: rename one, or merge it into another."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from handlers.flow import draft
from handlers.people.menu import ask_menu
from handlers.people.texts import (
    CONFIRM,
    KEY,
    MERGE,
    RENAME,
    VILLAGE,
    VILLAGES,
    args_of,
    number,
    own_unit,
    refusal,
)
from handlers.ui import advance, esc, keyboard, reply, text_of
from storage import people, units
from storage.models import Unit, UnitLevel
from storage.people import PeopleError


# Villages.
async def ask_villages(update: Update, context: BotContext) -> str:
    """The villages of the commune (the coordinator's own, or one typed)."""
    t = context.t
    state = draft(context, KEY)
    state["step"] = VILLAGES
    own = await own_unit(context)
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
        await reply(update, refusal(t, exc.code))
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
    own = await own_unit(context)
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
    args = args_of(update)
    commune_id = number(args[1]) if len(args) > 1 else None
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
    args = args_of(update)
    village_id = number(args[1]) if len(args) > 1 else None
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
        await reply(update, refusal(t, exc.code) + " " + t("Please type it again."))
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
    args = args_of(update)
    keep_id = number(args[1]) if len(args) > 1 else None
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
        await reply(update, refusal(t, exc.code))
        return await advance(update, None, ask_villages(update, context))
    state["village"] = state.pop("keep", None)
    await reply(
        update,
        t("Merged {drop} into {keep}: {activities} activities and {people} people moved.").format(
            drop=esc(dropped), keep=esc(kept), activities=activities, people=moved_people
        ),
    )
    return await advance(update, t("✅ Merge"), ask_villages(update, context))
