"""Telegram handlers: they parse updates and render replies; the work is done
in ``storage`` and ``scheduler``. ``register`` lists every handler explicitly,
in the order in which they must be tried."""

from __future__ import annotations

from telegram.ext import Application

from handlers import approval, common, invite, registration, villages


def register(application: Application) -> None:  # type: ignore[type-arg]
    common.register(application)  # group -10: who is writing
    approval.register(application)  # group -1: buttons that work in any state
    registration.register(application)
    invite.register(application)
    villages.register(application)
    common.register_commands(application)
    common.register_fallbacks(application)  # last: answers to anything else
