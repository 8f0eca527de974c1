"""People (/people): coordinators who never open the dashboard manage the
people and villages of their area here. Pending registration requests (with
the same approve and reject buttons as the approvers' message), the people
under their unit page by page, one person's card (deactivate, reactivate,
move, change role), and villages (rename, merge). The work and the
permission are in ``storage.people``.

Modules: ``texts`` (steps, words), ``menu`` (the menu and the pending
requests), ``persons``, ``villages``, ``conversation`` (the steps wired
together) and ``deactivated`` (what a deactivated person is told)."""

from __future__ import annotations

from telegram.ext import Application

from handlers.people import conversation, deactivated
from handlers.people.texts import KEY

register_guard = deactivated.register


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(conversation.build())


__all__ = ["KEY", "register", "register_guard"]
