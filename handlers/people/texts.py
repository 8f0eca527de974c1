"""What the /people conversation shares: its steps, limits and the words
for statuses and refusals."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot.context import BotContext
from bot.i18n import Translator
from storage import people, units
from storage.models import Unit, UserStatus

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


def status_name(t: Translator, status: UserStatus) -> str:
    names = {
        UserStatus.ACTIVE: t("Active"),
        UserStatus.DEACTIVATED: t("Deactivated"),
    }
    return names.get(status, status.value)


def refusal(t: Translator, code: str) -> str:
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


def age_text(t: Translator, age: timedelta) -> str:
    if age.days < 1:
        return t("today")
    if age.days == 1:
        return t("yesterday")
    return t("{days} days ago").format(days=age.days)


def number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) <= 12 else None


def args_of(update: Update) -> list[str]:
    query = update.callback_query
    assert query is not None and query.data is not None
    return query.data.split(":")[1:]


def approval_data(public_id: str, approve: bool) -> str:
    """The approvers' own button (``handlers.approval``), which decides and
    tells the applicant and the other approvers; it names the request by its
    unguessable public id."""
    return f"ap:{public_id}:{'y' if approve else 'n'}"


async def own_unit(context: BotContext) -> Unit | None:
    profile = context.profile
    assert profile is not None
    if profile.unit_id is None:
        return None
    async with context.services.sessions() as session:
        return await units.get_unit(session, profile.unit_id)
