"""One active writer per read model: the lock passes to a standby when its holder dies."""

from __future__ import annotations

import asyncio

from psycopg.conninfo import conninfo_to_dict

from adapters.postgres_advisory_lock import AdvisoryLock
from adapters.postgres_schema import conninfo


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


async def test_a_url_with_our_own_parameters_still_locks(postgres_url: str) -> None:
    """``?schema=`` and ``?pool_size=`` are Scoreline's, not libpq's: the lock's own
    connection leaves them out (it once retried "cannot reach PostgreSQL" forever)."""
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}schema=elsewhere&pool_size=2"
    lock = AdvisoryLock(url, "game_state:with-parameters")
    await asyncio.wait_for(lock.acquire(poll_interval=0.05), 5)
    assert await lock.still_held()
    lock.release()


def test_conninfo_takes_our_parameters_out_and_sets_the_search_path() -> None:
    info = conninfo("postgresql://u:p%40ss@db:6543/scores?schema=league&pool_size=4")
    assert conninfo_to_dict(info) == {
        "dbname": "scores",
        "host": "db",
        "port": "6543",
        "user": "u",
        "password": "p@ss",
        "connect_timeout": "10",
        "options": "-c search_path=league",
    }
