from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.processor import PerUserUpdateProcessor


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_one_users_updates_stay_in_order_while_others_go_ahead():
    processor = PerUserUpdateProcessor(max_concurrent=8)
    events: list[tuple[str, int]] = []
    release_first = asyncio.Event()

    async def handle(update: Update) -> None:
        events.append(("start", update.update_id))
        if update.update_id == 1:
            await release_first.wait()  # user 100's first update is slow
        events.append(("end", update.update_id))

    updates = [_update(1, 100), _update(2, 100), _update(3, 200), _update(4, 100)]
    tasks = [asyncio.create_task(processor.process_update(u, handle(u))) for u in updates]
    await asyncio.sleep(0.05)
    # User 200 was not held up by user 100's slow update; user 100's others wait.
    assert ("end", 3) in events
    assert ("start", 2) not in events and ("start", 4) not in events
    release_first.set()
    await asyncio.gather(*tasks)
    order_100 = [n for kind, n in events if kind == "start" and n != 3]
    assert order_100 == [1, 2, 4]
    assert processor._tails == {}  # nothing is kept once a user's queue is empty


async def test_concurrency_is_bounded():
    processor = PerUserUpdateProcessor(max_concurrent=2)
    running = 0
    peak = 0

    async def handle() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    await asyncio.gather(
        *(processor.process_update(_update(n, 1000 + n), handle()) for n in range(6))
    )
    assert peak == 2
