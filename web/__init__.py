"""The web pages of the bot's one HTTP server (``bot.webserver``): the
coordinators' dashboard lives under ``/app/`` (docs/dashboard.md).

:func:`mount` is the only entry point: ``bot.webserver.build_web_app`` calls it
once, before the server starts, in every mode (webhook, polling, and the
offline chat on loopback). It adds the dashboard's routes to ``app``.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from bot.services import Services

PREFIX = "/app/"


_frozen = False


async def _freeze_startup_objects(_app: web.Application) -> None:
    """Once per process, when the server starts: move everything made so
    far (modules, SQLAlchemy's mappings and caches, the bot) out of the
    cyclic garbage collector's sight (``gc.freeze``). They live as long as
    the process; the collector walked them all again at every full
    collection, and a report (which makes tens of thousands of short-lived
    SQL objects) paid 80 to 150 ms of CPU for it at the benchmark's scale."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def mount(app: web.Application, application: Any, services: Services) -> None:
    """Add the dashboard to ``app``."""
    from web import routes

    routes.add(app, application, services)
    app.on_startup.append(_freeze_startup_objects)
