"""Coordinators approve or reject registration requests with one tap."""

from __future__ import annotations

import logging

from telegram import ReplyParameters, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import Translator, translator
from handlers.common import role_name
from handlers.ui import esc, keyboard, send_to
from storage import registration, units
from storage.models import RegistrationRequest, User

log = logging.getLogger(__name__)
# ap:<public id>:<y|n>; a bare number is a button sent before public ids.
PATTERN = r"^ap:[A-Za-z0-9_-]{1,24}:[yn]$"


async def notify_approvers(
    context: BotContext, request_id: int, approvers: list[tuple[int, int, str | None]]
) -> int:
    """Send the request to each approver in their language; returns how many got it."""
    async with context.services.sessions() as session:
        request = await session.get(RegistrationRequest, request_id)
        assert request is not None
        applicant = await session.get(User, request.user_id)
        unit = await units.get_unit(session, request.unit_id)
        assert applicant is not None and unit is not None
        place = await units.describe(session, unit)
    public_id = request.public_id
    if request.new_village_name:
        place = f"{request.new_village_name} (+), {place}"
    delivered = 0
    for approver_id, telegram_id, language in approvers:
        t = translator(language)
        text = t("New registration request:\n{name} asks to be {role} at {place}.").format(
            name=esc(applicant.display_name or applicant.telegram_id),
            role=esc(role_name(t, request.role)),
            place=esc(place),
        )
        markup = keyboard(
            [[(t("✅ Approve"), f"ap:{public_id}:y"), (t("❌ Reject"), f"ap:{public_id}:n")]]
        )
        message = await send_to(context, telegram_id, text, markup)
        if message is None:
            continue
        delivered += 1
        async with context.services.sessions.begin() as session:
            await registration.record_notice(
                session, request_id, approver_id, telegram_id, message.message_id
            )
    return delivered


async def decided(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    t = context.t
    _, raw_id, verdict = query.data.split(":")
    profile = context.profile
    if profile is None:
        await query.answer(t("You cannot decide this request."), show_alert=True)
        raise ApplicationHandlerStop
    async with context.services.sessions.begin() as session:
        decision = await registration.decide(session, raw_id, profile, verdict == "y", key=query.id)
        deciders = {
            n.approver_id: (await session.get(User, n.approver_id)) for n in decision.notices
        }
        place = await units.describe(session, decision.unit) if decision.unit else ""
    outcome = decision.outcome
    if outcome in (registration.Outcome.NOT_FOUND, registration.Outcome.NOT_ALLOWED):
        await query.answer(t("You cannot decide this request."), show_alert=True)
        raise ApplicationHandlerStop
    if outcome is registration.Outcome.ALREADY_DECIDED:
        name = decision.decided_by.display_name if decision.decided_by else "?"
        await query.answer(t("This request was already decided by {name}.").format(name=name))
        raise ApplicationHandlerStop
    await query.answer()
    approved = outcome is registration.Outcome.APPROVED
    decider = decision.decided_by.display_name if decision.decided_by else ""
    for notice in decision.notices:
        approver = deciders.get(notice.approver_id)
        verdict_text = _verdict(translator(approver.language if approver else None), approved)
        verdict_text = verdict_text.format(name=esc(decider))
        # Two steps, each on its own: a press handled again after a crash
        # finds the buttons gone already ("message is not modified"), and the
        # approver must still be told.
        try:
            await context.bot.edit_message_reply_markup(
                notice.chat_id, notice.message_id, reply_markup=None
            )
        except TelegramError as exc:  # already without buttons, or deleted, or blocked
            log.info("could not take the buttons off notice %s: %s", notice.id, exc)
        try:
            await context.bot.send_message(
                notice.chat_id,
                verdict_text,
                reply_parameters=ReplyParameters(
                    notice.message_id, allow_sending_without_reply=True
                ),
            )
        except TelegramError as exc:  # that approver blocked the bot or deleted the message
            log.info("could not update notice %s: %s", notice.id, exc)
    applicant = decision.applicant
    request = decision.request
    assert applicant is not None and request is not None
    text = applicant_text(translator(applicant.language), approved, request, place)
    await send_to(context, applicant.telegram_id, text)
    raise ApplicationHandlerStop


def applicant_text(t: Translator, approved: bool, request: RegistrationRequest, place: str) -> str:
    """What the applicant is told of the decision (the bot and the dashboard)."""
    if approved:
        return t(
            "Your registration is approved: you are {role} at {place}. Send /help to see what you can do."
        ).format(role=esc(role_name(t, request.role)), place=esc(place))
    return t(
        "Your registration request was not approved. You can ask your commune officer, or send /start to try again."
    )


def _verdict(t: Translator, approved: bool) -> str:
    return t("✅ Approved by {name}.") if approved else t("❌ Rejected by {name}.")


def register(application: Application) -> None:  # type: ignore[type-arg]
    # Group -1 so that an approver in the middle of a conversation can still decide.
    application.add_handler(CallbackQueryHandler(decided, pattern=PATTERN), group=-1)
