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

from storage.models import DiscreetErasure

# deleteMessages skips ids that are not (or no longer) in the chat; a range
# wider than this is cut at its newest end (the messages nearest the crash).
MAX_RANGE = 1000


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
                chat_id=chat_id, user_id=user_id, from_message_id=first_id, open_update=update_id
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
                chat_id=chat_id, user_id=user_id, from_message_id=first, open_update=update_id
            )
        )
        return
    previous = row.open_update
    if previous is not None and (previous == update_id or previous not in set(saved)):
        # ``previous`` ran and never saved: its messages are not listed.
        start = max(ids, default=row.from_message_id)
        row.gap_from = start if row.gap_from is None else min(row.gap_from, start)
    row.open_update = update_id


async def pending(session: AsyncSession, chat_id: int) -> DiscreetErasure | None:
    return await session.get(DiscreetErasure, chat_id)


async def close(session: AsyncSession, chat_id: int) -> None:
    """The report's messages are erased: nothing is left to do."""
    await session.execute(delete(DiscreetErasure).where(DiscreetErasure.chat_id == chat_id))


async def open_reporters(session: AsyncSession) -> list[int]:
    """The users with a report not erased yet (open, or cut short by a crash)."""
    return list(
        await session.scalars(select(DiscreetErasure.user_id).order_by(DiscreetErasure.user_id))
    )


def ids_to_erase(
    listed: Iterable[int], row: DiscreetErasure | None, newest: int | None
) -> list[int]:
    """The listed ids, and the range from ``gap_from`` to the newest id known."""
    ids = set(listed)
    if row is not None and row.gap_from is not None:
        top = max([*ids, newest or 0, row.gap_from])
        ids.update(range(max(row.gap_from, top - MAX_RANGE), top + 1))
    return sorted(ids)


__all__ = ["close", "ids_to_erase", "note_update", "open_report", "open_reporters", "pending"]
