"""Webhook delivery, as Telegram does it: after ``setWebhook`` the pending
updates are POSTed to the URL with the ``X-Telegram-Bot-Api-Secret-Token``
header, each until it is answered with a 2xx, and ``getUpdates`` is refused.

Like Telegram, one user's updates go one at a time, in order (the next after
the previous was answered); different users' go in parallel, up to
``max_connections``. An update that was not answered 2xx (an error, a refused
connection, a timeout) is retried after a short back-off.

``backends``: the URLs of the bot processes behind the public URL. When set,
each attempt goes to the next one in turn, as a load balancer without sticky
sessions would (a retry usually lands on another process).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from .server import LocalBotApi

_LOGGER = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_FIRST_S = 0.1
RETRY_CAP_S = 2.0
TIMEOUT_S = 60.0


@dataclass
class Webhook:
    """What ``setWebhook`` stored."""

    url: str
    secret: str | None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class WebhookStats:
    delivered: int = 0  # answered 2xx
    attempts: int = 0
    failed_attempts: int = 0  # not 2xx, refused, timed out
    by_url: dict[str, int] = field(default_factory=dict)  # 2xx answers per URL


def user_of(update: dict[str, Any]) -> int | None:
    """Whose update it is: the ``from`` of its payload, else its chat."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        sender = value.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
    return None


class WebhookDelivery:
    """Runs beside a :class:`LocalBotApi` while it is started."""

    def __init__(self, api: LocalBotApi) -> None:
        self.api = api
        self.backends: list[str] = []
        self.stats = WebhookStats()
        self._turn = itertools.count()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._busy_users: set[int] = set()
        self._runner: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        if self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(
                self._run(), name="localapi-webhook"
            )

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        tasks = [*self._in_flight.values(), *([runner] if runner else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._in_flight.clear()
        self._busy_users.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _target(self, hook: Webhook) -> str:
        if not self.backends:
            return hook.url
        return self.backends[next(self._turn) % len(self.backends)]

    async def _run(self) -> None:
        while not self.api.closing:
            hook = self.api.world.webhook
            if hook is not None:
                self._spawn_due(hook)
            await self.api.wait_change(0.5)

    def _spawn_due(self, hook: Webhook) -> None:
        world = self.api.world
        for update in [*world.take_redelivered(), *world.updates]:
            update_id = int(update["update_id"])
            user = user_of(update)
            if update_id in self._in_flight or (user is not None and user in self._busy_users):
                continue
            if len(self._in_flight) >= hook.max_connections:
                return
            if user is not None:
                self._busy_users.add(user)
            task = asyncio.get_running_loop().create_task(
                self._deliver(hook, update, user), name=f"webhook-{update_id}"
            )
            self._in_flight[update_id] = task

    async def _deliver(self, hook: Webhook, update: dict[str, Any], user: int | None) -> None:
        update_id = int(update["update_id"])
        delay = RETRY_FIRST_S
        try:
            while self.api.world.webhook is hook and not self.api.closing:
                url = self._target(hook)
                if await self._post(hook, url, update):
                    self.api.world.confirm_update(update_id)
                    self.stats.delivered += 1
                    self.stats.by_url[url] = self.stats.by_url.get(url, 0) + 1
                    return
                await asyncio.sleep(delay)
                delay = min(RETRY_CAP_S, delay * 2)
        finally:
            self._in_flight.pop(update_id, None)
            if user is not None:
                self._busy_users.discard(user)
            self.api.notify()

    async def _post(self, hook: Webhook, url: str, update: dict[str, Any]) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
        headers = {SECRET_HEADER: hook.secret} if hook.secret else {}
        self.stats.attempts += 1
        try:
            async with self._session.post(url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        self.stats.failed_attempts += 1
        hook.last_error_date, hook.last_error_message = int(time.time()), error
        return False
