"""The sender against a scripted bot: every error class of the Bot API, with a
clock moved by hand."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from scheduler.sender import Sender, SenderConfig
from scheduler.throttle import Throttle
from storage import outbox, users
from storage.models import OutboxEntry, OutboxStatus, Priority, Role, User
from tests.harness import Clock, eventually
from tests.storage.helpers import person, tra_bong


@dataclass
class Sent:
    message_id: int


class ScriptedBot:
    """Answers each send from a per-chat script of errors; then succeeds."""

    def __init__(self, script: dict[int, list[Exception]] | None = None) -> None:
        self.script = script or {}
        self.calls: list[tuple[str, int, str | None]] = []
        self.delivered: list[int] = []
        self.next_id = 100

    async def _send(self, method: str, chat_id: int, text: str | None) -> Sent:
        self.calls.append((method, chat_id, text))
        await asyncio.sleep(0)
        errors = self.script.get(chat_id)
        if errors:
            raise errors.pop(0)
        self.delivered.append(chat_id)
        self.next_id += 1
        return Sent(self.next_id)

    async def send_message(self, chat_id, text, **kwargs):
        return await self._send("sendMessage", chat_id, text)

    async def send_photo(self, chat_id, photo, caption=None, **kwargs):
        return await self._send("sendPhoto", chat_id, caption)

    async def send_document(self, chat_id, document, caption=None, **kwargs):
        return await self._send("sendDocument", chat_id, caption)


def make_sender(sessions, bot, clock, **config) -> Sender:
    throttle = Throttle(rate_per_s=10_000, chat_interval_s=0)
    return Sender(bot, sessions, clock, throttle, SenderConfig(**config))


async def enqueue(sessions, *chats: int, kind="test", priority=Priority.NORMAL, **message):
    async with sessions.begin() as session:
        for chat in chats:
            await outbox.enqueue(
                session,
                kind=kind,
                chat_id=chat,
                message=outbox.Message(
                    text=message.get("text", f"to {chat}"), **message.get("media", {})
                ),
                priority=priority,
                dedupe_key=f"{kind}:{chat}",
            )


async def entry(sessions, chat_id: int) -> OutboxEntry:
    async with sessions() as session:
        found = await session.scalar(select(OutboxEntry).where(OutboxEntry.chat_id == chat_id))
    assert found is not None
    return found


async def test_each_error_class(sessions):
    clock = Clock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        blocker = await person(session, 403, Role.COLLABORATOR, commune)
    bot = ScriptedBot(
        {
            429: [RetryAfter(3)],
            502: [NetworkError("Bad Gateway")],
            504: [TimedOut("Timed out")],
            403: [Forbidden("Forbidden: bot was blocked by the user")],
            400: [BadRequest("Bad Request: chat not found")],
        }
    )
    await enqueue(sessions, 1, 429, 502, 504, 403, 400)
    sender = make_sender(sessions, bot, clock)
    await sender.drain()

    assert (await entry(sessions, 1)).status is OutboxStatus.SENT
    assert (await entry(sessions, 1)).message_id is not None
    # 429: back to wait for retry_after; it does not count as an attempt
    e429 = await entry(sessions, 429)
    assert (e429.status, e429.attempts) == (OutboxStatus.PENDING, 0)
    assert e429.not_before == clock.now + timedelta(seconds=3)
    # 5xx and timeout: back to wait, 1 s for the first retry
    for chat in (502, 504):
        waiting = await entry(sessions, chat)
        assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
        assert waiting.not_before == clock.now + timedelta(seconds=1)
    # 403: blocked, and the user is skipped until they write again
    e403 = await entry(sessions, 403)
    assert e403.status is OutboxStatus.BLOCKED
    async with sessions() as session:
        assert (await session.get(User, blocker.id)).bot_blocked
    # 400: failed with its reason
    e400 = await entry(sessions, 400)
    assert (e400.status, e400.error) == (OutboxStatus.FAILED, "Chat not found")

    clock.now += timedelta(seconds=1)
    await sender.drain()
    assert (await entry(sessions, 502)).status is OutboxStatus.SENT
    assert (await entry(sessions, 504)).status is OutboxStatus.SENT
    assert (await entry(sessions, 429)).status is OutboxStatus.PENDING
    clock.now += timedelta(seconds=2)
    await sender.drain()
    assert (await entry(sessions, 429)).status is OutboxStatus.SENT
    assert sorted(bot.delivered) == [1, 429, 502, 504]

    async with sessions.begin() as session:
        await users.touch(session, 403, "Lan", None)
    async with sessions() as session:
        assert not (await session.get(User, blocker.id)).bot_blocked


async def test_gives_up_after_max_attempts(sessions):
    clock = Clock()
    bot = ScriptedBot({7: [NetworkError("Bad Gateway")] * 3})
    await enqueue(sessions, 7)
    sender = make_sender(sessions, bot, clock, max_attempts=3)
    for _ in range(3):
        await sender.drain()
        clock.now += timedelta(minutes=10)
    failed = await entry(sessions, 7)
    assert failed.status is OutboxStatus.FAILED
    assert failed.error == "gave up after 3 attempts: Bad Gateway"
    assert bot.delivered == []


async def test_photo_document_and_buttons(sessions):
    clock = Clock()
    bot = ScriptedBot()
    async with sessions.begin() as session:
        await outbox.enqueue(
            session,
            kind="x",
            chat_id=1,
            message=outbox.Message(text="ảnh", photo="photo-id"),
        )
        await outbox.enqueue(
            session,
            kind="x",
            chat_id=2,
            message=outbox.Message(
                text="tài liệu",
                document="doc-id",
                buttons=((outbox.Button(text="OK", callback_data="ok:1"),),),
            ),
        )
    await make_sender(sessions, bot, clock).drain()
    assert sorted(bot.calls) == [("sendDocument", 2, "tài liệu"), ("sendPhoto", 1, "ảnh")]


async def test_outcome_hook_learns_the_message_id_and_a_failing_hook_loses_nothing(sessions):
    clock = Clock()
    learned: dict[int, int | None] = {}

    async def remember(session, outcome):
        learned[outcome.chat_id] = outcome.message_id
        if outcome.chat_id == 2:
            raise RuntimeError("a bug in a feature")

    outbox.on_outcome("alert-test", remember)
    await enqueue(sessions, 1, 2, kind="alert-test", priority=Priority.URGENT)
    await make_sender(sessions, ScriptedBot(), clock).drain()
    assert learned[1] == (await entry(sessions, 1)).message_id
    second = await entry(sessions, 2)
    assert second.status is OutboxStatus.SENT and second.message_id is not None


async def test_restart_after_a_crash_sends_each_message_once(sessions):
    """Entries claimed by a process that died are sent by the next one once
    their lease lapsed, not before (nothing is reset at start: the process
    that claimed them may be alive elsewhere); entries it marked sent are
    not sent again."""
    clock = Clock()
    await enqueue(sessions, *range(1, 11), kind="bc")
    async with sessions.begin() as session:
        claimed = await outbox.claim(session, clock(), 6, owner="dead", lease=timedelta(seconds=15))
        for item in claimed[:3]:  # the first three were sent and marked
            await outbox.finish(session, item.id, OutboxStatus.SENT, clock(), message_id=1)
    bot = ScriptedBot()
    sender = make_sender(sessions, bot, clock)
    assert await sender.recover() == 0
    await sender.drain()
    assert sorted(bot.delivered) == list(range(7, 11))  # 4-6 are still leased
    assert sender.stats.taken_over == 0
    clock.now += timedelta(seconds=15)
    await sender.drain()
    assert sorted(bot.delivered) == list(range(4, 11))
    assert sender.stats.taken_over == 3  # ambiguous: the dead sender may have sent them


async def test_a_claim_is_not_sent_after_its_lease(sessions):
    """A message that waited past its lease is put back, not sent: another
    sender may have taken it over."""
    clock = Clock()
    await enqueue(sessions, 1)
    bot = ScriptedBot()
    sender = make_sender(sessions, bot, clock, lease_s=15)
    original = sender.throttle.acquire
    waits = []

    async def slow(chat_id, priority):
        await original(chat_id, priority)
        if not waits:
            clock.now += timedelta(seconds=14)  # within the margin of its end
        waits.append(clock.now)

    sender.throttle.acquire = slow  # type: ignore[method-assign]
    await sender.drain()
    assert sender.stats.lease_lapsed == 1
    assert bot.delivered == [1]  # claimed again (by itself here), then sent once
    assert len(bot.calls) == 1


async def test_urgent_goes_before_queued_bulk(sessions):
    clock = Clock()
    await enqueue(sessions, *range(100, 140), kind="bulk", priority=Priority.BULK)
    await enqueue(sessions, 7, kind="alert", priority=Priority.URGENT)
    bot = ScriptedBot()
    await make_sender(sessions, bot, clock, max_in_flight=8).drain()
    assert bot.delivered[0] == 7
    assert sorted(bot.delivered[1:]) == list(range(100, 140))


async def alerts_to(sessions, chat: int, count: int) -> None:
    async with sessions.begin() as session:
        for n in range(count):
            await outbox.enqueue(
                session,
                kind="alert",
                chat_id=chat,
                message=outbox.Message(text=f"alert {n}"),
                priority=Priority.URGENT,
            )


async def test_alerts_to_one_chat_do_not_hold_a_broadcast_behind_them(sessions):
    """One chat gets a message a second: ten urgent alerts to one coordinator
    take one slot of the sender, not all of them, and go in order."""
    clock = Clock()
    await alerts_to(sessions, 1, 10)
    await enqueue(sessions, *range(100, 120), kind="bulk", priority=Priority.BULK)
    bot = ScriptedBot()
    throttle = Throttle(rate_per_s=10_000, chat_interval_s=1.0)
    sender = Sender(bot, sessions, clock, throttle, SenderConfig(max_in_flight=8))
    await sender.start()
    try:
        for _ in range(1000):
            if bot.delivered.count(1) >= 2:
                break
            await asyncio.sleep(0.01)
    finally:
        await sender.stop()
    second_alert = [n for n, chat in enumerate(bot.delivered) if chat == 1][1]
    assert sorted(bot.delivered[:second_alert]) == [1, *range(100, 120)]
    alerts = [text for _, chat, text in bot.calls if chat == 1]
    assert alerts == [f"alert {n}" for n in range(len(alerts))]


async def test_a_sender_waiting_for_one_chats_turn_does_not_poll_meanwhile(sessions, monkeypatch):
    """Three alerts to one chat, nothing else: between two of them the sender
    waits for the chat's turn instead of asking the database again and again."""
    clock = Clock()
    await alerts_to(sessions, 1, 3)
    claims = 0
    real = outbox.claim

    async def counted(*args, **kwargs):
        nonlocal claims
        claims += 1
        return await real(*args, **kwargs)

    monkeypatch.setattr(outbox, "claim", counted)
    bot = ScriptedBot()
    throttle = Throttle(rate_per_s=10_000, chat_interval_s=1.0)
    sender = Sender(bot, sessions, clock, throttle, SenderConfig(idle_poll_s=30))
    await sender.start()
    try:
        assert await eventually(lambda: len(bot.delivered) == 3)
    finally:
        await sender.stop()
    assert [text for _, _, text in bot.calls] == ["alert 0", "alert 1", "alert 2"]
    assert claims < 20  # before, it claimed in a loop, thousands of times a second


