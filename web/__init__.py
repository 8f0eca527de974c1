"""The web pages of the bot's one HTTP server (``bot.webserver``): the
coordinators' dashboard lives under ``/app/`` (docs/dashboard.md).

:func:`mount` is the only entry point: ``bot.webserver.build_web_app`` calls it
once, before the server starts, in every mode (webhook, polling, and the
offline chat on loopback). It adds the dashboard's routes to ``app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from bot.services import Services

PREFIX = "/app/"


def mount(app: web.Application, application: Any, services: Services) -> None:
    """Add the dashboard to ``app``."""
    from web import routes

    routes.add(app, application, services)
