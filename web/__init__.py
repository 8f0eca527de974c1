"""The web pages of the bot's one HTTP server (``bot.webserver``): the
coordinators' dashboard lives under ``/app/``.

:func:`mount` is the only entry point: ``bot.webserver.build_web_app`` calls it
once, before the server starts, in every mode (webhook, polling, and the
offline chat on loopback). It adds its routes, sub-applications and start-up
or clean-up hooks to ``app``; the webhook and health routes are already there.
The Services and the PTB Application are also reachable from a request as
``request.app[bot.webserver.SERVICES]`` and ``request.app[bot.webserver.APPLICATION]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from bot.services import Services

PREFIX = "/app/"


def mount(app: web.Application, application: Any, services: Services) -> None:
    """Add the dashboard to ``app``. Nothing yet."""
    del app, application, services
