"""Coordinators approve or reject registration requests with one tap."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import Translator, translator
from handlers.common import role_name
from handlers.ui import esc
from scheduler.jobs import wake_sender
from storage import approvals, outbox, registration
from storage.models import Role

# ap:<public id>:<y|n>; a bare number is a button sent before public ids.
PATTERN = r"^ap:[A-Za-z0-9_-]{1,24}:[yn]$"


class Texts:
    """The approval messages in each recipient's language
    (:class:`storage.approvals.ApprovalTexts`), for the bot and the dashboard."""

    def _request_text(self, t: Translator, applicant: str, role: Role, place: str) -> str:
        return t("New registration request:\n{name} asks to be {role} at {place}.").format(
            name=esc(applicant), role=esc(role_name(t, role)), place=esc(place)
        )

    def request(
        self, language: str | None, applicant: str, role: Role, place: str, public_id: str
    ) -> outbox.Message:
        t = translator(language)
        return outbox.Message(
            text=self._request_text(t, applicant, role, place),
            buttons=(
                (
                    outbox.Button(text=t("✅ Approve"), callback_data=f"ap:{public_id}:y"),
                    outbox.Button(text=t("❌ Reject"), callback_data=f"ap:{public_id}:n"),
                ),
            ),
        )

    def request_decided(
        self, language: str | None, applicant: str, role: Role, place: str
    ) -> outbox.Message:
        return outbox.Message(text=self._request_text(translator(language), applicant, role, place))

    def verdict(self, language: str | None, approved: bool, decider: str) -> outbox.Message:
        return outbox.Message(
            text=_verdict(translator(language), approved).format(name=esc(decider))
        )

    def applicant(
        self, language: str | None, approved: bool, role: Role, place: str
    ) -> outbox.Message:
        return outbox.Message(text=applicant_text(translator(language), approved, role, place))


TEXTS = Texts()


async def decided(update: Update, context: BotContext) -> None:
    """A tap on Approve or Reject. The decision and every message it causes
    (the applicant, the other approvers) are one use-case: the messages are
    queued in the decision's transaction and sent by the outbox."""
    query = update.callback_query
    assert query is not None and query.data is not None
    t = context.t
    _, raw_id, verdict = query.data.split(":")
    profile = context.profile
    if profile is None:
        await query.answer(t("You cannot decide this request."), show_alert=True)
        raise ApplicationHandlerStop
    services = context.services
    async with services.sessions.begin() as session:
        decision = await approvals.decide(
            session, raw_id, profile, verdict == "y", services.clock(), TEXTS, key=query.id
        )
    outcome = decision.outcome
    if outcome in (registration.Outcome.NOT_FOUND, registration.Outcome.NOT_ALLOWED):
        await query.answer(t("You cannot decide this request."), show_alert=True)
        raise ApplicationHandlerStop
    if outcome is registration.Outcome.ALREADY_DECIDED:
        name = decision.decided_by.display_name if decision.decided_by else "?"
        await query.answer(t("This request was already decided by {name}.").format(name=name))
        raise ApplicationHandlerStop
    wake_sender(context.application)
    await query.answer()
    raise ApplicationHandlerStop


def applicant_text(t: Translator, approved: bool, role: Role, place: str) -> str:
    """What the applicant is told of the decision (the bot and the dashboard)."""
    if approved:
        return t(
            "Your registration is approved: you are {role} at {place}. Send /help to see what you can do."
        ).format(role=esc(role_name(t, role)), place=esc(place))
    return t(
        "Your registration request was not approved. You can ask your commune officer, or send /start to try again."
    )


def _verdict(t: Translator, approved: bool) -> str:
    return t("✅ Approved by {name}.") if approved else t("❌ Rejected by {name}.")


def register(application: Application) -> None:  # type: ignore[type-arg]
    # Group -1 so that an approver in the middle of a conversation can still decide.
    application.add_handler(CallbackQueryHandler(decided, pattern=PATTERN), group=-1)
