"""Activities (issue 3): /log, /mine, /activities. See docs/activities.md."""

from __future__ import annotations

from telegram.ext import Application

from handlers.activities import conversation, listing


def register(application: Application) -> None:  # type: ignore[type-arg]
    """The /log conversation."""
    application.add_handler(conversation.build())


def register_commands(application: Application) -> None:  # type: ignore[type-arg]
    """/mine, /activities and the buttons of their lists, after the conversations."""
    for handler in [*listing.handlers(), *conversation.late_handlers()]:
        application.add_handler(handler)
