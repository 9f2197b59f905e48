"""One active writer per read model: the lock passes to a standby when its holder dies."""

from __future__ import annotations

import asyncio

from adapters.postgres_advisory_lock import AdvisoryLock


async def test_only_one_holder_and_a_standby_takes_over(postgres_url: str) -> None:
    first, second = (
        AdvisoryLock(postgres_url, "game_state"),
        AdvisoryLock(postgres_url, "game_state"),
    )
    await first.acquire()
    standby = asyncio.create_task(second.acquire(poll_interval=0.05))
    await asyncio.sleep(0.3)
    assert not standby.done()
    assert await first.still_held()
    first.release()  # as when its process dies: the session ends
    await asyncio.wait_for(standby, 5)
    assert await second.still_held() and not await first.still_held()
    second.release()


async def test_locks_of_different_read_models_are_independent(postgres_url: str) -> None:
    a, b = AdvisoryLock(postgres_url, "game_state"), AdvisoryLock(postgres_url, "history")
    await asyncio.wait_for(a.acquire(), 5)
    await asyncio.wait_for(b.acquire(), 5)
    a.release()
    b.release()
