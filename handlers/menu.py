"""The command menu: which commands each kind of user sees, in /help and in
Telegram's command list."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.i18n import N_, Translator
from handlers.ui import columns, keyboard
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
    Command("hotline", N_("Hotlines and trusted addresses near you"), Audience.PUBLIC),
    Command("report", N_("Report violence, safely and discreetly"), Audience.PUBLIC),
    Command("log", N_("Log an activity"), Audience.MEMBER),
    Command("mine", N_("Your logged activities"), Audience.MEMBER),
    Command("noactivity", N_("Say you held no session this month"), Audience.MEMBER),
    Command("reminders", N_("Coming reminders, and which ones you get"), Audience.MEMBER),
    Command("incidents", N_("Open reports you can act on (responders)"), Audience.MEMBER),
    Command("intake", N_("Record a shelter intake (trusted addresses)"), Audience.MEMBER),
    Command("invite", N_("Create an invitation link"), Audience.COORDINATOR),
    Command("villages", N_("Add the villages of a commune"), Audience.COORDINATOR),
    Command("people", N_("Requests, people and villages of your area"), Audience.COORDINATOR),
    Command("activities", N_("Activities in your area"), Audience.COORDINATOR),
    Command("addresses", N_("Trusted addresses of your area"), Audience.COORDINATOR),
    Command("committee", N_("Your People's Committee's contact (Art. 36)"), Audience.COORDINATOR),
    Command("summary", N_("Summary of your area, with a chart"), Audience.COORDINATOR),
    Command("export", N_("Report as a spreadsheet (XLSX) or CSV"), Audience.COORDINATOR),
    Command("targets", N_("Targets (chỉ tiêu) and progress"), Audience.COORDINATOR),
    Command(
        "periodreport",
        N_("Six-month and annual reports: prepare, submit, review"),
        Audience.COORDINATOR,
    ),
    Command("dashboard", N_("Open the dashboard (also on a computer)"), Audience.COORDINATOR),
    Command(
        "registers", N_("Teams, clubs, groups and trusted addresses (CSV)"), Audience.COORDINATOR
    ),
    Command("broadcast", N_("Send a message to everyone in your area"), Audience.COORDINATOR),
    Command("broadcasts", N_("Your broadcasts: running and scheduled"), Audience.COORDINATOR),
    Command("calendar", N_("Events and report deadlines of your area"), Audience.COORDINATOR),
)


@dataclass(frozen=True)
class MenuButton:
    """A main-menu button under /help and /start; ``data`` is the callback data
    that the feature's conversation takes as an entry point."""

    label: str  # a message id
    data: str
    audience: Audience


MENU_BUTTONS: tuple[MenuButton, ...] = (
    MenuButton(N_("📝 Log an activity"), "menu:log", Audience.MEMBER),
)
# What someone who does not register came for, offered at once.
HELP_BUTTONS: tuple[MenuButton, ...] = (
    MenuButton(N_("📞 Hotlines and trusted addresses"), "menu:hotline", Audience.PUBLIC),
    MenuButton(N_("🆘 Report violence, discreetly"), "menu:report", Audience.PUBLIC),
)


def help_buttons(t: Translator) -> InlineKeyboardMarkup:
    return keyboard([[(t(b.label), b.data)] for b in HELP_BUTTONS])


def main_menu(t: Translator, audience: Audience) -> InlineKeyboardMarkup | None:
    buttons = [(t(b.label), b.data) for b in MENU_BUTTONS if b.audience.value <= audience.value]
    return keyboard(columns(buttons, 2)) if buttons else None


def audience_of(profile: Profile | None) -> Audience:
    if profile is None or not profile.is_active:
        return Audience.PUBLIC
    return Audience.COORDINATOR if profile.is_coordinator else Audience.MEMBER


def commands_for(audience: Audience) -> list[Command]:
    return [c for c in COMMANDS if c.audience.value <= audience.value]
