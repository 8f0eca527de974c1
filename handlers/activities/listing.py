"""/mine (hoạt động của tôi) and /activities (hoạt động trên địa bàn): pages of
activities, an activity's card, and deleting one. Editing goes through the
/log conversation (``lx:e:<id>``, see ``conversation.start_edit``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.i18n import N_, Translator
from handlers.activities.cards import card, line, page_range
from handlers.activities.texts import explain
from handlers.ui import columns, esc, keyboard, reply
from storage import activities, units
from storage.activities import Access, ActivityProblem, Filters, Page, Period, Problem
from storage.models.activities import KIND_CODES
from storage.reports.labels import KIND_NAMES
from storage.users import Profile

PERIOD_NAMES = {
    Period.LAST_30_DAYS: N_("Last 30 days"),
    Period.THIS_MONTH: N_("This month"),
    Period.LAST_MONTH: N_("Last month"),
    Period.THIS_YEAR: N_("This year"),
    Period.ALL: N_("All time"),
}
_KIND_BY_CODE = {code: kind for kind, code in KIND_CODES.items()}


async def _show(
    update: Update, text: str, rows: list[list[tuple[str, str]]], *, edit: bool
) -> None:
    """Page in place when a button was pressed, otherwise send a new message."""
    query = update.callback_query
    markup = keyboard(rows) if rows else None
    if edit and query is not None and isinstance(query.message, Message):
        await query.answer()
        try:
            await query.message.edit_text(text, reply_markup=markup)
            return
        except BadRequest:  # not modified, or too old to edit
            pass
    elif query is not None:
        await query.answer()
    await reply(update, text, markup)


def _nav(t: Translator, page: Page, data: str) -> list[tuple[str, str]]:
    buttons = []
    if page.offset > 0:
        buttons.append((t("◀ Newer"), f"{data}:{max(0, page.offset - page.limit)}"))
    if page.has_more:
        buttons.append((t("Older ▶"), f"{data}:{page.offset + page.limit}"))
    return buttons


def _open_buttons(page: Page) -> list[list[tuple[str, str]]]:
    return columns([(activities.reference(x.id), f"lv:{x.id}") for x in page.lines], 3)


def _member(context: BotContext) -> Profile | None:
    profile = context.profile
    return profile if profile is not None and profile.is_active else None


async def _not_registered(update: Update, context: BotContext) -> None:
    text = context.t("Only registered users have activities. Send /start to register.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, text)


def _offset(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 7 else 0


# /mine
async def mine(update: Update, context: BotContext, offset: int = 0, edit: bool = False) -> None:
    t = context.t
    profile = _member(context)
    if profile is None:
        await _not_registered(update, context)
        return
    async with context.services.sessions() as session:
        page = await activities.page_of_reporter(session, profile.id, offset)
    if not page.total:
        await _show(
            update, t("You have not logged any activity yet. Send /log to log one."), [], edit=edit
        )
        return
    title = t("Your activities")
    lines = [f"<b>{esc(title)}</b> ({page_range(t, page)})"]
    lines += [line(t, x) for x in page.lines]
    lines += ["", esc(t("Tap a reference to see, correct or delete it."))]
    rows = _open_buttons(page)
    nav = _nav(t, page, "lmp")
    if nav:
        rows.append(nav)
    await _show(update, "\n".join(lines), rows, edit=edit)


async def mine_command(update: Update, context: BotContext) -> None:
    await mine(update, context)


async def mine_page(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await mine(update, context, _offset(query.data.split(":")[-1]), edit=True)


# /activities
def _filters_data(filters: Filters) -> str:
    kind = KIND_CODES[filters.kind] if filters.kind else "-"
    return f"{filters.period.value}:{filters.commune_id or 0}:{kind}"


def _parse_filters(parts: list[str]) -> Filters | None:
    """``<period>:<commune id or 0>:<kind code or ->``, from a button; ``None`` if forged."""
    if len(parts) != 3:
        return None
    period_code, commune, kind_code = parts
    try:
        period = Period(period_code)
    except ValueError:
        return None
    if not commune.isdigit() or len(commune) > 12:
        return None
    kind = None if kind_code == "-" else _KIND_BY_CODE.get(kind_code)
    if kind_code != "-" and kind is None:
        return None
    return Filters(period, int(commune) or None, kind)


async def area(
    update: Update, context: BotContext, filters: Filters, offset: int = 0, edit: bool = False
) -> None:
    t = context.t
    profile = _member(context)
    if profile is None or not profile.is_coordinator:
        text = t("Only coordinators can see the activities of an area. Send /mine for yours.")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await reply(update, text)
        return
    today = context.services.clock().astimezone(context.services.settings.zone).date()
    try:
        async with context.services.sessions() as session:
            page = await activities.page_under(session, profile, filters, today, offset)
            commune = (
                await units.get_unit(session, filters.commune_id) if filters.commune_id else None
            )
    except ActivityProblem as problem:
        if update.callback_query is not None:
            await update.callback_query.answer(explain(t, problem), show_alert=True)
        else:
            await reply(update, explain(t, problem))
        return
    described = [t(PERIOD_NAMES[filters.period])]
    if commune is not None:
        described.append(commune.name)
    if filters.kind is not None:
        described.append(t(KIND_NAMES[filters.kind]))
    lines = [f"<b>{esc(t('Activities in your area'))}</b>", esc(" · ".join(described))]
    if page.total:
        lines[0] += f" ({page_range(t, page)})"
        lines += [line(t, x, with_reporter=True) for x in page.lines]
    else:
        lines.append(esc(t("No activity matches these filters.")))
    state = _filters_data(filters)
    rows = _open_buttons(page)
    nav = _nav(t, page, f"la:{state}")
    if nav:
        rows.append(nav)
    rows.append(
        [
            (t("📅 Period"), f"lf:p:{state}"),
            (t("🏘 Commune"), f"lf:c:{state}"),
            (t("🏷 Kind"), f"lf:k:{state}"),
        ]
    )
    await _show(update, "\n".join(lines), rows, edit=edit)


async def area_command(update: Update, context: BotContext) -> None:
    await area(update, context, Filters())


async def area_page(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")[1:]
    filters = _parse_filters(parts[:3])
    if filters is None or len(parts) != 4:
        await query.answer(context.t("That button is no longer valid."))
        return
    await area(update, context, filters, _offset(parts[3]), edit=True)


async def filter_menu(update: Update, context: BotContext) -> None:
    """The choices for one filter; each choice shows the list with it applied."""
    query = update.callback_query
    assert query is not None and query.data is not None
    t = context.t
    parts = query.data.split(":")
    filters = _parse_filters(parts[2:])
    profile = _member(context)
    if filters is None or profile is None or not profile.is_coordinator:
        await query.answer(t("That button is no longer valid."))
        return
    which = parts[1]
    options: list[tuple[str, Filters]] = []
    if which == "p":
        question = t("Which period?")
        options = [
            (t(name), Filters(p, filters.commune_id, filters.kind))
            for p, name in PERIOD_NAMES.items()
        ]
    elif which == "k":
        question = t("Which kind of activity?")
        options = [(t("All kinds"), Filters(filters.period, filters.commune_id, None))]
        options += [
            (t(label), Filters(filters.period, filters.commune_id, kind))
            for kind, label in KIND_NAMES.items()
        ]
    else:
        question = t("Which commune? (Only communes with activities are listed.)")
        today = context.services.clock().astimezone(context.services.settings.zone).date()
        async with context.services.sessions() as session:
            found = await activities.communes_with_activities(session, profile, filters, today)
        options = [(t("All communes"), Filters(filters.period, None, filters.kind))]
        options += [
            (name, Filters(filters.period, unit_id, filters.kind)) for unit_id, name in found
        ]
    buttons = [(label, f"la:{_filters_data(f)}:0") for label, f in options]
    await _show(update, question, columns(buttons, 2), edit=True)


# One activity.
async def _card_of(context: BotContext, profile: Profile, activity_id: int) -> tuple[str, Access]:
    t = context.t
    services = context.services
    async with services.sessions() as session:
        activity, granted = await activities.load(
            session, profile, activity_id, services.clock(), services.settings.activity_edit_days
        )
        values = activities.draft_values(activity)
        unit = await units.get_unit(session, activity.unit_id)
        place = await units.describe(session, unit) if unit is not None else ""
    try:
        data = activities.validate(values, None, services.settings.activity_max_age_days)
    except ValidationError:  # a row corrected by hand in the database; show what is safe
        return t("{ref} cannot be shown.").format(ref=activities.reference(activity_id)), granted
    return card(t, data, place, activities.reference(activity_id)), granted


async def open_activity(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    t = context.t
    profile = _member(context)
    if profile is None:
        await _not_registered(update, context)
        return
    activity_id = int(query.data.split(":")[1])
    try:
        text, granted = await _card_of(context, profile, activity_id)
    except ActivityProblem as problem:
        await query.answer(explain(t, problem), show_alert=True)
        return
    rows: list[list[tuple[str, str]]] = []
    if granted is Access.EDIT:
        rows.append(
            [(t("✏️ Correct"), f"lx:e:{activity_id}"), (t("🗑 Delete"), f"lx:d:{activity_id}")]
        )
    else:
        closed = ActivityProblem(
            Problem.EDIT_WINDOW_CLOSED, days=context.services.settings.activity_edit_days
        )
        text += "\n\n" + explain(t, closed)
    await query.answer()
    await reply(update, text, keyboard(rows) if rows else None)


async def ask_delete(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    t = context.t
    activity_id = int(query.data.split(":")[2])
    ref = activities.reference(activity_id)
    rows = [
        [(t("🗑 Yes, delete it"), f"lx:D:{activity_id}"), (t("No, keep it"), f"lv:{activity_id}")]
    ]
    await _show(
        update,
        t("Delete {ref}? It will no longer count in reports.").format(ref=ref),
        rows,
        edit=True,
    )


async def delete_confirmed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    t = context.t
    profile = _member(context)
    if profile is None:
        await _not_registered(update, context)
        return
    activity_id = int(query.data.split(":")[2])
    services = context.services
    try:
        async with services.sessions.begin() as session:
            await activities.delete(
                session,
                profile,
                activity_id,
                services.clock(),
                services.settings.activity_edit_days,
            )
    except ActivityProblem as problem:
        await query.answer(explain(t, problem), show_alert=True)
        return
    await _show(
        update,
        t("🗑 {ref} is deleted.").format(ref=activities.reference(activity_id)),
        [],
        edit=True,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("mine", mine_command),
        CallbackQueryHandler(mine_page, pattern=r"^lmp:\d{1,6}$"),
        CommandHandler("activities", area_command),
        CallbackQueryHandler(area_page, pattern=r"^la:"),
        CallbackQueryHandler(filter_menu, pattern=r"^lf:[pck]:"),
        CallbackQueryHandler(open_activity, pattern=r"^lv:\d{1,12}$"),
        CallbackQueryHandler(ask_delete, pattern=r"^lx:d:\d{1,12}$"),
        CallbackQueryHandler(delete_confirmed, pattern=r"^lx:D:\d{1,12}$"),
    ]