class SlowBot(ScriptedBot):
    """Sends to ``slow`` chats hang until ``release`` is set: a slow request
    or a slow mark of the database holds the slot the same way."""

    def __init__(self, slow: set[int]) -> None:
        super().__init__()
        self.slow = slow
        self.release = asyncio.Event()

    async def _send(self, method: str, chat_id: int, text: str | None) -> Sent:
        if chat_id in self.slow:
            await self.release.wait()
        return await super()._send(method, chat_id, text)


async def test_the_next_claim_does_not_wait_for_every_slot_to_be_free(sessions):
    """Half the slots still busy is no reason to stop: while four of the
    first eight messages hang, the sender claims and sends the next ones.
    Waiting for all eight made claims, sends and marks take turns, and the
    broadcast fell below the rate limit whenever the database was slow."""
    clock = Clock()
    await enqueue(sessions, *range(100, 120))
    bot = SlowBot(slow={100, 101, 102, 103})
    sender = make_sender(sessions, bot, clock, max_in_flight=8)
    await sender.start()
    try:
        assert await eventually(lambda: len(bot.delivered) == 16, limit_s=10)
        assert not set(bot.delivered) & bot.slow
    finally:
        bot.release.set()
        await eventually(lambda: len(bot.delivered) == 20)
        await sender.stop()
    assert sorted(bot.delivered) == list(range(100, 120))


