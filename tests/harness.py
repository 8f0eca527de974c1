"""End-to-end harness: the real Application against the local Bot API over
HTTP on loopback, with the test database. ``send`` and ``press`` return what
the bot sent (to anyone) while handling that one update."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import TrackedApplication, build_application, prepare_database, startup
from bot.localapi import LocalBotApi, SentMessage
from bot.services import Services
from bot.settings import Settings

TOKEN = "123456:test-token"


async def eventually(condition: Callable[[], object], limit_s: float = 30.0) -> bool:
    """Whether ``condition()`` holds within ``limit_s`` (asked every 20 ms):
    for what a timer or another task does a moment later. The limit is for
    a loaded CI machine, not the expected wait; the caller asserts."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 20, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class BotHarness:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        *,
        admin_ids: list[int] | None = None,
        **settings: object,
    ) -> None:
        settings.setdefault("background_jobs", False)  # tests drive scheduler.jobs.run_due
        self.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=TOKEN,
            admin_ids=admin_ids or [],
            **settings,
        )
        self.clock = Clock()
        self.services = Services(self.settings, engine, sessions, clock=self.clock)
        self.api = LocalBotApi(on_bot_message=self._seen)
        self.app: TrackedApplication | None = None
        self.dead: list[TrackedApplication] = []  # left by crash(), stopped at the end
        self.seen: list[SentMessage] = []
        self.last_press = -1

    def _seen(self, message: SentMessage) -> None:
        # New messages only: edits (a settled button, a live counter) are
        # read from the chat itself when a test cares.
        if message.edited_count == 0:
            self.seen.append(message)

    async def __aenter__(self) -> BotHarness:
        await self.api.start()
        await self._start_app()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stop_app()
        for app in self.dead:
            if app.running:
                await app.stop()
            await app.shutdown()
        await self.api.stop()

    async def new_app(self) -> TrackedApplication:
        """Another bot process on the same database and local Bot API, not
        taking updates until :meth:`switch_to` it."""
        app = build_application(
            self.services,
            token=TOKEN,
            base_url=self.api.base_url,
            base_file_url=self.api.base_file_url,
        )
        assert isinstance(app, TrackedApplication)
        await app.initialize()
        await app.start()
        self.dead.append(app)
        return app

    async def switch_to(self, app: TrackedApplication) -> None:
        """Updates go to ``app`` from now on; the current one stays up, idle."""
        assert self.app is not None and self.app.updater is not None and app.updater is not None
        await self.app.updater.stop()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        self.app = app

    async def crash(self) -> None:
        """The process dies (nothing flushed, nothing stopped) and a new one
        starts on the same data."""
        assert self.app is not None and self.app.updater is not None
        await self.app.updater.stop()
        self.dead.append(self.app)
        self.app = None
        await self._start_app()

    async def _start_app(self) -> None:
        app = build_application(
            self.services,
            token=TOKEN,
            base_url=self.api.base_url,
            base_file_url=self.api.base_file_url,
        )
        assert isinstance(app, TrackedApplication)
        await prepare_database(self.services)
        await app.initialize()
        await startup(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        self.app = app

    async def _stop_app(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    async def restart(self) -> None:
        """Stop the bot as a deployment would, and start a new one on the same data."""
        await self._stop_app()
        await self._start_app()

    async def _settle(self, update_id: int) -> list[SentMessage]:
        before = len(self.seen)
        assert self.app is not None
        await self.app.wait_processed(update_id, 10)
        return self.seen[before:]

    async def send(self, user_id: int, text: str) -> list[SentMessage]:
        before = len(self.seen)
        update_id = await self.api.send_text(user_id, text)
        await self._settle(update_id)
        return self.seen[before:]

    async def edit_last(self, user_id: int, text: str) -> list[SentMessage]:
        """The user edits the last text they sent."""
        before = len(self.seen)
        mine = [m for m in self.api.world.chats[user_id] if not m.from_bot and m.text]
        update_id = await self.api.edit_text(user_id, mine[-1].message_id, text)
        await self._settle(update_id)
        return self.seen[before:]

    async def redeliver(self, update_id: int) -> list[SentMessage]:
        """Telegram delivers ``update_id`` a second time."""
        before = len(self.seen)
        self.api.redeliver(update_id)
        await self._settle(update_id)
        return self.seen[before:]

    async def press(
        self, user_id: int, index: int | None = None, label: str | None = None
    ) -> list[SentMessage]:
        before = len(self.seen)
        update_id = await self.api.press_button(user_id, index=index, label=label)
        self.last_press = update_id
        await self._settle(update_id)
        return self.seen[before:]

    async def press_data(self, user_id: int, message_id: int, data: str) -> list[SentMessage]:
        before = len(self.seen)
        update_id = await self.api.press(user_id, message_id, data)
        self.last_press = update_id
        await self._settle(update_id)
        return self.seen[before:]

    async def photo(self, user_id: int, caption: str | None = None) -> list[SentMessage]:
        before = len(self.seen)
        update_id = await self.api.send_photo(user_id, b"\x89PNG fake", caption)
        await self._settle(update_id)
        return self.seen[before:]

    async def voice(self, user_id: int, data: bytes = b"OggS fake") -> list[SentMessage]:
        before = len(self.seen)
        update_id = await self.api.send_voice(user_id, data)
        await self._settle(update_id)
        return self.seen[before:]

    def answer(self) -> str:
        """What the bot answered to the last pressed button (the small toast)."""
        answer = self.api.answers_for(self.last_press)
        assert answer is not None, "the bot did not answer the button"
        return answer.text or ""

    def last(self, chat_id: int) -> SentMessage:
        return self.api.bot_messages(chat_id)[-1]

    def labels(self, chat_id: int) -> list[str]:
        """Button labels of the newest bot message with buttons in that chat."""
        for message in reversed(self.api.bot_messages(chat_id)):
            if message.reply_markup:
                return [b["text"] for row in message.reply_markup for b in row]
        return []


def texts(messages: list[SentMessage], chat_id: int | None = None) -> list[str]:
    return [m.text or m.caption or "" for m in messages if chat_id is None or m.chat_id == chat_id]
