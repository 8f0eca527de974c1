"""What discreet mode (chế độ kín đáo) must erase from a reporter's chat.

The draft lists the ids of the report's messages (both sides) and is saved
with each update (``bot.processor.UserStates``). What a list saved per update
cannot cover is the update in flight when the process died: it may have
sent messages whose ids were never saved. Message ids in a chat only grow,
so a row "erase chat C from message id A" (:class:`DiscreetErasure`),
committed before the report's first message is sent, covers them: each
update of an open report notes its id on the row first, and when the next
one finds that the noted update never saved its state, every id from the
last one saved on is marked for erasure as a range (``gap_from``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ApprovalNotice, DiscreetErasure, OutboxEntry, utcnow
from storage.users import coarse_time

# deleteMessages skips ids that are not (or no longer) in the chat; a range
# wider than this is cut at its newest end (the messages nearest the crash).
MAX_RANGE = 1000
# What one update of /report sends is a few messages (an answer, a question,
# a hotline card): past the last listed id, this many are erased after a crash.
SLACK = 10


async def open_report(
    session: AsyncSession, chat_id: int, user_id: int, first_id: int, update_id: int
) -> None:
    """A report starts at message ``first_id`` (the /report command). A row
    already there is a report whose end never completed (the process died
    first): it is kept, and all of it, from its first id, is erased with
    the new one."""
    row = await session.get(DiscreetErasure, chat_id)
    if row is None:
        session.add(
            DiscreetErasure(
                chat_id=chat_id,
                user_id=user_id,
                from_message_id=first_id,
                open_update=update_id,
                created_at=coarse_time(utcnow()),  # to the day: it is keyed by a Telegram id
            )
        )
        return
    row.gap_from = row.from_message_id
    row.open_update = update_id


async def note_update(
    session: AsyncSession,
    chat_id: int,
    user_id: int,
    update_id: int,
    saved: Iterable[int],
    listed: Iterable[int],
) -> None:
    """An update of an open report begins. ``saved``: the ids of the user's
    updates whose state is saved (the redelivery guard's list, this one
    excluded); ``listed``: the message ids in the saved draft."""
    row = await session.get(DiscreetErasure, chat_id)
    ids = list(listed)
    if row is None:  # a draft from before these rows: it starts at its first message
        first = min(ids, default=0)
        session.add(
            DiscreetErasure(
                chat_id=chat_id,
                user_id=user_id,
                from_message_id=first,
                open_update=update_id,
                created_at=coarse_time(utcnow()),
            )
        )
        return
    previous = row.open_update
    if previous is not None and (previous == update_id or previous not in set(saved)):
        # ``previous`` ran and never saved: its messages are not listed.
        start = max(ids, default=row.from_message_id)
        row.gap_from = start if row.gap_from is None else min(row.gap_from, start)
    row.open_update = update_id


async def close(session: AsyncSession, chat_id: int) -> None:
    """The report's messages are erased: nothing is left to do."""
    await session.execute(delete(DiscreetErasure).where(DiscreetErasure.chat_id == chat_id))


async def open_reporters(session: AsyncSession) -> list[int]:
    """The users with a report not erased yet (open, or cut short by a crash)."""
    return list(
        await session.scalars(select(DiscreetErasure.user_id).order_by(DiscreetErasure.user_id))
    )


async def to_erase(
    session: AsyncSession,
    chat_id: int,
    listed: Iterable[int],
    saved: Iterable[int],
) -> list[int]:
    """The ids to delete: the listed ones, and after a crash a range from
    ``gap_from``. ``saved``: the ids of the user's updates whose state is
    saved. When the update noted last on the row is not among them (the sweep
    after a crash that was never delivered again), what it sent lies past
    every listed id, and no later id bounds it: :data:`SLACK` ids are added.
    Messages the bot sent to this chat for something else (the outbox, a
    registration request to approve) are kept."""
    ids = set(listed)
    row = await session.get(DiscreetErasure, chat_id)
    if row is None:
        return sorted(ids)
    gap, slack = row.gap_from, 0
    if row.open_update is not None and row.open_update not in set(saved):
        start = max(ids, default=row.from_message_id)
        gap, slack = (start if gap is None else min(gap, start)), SLACK
    if gap is None:
        return sorted(ids)
    top = max([gap, *ids]) + slack
    low = max(gap, top - MAX_RANGE)
    kept = set(
        await session.scalars(
            select(OutboxEntry.message_id).where(
                OutboxEntry.chat_id == chat_id, OutboxEntry.message_id.between(low, top)
            )
        )
    )
    kept.update(
        await session.scalars(
            select(ApprovalNotice.message_id).where(
                ApprovalNotice.chat_id == chat_id, ApprovalNotice.message_id.between(low, top)
            )
        )
    )
    ids.update(i for i in range(low, top + 1) if i not in kept)
    return sorted(ids)


__all__ = ["close", "note_update", "open_report", "open_reporters", "to_erase"]
