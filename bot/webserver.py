"""The one HTTP server of a bot process (aiohttp): the health check, the
Telegram webhook in webhook mode, and the web pages of package ``web``
(the dashboard), in every mode.

The webhook answers Telegram only once the update has been processed, so
that an update whose process died mid-way is delivered again (docs/deploy.md).
A request without Telegram's ``X-Telegram-Bot-Api-Secret-Token`` header equal
to the secret is refused before its body is read.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram import Update

import web as pages
from bot.app import TrackedApplication
from bot.services import Services

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
SERVICES = web.AppKey("services", Services)
APPLICATION = web.AppKey("application", TrackedApplication)


@dataclass
class WebhookStats:
    accepted: int = 0
    refused: int = 0  # no secret, or a wrong one
    unreadable: int = 0  # the right secret, a body that is not an update


@dataclass
class WebhookConfig:
    path: str
    secret: str
    stats: WebhookStats = field(default_factory=WebhookStats)

    def allows(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.secret.encode())


WEBHOOK: web.AppKey[WebhookConfig] = web.AppKey("webhook", WebhookConfig)
STATUS: web.AppKey[Callable[[], dict[str, Any]]] = web.AppKey("status")


def webhook_path(url: str) -> str:
    """The route of the webhook: the path of its public URL (``/telegram``
    when it has none), as a reverse proxy passes it on."""
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    path = path.split("?", 1)[0]
    return path if path != "/" else "/telegram"


async def _health(request: web.Request) -> web.Response:
    status = request.app.get(STATUS)
    body: dict[str, Any] = {"ok": True}
    if status is not None:
        body.update(status())
    return web.json_response(body)


async def _webhook(request: web.Request) -> web.Response:
    config = request.app[WEBHOOK]
    if not config.allows(request.headers.get(SECRET_HEADER)):
        config.stats.refused += 1
        log.warning("webhook: refused a request from %s without the secret", request.remote)
        status = 401 if SECRET_HEADER not in request.headers else 403
        return web.Response(status=status, text="forbidden")
    application = request.app[APPLICATION]
    try:
        data = json.loads(await request.read())
        update = Update.de_json(data, application.bot)
    except (ValueError, TypeError, KeyError) as exc:
        config.stats.unreadable += 1
        log.warning("webhook: unreadable update: %s", exc)
        return web.Response(status=400, text="not an update")
    try:
        await application.enqueue(update)
    except asyncio.CancelledError:
        # The process is stopping before the update was processed: Telegram
        # delivers it again, to this process or another one.
        return web.Response(status=503, text="stopping")
    config.stats.accepted += 1
    return web.Response(text="ok")


def build_web_app(
    application: TrackedApplication,
    services: Services,
    *,
    webhook: WebhookConfig | None = None,
    status: Callable[[], dict[str, Any]] | None = None,
) -> web.Application:
    """The server's application: health, the webhook (when given), then
    whatever :func:`web.mount` adds."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[SERVICES] = services
    app[APPLICATION] = application
    if status is not None:
        app[STATUS] = status
    app.router.add_get(HEALTH_PATH, _health)
    if webhook is not None:
        app[WEBHOOK] = webhook
        app.router.add_post(webhook.path, _webhook)
    pages.mount(app, application, services)
    return app


class WebServer:
    """Runs a :func:`build_web_app` application on one address."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._host = ""
        self._port = 0

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        server = self._site._server
        sockets = getattr(server, "sockets", None) or []
        self._host = host
        self._port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        host = self._host if self._host not in ("0.0.0.0", "", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}"
