"""The webhook of bot.webserver against the local Bot API's delivery, the
local API's retries and spreading, and the poller that confirms an update
only once processed."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import Update
from telegram.ext import ApplicationBuilder, MessageHandler, filters

from bot.app import TrackedApplication, build_application, prepare_database
from bot.localapi import LocalBotApi
from bot.polling import Poller
from bot.services import Services
from bot.settings import Settings
from bot.webserver import SECRET_HEADER, WebhookConfig, WebServer, build_web_app
from storage import users
from tests.harness import TOKEN, Clock

SECRET = "s3cret-Token_1"
USER = 1001


@contextlib.asynccontextmanager
async def webhook_bot(
    engine, sessions
) -> AsyncIterator[tuple[LocalBotApi, TrackedApplication, str]]:
    """The real bot behind its webhook, the local API delivering to it."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        background_jobs=False,
    )
    services = Services(settings, engine, sessions, clock=Clock())
    async with LocalBotApi() as api:
        api.add_user(USER, first_name="Lan", language_code="vi")
        api.add_user(777, first_name="X", language_code="vi")
        app = build_application(
            services, token=TOKEN, base_url=api.base_url, base_file_url=api.base_file_url
        )
        assert isinstance(app, TrackedApplication)
        await prepare_database(services)
        config = WebhookConfig(path="/telegram", secret=SECRET)
        server = WebServer(build_web_app(app, services, webhook=config))
        async with app:
            await app.start()
            await server.start("127.0.0.1", 0)
            url = f"{server.base_url}/telegram"
            try:
                yield api, app, url
            finally:
                await server.stop()
                await app.stop()


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    chat = {"id": user_id, "type": "private", "first_name": "X"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "X"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_refuses_requests_without_the_secret_and_reads_nothing(engine, sessions):
    async with webhook_bot(engine, sessions) as (api, app, url), aiohttp.ClientSession() as http:
        forged = start_update(900_000_001, 777)
        answers = []
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            async with http.post(url, json=forged, headers=headers) as response:
                answers.append(response.status)
        assert answers == [401, 403, 403]
        await asyncio.sleep(0.2)
        assert api.bot_messages(777) == []
        async with sessions() as session:
            assert await users.get_by_telegram_id(session, 777) is None

        # The same body with the secret is read and answered only once processed.
        async with http.post(url, json=forged, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 200
        assert api.bot_messages(777) != []

        # And updates from the local API arrive through the webhook.
        await app.bot.set_webhook(url, secret_token=SECRET)
        update_id = await api.send_text(USER, "/start")
        await app.wait_processed(update_id, 10)
        assert api.bot_messages(USER) != []
        await api.wait_until(lambda: api.pending_updates() == 0)
        assert api.webhook.stats.delivered == 1


class Backend:
    """A bot process as the load balancer sees it: answers with ``status``."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.received: list[tuple[int, str | None]] = []
        self.server = WebServer(web.Application())
        self.server.app.router.add_post("/hook", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        self.received.append((body["update_id"], request.headers.get(SECRET_HEADER)))
        return web.Response(status=self.status)

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/hook"


async def test_local_api_retries_until_2xx_and_spreads_over_backends():
    failing, working = Backend(500), Backend(200)
    await failing.server.start("127.0.0.1", 0)
    await working.server.start("127.0.0.1", 0)
    dead = "http://127.0.0.1:9/hook"  # nothing listens: connection refused
    try:
        async with LocalBotApi() as api:
            bot = ApplicationBuilder().token(TOKEN).base_url(api.base_url).build().bot
            async with bot:
                assert (await bot.get_webhook_info()).url == ""
                await bot.set_webhook("https://bot.example.org/hook", secret_token=SECRET)
                info = await bot.get_webhook_info()
                assert info.url == "https://bot.example.org/hook"
                with pytest.raises(Exception, match="webhook is active"):
                    await bot.get_updates()
                api.webhook.backends = [failing.url, dead, working.url]
                ids = [await api.send_text(n, f"hi {n}") for n in (1, 2, 3, 4)]
                await api.wait_until(lambda: api.pending_updates() == 0, 10)
                assert sorted(i for i, _ in working.received) == sorted(ids)
                assert failing.received  # tried in turn, refused, retried elsewhere
                assert {secret for _, secret in failing.received + working.received} == {SECRET}
                assert api.webhook.stats.delivered == 4
                assert api.webhook.stats.failed_attempts >= 2
                assert (await bot.get_webhook_info()).last_error_message

                await bot.delete_webhook()
                assert (await bot.get_webhook_info()).url == ""
                await api.send_text(1, "polled again")
                assert [u.message.text for u in await bot.get_updates() if u.message] == [
                    "polled again"
                ]
    finally:
        await failing.server.stop()
        await working.server.stop()


async def test_one_users_updates_are_delivered_in_order_one_at_a_time():
    order: list[int] = []
    release = asyncio.Event()

    async def handle(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        order.append(body["update_id"])
        if len(order) == 1:
            await release.wait()
        return web.Response()

    server = WebServer(web.Application())
    server.app.router.add_post("/hook", handle)
    await server.start("127.0.0.1", 0)
    try:
        async with LocalBotApi() as api:
            bot = ApplicationBuilder().token(TOKEN).base_url(api.base_url).build().bot
            async with bot:
                await bot.set_webhook(f"{server.base_url}/hook")
                first = await api.send_text(5, "one")
                second = await api.send_text(5, "two")
                other = await api.send_text(6, "other user")
                await api.wait_until(lambda: other in order)
                assert second not in order  # waits for the answer to the first
                release.set()
                await api.wait_until(lambda: api.pending_updates() == 0)
                assert order.index(first) < order.index(second)
    finally:
        await server.stop()


async def test_polling_confirms_an_update_only_once_processed():
    release = asyncio.Event()
    seen: list[str] = []

    async def slow(update: Update, _context: object) -> None:
        assert update.message is not None and update.message.text is not None
        seen.append(update.message.text)
        if update.message.text == "slow":
            await release.wait()

    async with LocalBotApi() as api:
        app = (
            ApplicationBuilder()
            .application_class(TrackedApplication)
            .token(TOKEN)
            .base_url(api.base_url)
            .concurrent_updates(True)
            .updater(None)
            .build()
        )
        app.add_handler(MessageHandler(filters.TEXT, slow))
        assert isinstance(app, TrackedApplication)
        async with app:
            await app.start()
            poller = Poller(app, timeout_s=1)
            polling = asyncio.create_task(poller.run())
            try:
                slow_id = await api.send_text(5, "slow")
                fast_id = await api.send_text(6, "fast")
                await app.wait_processed(fast_id, 10)
                await api.wait_until(lambda: poller.confirmed == slow_id)
                await asyncio.sleep(0.3)  # more polls: still not confirmed
                assert [u["update_id"] for u in api.world.updates] == [slow_id, fast_id]
                assert seen.count("slow") == 1  # handed over once, not again
                release.set()
                await app.wait_processed(slow_id, 10)
                await api.wait_until(lambda: api.pending_updates() == 0)
            finally:
                polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
                await app.stop()
