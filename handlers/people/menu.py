"""The /people menu, and the pending registration requests."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import BotContext
from handlers.common import role_name
from handlers.flow import draft, drop_draft
from handlers.people.texts import KEY, MAX_PENDING_SHOWN, MENU, age_text, approval_data
from handlers.ui import Button, advance, esc, keyboard, reply, settle
from storage import people, registration, units


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
            age=age_text(t, request.age),
        )
        rows: list[list[Button]] = [
            [
                (t("✅ Approve"), approval_data(request.public_id, True)),
                (t("❌ Reject"), approval_data(request.public_id, False)),
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
