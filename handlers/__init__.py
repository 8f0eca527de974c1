"""Telegram handlers: they parse updates and render replies; the work is done
in ``storage`` and ``scheduler``. ``register`` lists every handler explicitly,
in the order in which they must be tried."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    activities,
    addresses,
    alerts,
    approval,
    broadcast,
    calendar,
    common,
    completeness,
    dashboard,
    delivery,
    hotline,
    incidents,
    intake,
    invite,
    people,
    period_report,
    registers,
    registration,
    reminders,
    report,
    summary,
    targets,
    villages,
)


def register(application: Application) -> None:  # type: ignore[type-arg]
    delivery.register(application)  # -12: groups; -11: replays skipped; -7: edits answered
    common.register(application)  # group -10: who is writing
    dashboard.register_menu_button(application)  # group -6: a coordinator's menu button
    people.register_guard(application)  # group -3: a deactivated person is told so
    approval.register(application)  # group -1: buttons that work in any state
    alerts.register(application)  # group -1: incident alerts; escalation checks
    summary.register_buttons(application)  # group -1: XLSX, CSV, nudge under a summary
    completeness.register_buttons(application)  # group -1: "no activity this month"
    broadcast.register_buttons(application)  # group -1: stop a running broadcast
    reminders.register_buttons(application)  # group -1: reminders on and off
    period_report.register_buttons(application)  # group -1: a notice's "Open the report"
    report.register(application)  # group -9 too: discreet mode remembers messages
    incidents.register(application)
    addresses.register(application)
    invite.register(application)
    villages.register(application)
    people.register(application)
    activities.register(application)
    summary.register(application)
    targets.register(application)
    registers.register(application)
    intake.register(application)
    period_report.register(application)
    broadcast.register(application)
    calendar.register(application)
    # After the other conversations: /hotline and /start in the middle of one of
    # them are answered by that conversation (the numbers and the same question
    # again; or it ends and says what became of the draft).
    registration.register(application)
    hotline.register(application)
    common.register_commands(application)
    activities.register_commands(application)
    report.register_commands(application)
    completeness.register_commands(application)
    reminders.register_commands(application)
    dashboard.register(application)
    common.register_fallbacks(application)  # last: answers to anything else
