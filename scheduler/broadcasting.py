"""Broadcast runs over time: start the runs that are due, and keep the
coordinator's live progress message up to date until the final report."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from scheduler.runtime import Runtime, Texts, Translate
from scheduler.sender import Sender
from scheduler.throttle import INTERACTIVE, paced
from storage import broadcasts, outbox
from storage.models import Priority, Role, Unit, User
from storage.models.broadcasts import Broadcast, BroadcastRun, BroadcastStatus
from storage.users import Profile

log = logging.getLogger(__name__)

REPORT_KIND = "broadcast_report"
CANCEL_PREFIX = "bcx"
UNREACHABLE = "-"  # progress_shown of a run whose author cannot be written to


def header(t: Translate, place: str | None) -> str:
    if place is None:
        return t("📢 <b>National announcement</b>")
    return t("📢 <b>Announcement from {place}</b>").format(place=html.escape(place, quote=False))


def compose(t: Translate, place: str | None, content: broadcasts.Content) -> outbox.Message:
    """The broadcast as its recipients read it, in their language."""
    return outbox.Message(
        text=f"{header(t, place)}\n\n{content.text}",
        photo=content.photo,
        document=content.document,
    )


async def place_of(session: AsyncSession, broadcast: Broadcast) -> str | None:
    if broadcast.unit_id is None:
        return None
    unit = await session.get(Unit, broadcast.unit_id)
    return unit.name if unit is not None else None


@dataclass(frozen=True)
class Submitted:
    broadcast_id: int
    next_at: datetime | None
    started: broadcasts.Started | None  # None: scheduled for later


async def submit(
    sessions: async_sessionmaker[AsyncSession],
    author: Profile,
    content: broadcasts.Content,
    unit_id: int | None,
    places: Sequence[int],
    roles: Sequence[Role],
    schedule: broadcasts.Schedule,
    now: datetime,
    runtime: Runtime,
    texts: Texts,
    *,
    start_now: bool,
) -> Submitted:
    """A coordinator's confirmed broadcast: saved, and its first run started at
    once when it is for now, in one transaction. Raises ``BroadcastError``."""
    async with sessions.begin() as session:
        broadcast = await broadcasts.create(
            session,
            author,
            content,
            unit_id,
            places,
            roles,
            schedule,
            now,
            runtime.settings.zone,
        )
        started = await start_in(session, broadcast, runtime, texts) if start_now else None
        return Submitted(broadcast.id, broadcast.next_at, started)


async def start_in(
    session: AsyncSession, broadcast: Broadcast, runtime: Runtime, texts: Texts
) -> broadcasts.Started | None:
    """Start the broadcast's due run in this transaction."""
    place = await place_of(session, broadcast)
    content = broadcasts.Content(broadcast.text, broadcast.photo, broadcast.document)
    settings = runtime.settings

    def render(language: str | None) -> outbox.Message:
        return compose(texts(language or settings.default_language), place, content)

    return await broadcasts.start_run(
        session,
        broadcast,
        runtime.clock(),
        settings.zone,
        render,
        timedelta(hours=settings.reminder_max_late_hours),
    )


async def start_due(runtime: Runtime, texts: Texts) -> int:
    """Start every run whose time has come; returns how many started."""
    now = runtime.clock()
    async with runtime.sessions() as session:
        due = [b.id for b in await broadcasts.due_broadcasts(session, now)]
    started = 0
    for broadcast_id in due:
        async with runtime.sessions.begin() as session:
            broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
            if broadcast is None:
                continue
            result = await start_in(session, broadcast, runtime, texts)
            if result is not None and not result.skipped:
                started += 1
                log.info(
                    "broadcast %d: run %d to %d", broadcast_id, result.run.id, result.recipients
                )
    return started


def progress_text(
    t: Translate, broadcast: Broadcast, run: BroadcastRun, progress: broadcasts.Progress
) -> str:
    if not progress.over:
        title = t("📢 <b>Broadcast #{id}</b>: sending…")
    elif broadcast.status is BroadcastStatus.CANCELLED:
        title = t("⏹ <b>Broadcast #{id}</b>: stopped")
    elif progress.sent == 0:  # no ✅ for a broadcast that reached nobody
        title = t("⚠️ <b>Broadcast #{id}</b>: finished, nobody got it")
    else:
        title = t("✅ <b>Broadcast #{id}</b>: finished")
    lines = [
        title.format(id=broadcast.id),
        t("Delivered: {sent} of {total}").format(
            sent=t.number(progress.sent), total=t.number(progress.total)
        ),
        t("Blocked the bot: {n}").format(n=t.number(progress.blocked)),
        t("Failed: {n}").format(n=t.number(progress.failed)),
    ]
    if progress.waiting:
        lines.append(t("Waiting: {n}").format(n=t.number(progress.waiting)))
    if progress.cancelled:
        lines.append(t("Not sent, stopped: {n}").format(n=t.number(progress.cancelled)))
    return "\n".join(lines)