async def test_expired_reminder_is_not_sent(sessions):
    clock = Clock()
    async with sessions.begin() as session:
        await outbox.enqueue(
            session,
            kind="reminder",
            chat_id=5,
            message=outbox.Message(text="late"),
            expires_at=clock.now - timedelta(seconds=1),
        )
    bot = ScriptedBot()
    await make_sender(sessions, bot, clock).drain()
    assert bot.delivered == []
    assert (await entry(sessions, 5)).status is OutboxStatus.EXPIRED


async def test_background_sender_is_woken_and_stops_cleanly(sessions):
    clock = Clock()
    bot = ScriptedBot()
    sender = make_sender(sessions, bot, clock, idle_poll_s=30)
    await enqueue(sessions, 11, 12)
    await sender.start()
    await eventually(lambda: len(bot.delivered) == 2)
    await sender.stop()
    assert sorted(bot.delivered) == [11, 12]
    assert not sender.running


async def test_the_sent_journal_closes_the_window_between_send_and_mark(sessions, tmp_path):
    """Killed after Telegram accepted a message but before the database mark:
    the journal tells the next start, which marks it instead of resending."""
    from scheduler.journal import SentJournal

    clock = Clock()
    learned: dict[int, int | None] = {}

    async def remember(session, outcome):
        learned[outcome.chat_id] = outcome.message_id

    outbox.on_outcome("journal-test", remember)
    await enqueue(sessions, 1, 2, 3, kind="journal-test")
    async with sessions.begin() as session:
        claimed = await outbox.claim(session, clock(), 3)
    dead = SentJournal(tmp_path / "sent.journal")  # the process that died
    dead.record(claimed[0].id, 4242)
    dead.close()
    with (tmp_path / "sent.journal").open("a") as fp:
        fp.write("17 ")  # a line cut short by the kill

    bot = ScriptedBot()
    throttle = Throttle(rate_per_s=10_000, chat_interval_s=0)
    journal = SentJournal(tmp_path / "sent.journal")
    sender = Sender(bot, sessions, clock, throttle, SenderConfig(), journal=journal)
    assert await sender.recover() == 1
    clock.now += outbox.DEFAULT_LEASE  # the dead process's lease on 2 and 3 lapses
    await sender.drain()
    assert sorted(bot.delivered) == [2, 3]
    first = await entry(sessions, 1)
    assert (first.status, first.message_id) == (OutboxStatus.SENT, 4242)
    assert learned[1] == 4242
    assert journal.read() == {}  # emptied as soon as the database has every mark
