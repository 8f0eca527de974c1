"""The command menu: which commands each kind of user sees, in /help and in
Telegram's command list."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.i18n import N_
from storage.users import Profile


class Audience(enum.Enum):
    PUBLIC = 0  # anyone, registered or not
    MEMBER = 1  # an approved user
    COORDINATOR = 2  # commune and province coordinators, administrators


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # a message id
    audience: Audience


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Register or see your status"), Audience.PUBLIC),
    Command("help", N_("What this bot can do for you"), Audience.PUBLIC),
    Command("language", N_("Change the language"), Audience.PUBLIC),
    Command("cancel", N_("Leave what you are doing"), Audience.PUBLIC),
    Command("invite", N_("Create an invitation link"), Audience.COORDINATOR),
    Command("villages", N_("Add the villages of a commune"), Audience.COORDINATOR),
)


def audience_of(profile: Profile | None) -> Audience:
    if profile is None or not profile.is_active:
        return Audience.PUBLIC
    return Audience.COORDINATOR if profile.is_coordinator else Audience.MEMBER


def commands_for(audience: Audience) -> list[Command]:
    return [c for c in COMMANDS if c.audience.value <= audience.value]