def report_text(t: Translate, broadcast: Broadcast, progress: broadcasts.Progress) -> str:
    if broadcast.status is BroadcastStatus.CANCELLED:
        text = t(
            "⏹ Broadcast #{id} was stopped. {sent} of {total} people got it before it stopped."
        )
    elif progress.sent == 0:
        text = t(
            "⚠️ Broadcast #{id} is finished, but nobody got it: {blocked} of {total} blocked the bot, {failed} failed."
        )
    else:
        text = t(
            "✅ Broadcast #{id} is finished: {sent} of {total} delivered, {blocked} blocked the bot, {failed} failed."
        )
    return text.format(
        id=broadcast.id,
        sent=t.number(progress.sent),
        total=t.number(progress.total),
        blocked=t.number(progress.blocked),
        failed=t.number(progress.failed),
    )


def stop_button(t: Translate, broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("⏹ Stop this broadcast"), callback_data=f"{CANCEL_PREFIX}:{broadcast_id}"
                )
            ]
        ]
    )


async def update_progress(runtime: Runtime, texts: Texts, sender: Sender) -> None:
    """For each running broadcast: count outcomes, close the run when every
    message has one (queueing the final report), and show the counts."""
    async with runtime.sessions() as session:
        run_ids = [run.id for run, _ in await broadcasts.running(session)]
    for run_id in run_ids:
        try:
            await _update_one(run_id, runtime, texts, sender)
        except TelegramError:
            log.exception("progress of broadcast run %d", run_id)


async def _update_one(run_id: int, runtime: Runtime, texts: Texts, sender: Sender) -> None:
    async with runtime.sessions.begin() as session:
        run = await session.get(BroadcastRun, run_id, with_for_update=True)
        if run is None:
            return
        broadcast = await session.get(Broadcast, run.broadcast_id)
        author = await session.get(User, broadcast.author_id) if broadcast else None
        if broadcast is None or author is None:
            return
        progress = await broadcasts.progress(session, run)
        t = texts(author.language or runtime.settings.default_language)
        if progress.over:
            await broadcasts.finish_run(session, run, broadcast, runtime.clock())
            await outbox.enqueue(
                session,
                kind=REPORT_KIND,
                chat_id=author.telegram_id,
                user_id=author.id,
                message=outbox.Message(text=report_text(t, broadcast, progress)),
                priority=Priority.NORMAL,
                dedupe_key=f"{broadcasts.ref_of(run.id)}:report",
            )
        shown, chat_id, message_id = run.progress_shown, author.telegram_id, None
        if run.progress_chat_id is not None:
            chat_id, message_id = run.progress_chat_id, run.progress_message_id
        text = progress_text(t, broadcast, run, progress)
        markup = None if progress.over else stop_button(t, broadcast.id)
    if progress.over:
        sender.wake()
    if shown == UNREACHABLE or (shown == progress.key and message_id is not None):
        return
    if progress.over and message_id is None:
        return  # never shown while running: the final report says it all
    new_id, shown_now = await _show(sender, chat_id, message_id, text, markup)
    async with runtime.sessions.begin() as session:
        run = await session.get(BroadcastRun, run_id)
        if run is not None:
            run.progress_chat_id = chat_id
            run.progress_message_id = new_id
            if new_id is None and shown_now:
                run.progress_shown = UNREACHABLE
            elif shown_now:
                run.progress_shown = progress.key


async def _show(
    sender: Sender, chat_id: int, message_id: int | None, text: str, markup: Any
) -> tuple[int | None, bool]:
    """Edit the progress message, or send it if there is none (or it is gone).
    Returns its id (None: the author cannot be reached) and whether it now
    shows ``text`` (False after a 429: the next round tries again)."""
    bot: Bot = sender.bot
    await sender.throttle.acquire(chat_id, INTERACTIVE)
    try:
        with paced():
            if message_id is not None:
                try:
                    await bot.edit_message_text(
                        text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                    )
                    return message_id, True
                except BadRequest as exc:
                    if "not modified" in str(exc).lower():
                        return message_id, True
                    log.info("progress message %d is gone (%s); sending a new one", message_id, exc)
                    await sender.throttle.acquire(chat_id, INTERACTIVE)
            sent = await bot.send_message(chat_id, text, reply_markup=markup)
            return sent.message_id, True
    except Forbidden:
        return None, True
    except RetryAfter as exc:
        retry = exc.retry_after
        seconds = retry.total_seconds() if isinstance(retry, timedelta) else float(retry)
        sender.throttle.pause(seconds, chat_id, everyone=False)
        return message_id, False
