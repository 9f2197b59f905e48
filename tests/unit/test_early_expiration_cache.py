"""EarlyExpirationCache: one compute per key however many readers, early and never stale.

Time and the PER draw are injected; computes return only when a test releases them.
"""

from __future__ import annotations

import asyncio
import logging
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters.early_expiration_cache import CacheStats, EarlyExpirationCache

TTL = 60.0


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Down(Exception):
    """The backend a compute reads from failed."""


class Backend:
    """Counts computes; each returns only when the test calls finish() or fail()."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls = 0
        self.pending: list[asyncio.Future[str]] = []

    async def compute(self) -> str:
        self.calls += 1
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.pending.append(future)
        return await future

    def finish(self, value: str, *, took: float = 0.0) -> None:
        self.clock.now += took
        self.pending.pop(0).set_result(value)

    def fail(self) -> None:
        self.pending.pop(0).set_exception(Down("backend down"))


async def settle(rounds: int = 20) -> None:
    """Let every runnable task run until it blocks again."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def readers(cache: EarlyExpirationCache[str], backend: Backend, n: int) -> list[asyncio.Task[str]]:
    return [asyncio.create_task(cache.get("k", backend.compute)) for _ in range(n)]


async def answers(tasks: list[asyncio.Task[str]]) -> list[str | BaseException]:
    """What each reader got (value or exception); fails, instead of hanging, if one still waits."""
    await settle()
    assert all(task.done() for task in tasks), "a reader is still waiting"
    return [task.exception() or task.result() for task in tasks]


async def read_now(cache: EarlyExpirationCache[str], backend: Backend) -> str | BaseException:
    """A read that must be answered without any compute being released."""
    (answer,) = await answers(readers(cache, backend, 1))
    return answer


async def fill(cache: EarlyExpirationCache[str], backend: Backend, value: str, took: float) -> None:
    (reader,) = readers(cache, backend, 1)
    await settle()
    backend.finish(value, took=took)
    assert await answers([reader]) == [value]


def cache_at(clock: FakeClock, r: float, **options: int) -> EarlyExpirationCache[str]:
    return EarlyExpirationCache[str](TTL, clock=clock, uniform=lambda: r, **options)


async def test_a_thousand_readers_of_a_cold_key_cause_one_compute() -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.5)
    waiting = readers(cache, backend, 1000)
    await settle()
    assert backend.calls == 1
    assert not any(reader.done() for reader in waiting)
    backend.finish("v1", took=0.5)
    assert await answers(waiting) == ["v1"] * 1000
    assert cache.stats() == CacheStats(misses=1, waits=999, entries=1)


async def test_readers_of_an_expired_key_cause_one_compute_and_get_the_new_value() -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.5)
    await fill(cache, backend, "v1", took=2.0)  # expires at 2 + 60
    clock.now = 62.0
    waiting = readers(cache, backend, 1000)
    await settle()
    assert backend.calls == 2
    assert not any(reader.done() for reader in waiting)  # the old value is not served
    backend.finish("v2")
    assert await answers(waiting) == ["v2"] * 1000
    assert cache.stats() == CacheStats(misses=2, waits=999, entries=1)


async def test_an_early_recompute_is_started_once_and_nobody_waits_for_it() -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.1)
    await fill(cache, backend, "v1", took=2.0)  # delta 2, expires at 62
    clock.now = 61.0  # 61 - 2 * ln(0.1) = 65.6 >= 62: due
    served = readers(cache, backend, 1000)
    await settle()
    assert all(reader.done() for reader in served)
    assert [reader.result() for reader in served] == ["v1"] * 1000
    assert backend.calls == 2
    assert cache.stats() == CacheStats(hits=1000, misses=1, early_recomputes=1, entries=1)
    backend.finish("v2", took=0.5)
    assert await read_now(cache, backend) == "v2"
    assert backend.calls == 2


async def test_a_draw_of_exactly_zero_recomputes_early_instead_of_crashing() -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.0)
    await fill(cache, backend, "v1", took=0.0)
    assert await read_now(cache, backend) == "v1"
    assert cache.stats().early_recomputes == 1


@settings(max_examples=300, deadline=None)
@given(
    d=st.floats(0, 100),
    b=st.floats(0, 10),
    r=st.floats(0, 1, exclude_max=True),
    ahead=st.floats(0, 2 * TTL),
)
@example(d=2.0, b=1.0, r=0.1, ahead=59.0)  # due early
@example(d=2.0, b=1.0, r=0.9, ahead=59.0)  # not yet
@example(d=2.0, b=1.0, r=0.9, ahead=TTL)  # expired
async def test_a_reader_recomputes_iff_the_per_condition_holds(
    d: float, b: float, r: float, ahead: float
) -> None:
    clock = FakeClock(0.0)
    cache = EarlyExpirationCache[str](TTL, beta=b, clock=clock, uniform=lambda: r)
    calls = 0

    async def compute() -> str:
        nonlocal calls
        calls += 1
        clock.now += d  # the compute takes d: delta = d, expiry = d + TTL
        return "v"

    await cache.get("k", compute)
    clock.now = t = d + ahead
    await cache.get("k", compute)
    await settle()
    expected = r == 0.0 or t - d * b * math.log(r) >= d + TTL
    assert calls == 1 + expected


async def test_a_failed_compute_reaches_every_waiter_is_not_cached_and_is_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.5)
    waiting = readers(cache, backend, 10)
    await settle()
    with caplog.at_level(logging.WARNING):
        backend.fail()
        outcomes = await answers(waiting)
    assert all(isinstance(outcome, Down) for outcome in outcomes)
    assert "failed" in caplog.text
    assert cache.stats() == CacheStats(misses=1, waits=9, failures=1, entries=0)
    await fill(cache, backend, "v1", took=1.0)
    assert backend.calls == 2


async def test_a_failed_early_recompute_keeps_the_old_value_and_is_retried() -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.1)
    await fill(cache, backend, "v1", took=2.0)  # expires at 62
    clock.now = 61.0
    assert await read_now(cache, backend) == "v1"
    backend.fail()
    await settle()
    assert await read_now(cache, backend) == "v1"  # still valid, and due again
    assert backend.calls == 3
    assert cache.stats().failures == 1


async def test_a_cancelled_reader_does_not_cancel_the_compute_for_the_others() -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.5)
    first, *others = readers(cache, backend, 3)
    await settle()
    first.cancel()  # the reader that started the compute
    await settle()
    backend.finish("v1")
    assert await answers(others) == ["v1", "v1"]
    assert first.cancelled()
    assert await read_now(cache, backend) == "v1"
    assert backend.calls == 1


async def test_a_compute_whose_readers_all_left_still_completes_and_is_stored() -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.5)
    waiting = readers(cache, backend, 3)
    await settle()
    for reader in waiting:
        reader.cancel()
    await settle()
    backend.finish("v1")
    await settle()
    assert await read_now(cache, backend) == "v1"
    assert backend.calls == 1


async def test_the_least_recently_used_key_is_evicted_past_max_entries() -> None:
    clock = FakeClock()
    computed: list[str] = []
    cache = cache_at(clock, 0.999, max_entries=2)

    async def read(key: str) -> str:
        async def compute() -> str:
            computed.append(key)
            return key

        return await cache.get(key, compute)

    for key in ("a", "b", "a", "c"):  # reading "a" again makes "b" the oldest
        await read(key)
    assert cache.stats().evictions == 1 and cache.stats().entries == 2
    await read("a")
    await read("c")
    assert computed == ["a", "b", "c"]
    await read("b")
    assert computed == ["a", "b", "c", "b"]


async def test_invalidate_drops_the_value_and_detaches_the_compute_in_flight() -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.5)
    (before,) = readers(cache, backend, 1)
    await settle()
    cache.invalidate("k")
    after = readers(cache, backend, 2)
    await settle()
    assert backend.calls == 2  # a reader after invalidate does not join the old compute
    backend.finish("old")
    assert await answers([before]) == ["old"]
    late = readers(cache, backend, 1)  # "old" was not stored: this one joins the new compute
    await settle()
    assert not any(reader.done() for reader in [*after, *late])
    assert backend.calls == 2
    backend.finish("new")
    assert await answers([*after, *late]) == ["new"] * 3
    cache.invalidate("k")
    assert cache.stats().entries == 0


async def test_close_cancels_the_computes_in_flight_and_drops_every_value() -> None:
    clock = FakeClock()
    backend = Backend(clock)
    cache = cache_at(clock, 0.5)
    await fill(cache, backend, "v1", took=1.0)
    clock.now = 100.0
    waiting = readers(cache, backend, 2)
    await settle()
    await cache.close()
    await settle()
    assert all(reader.cancelled() for reader in waiting)
    assert backend.pending[0].cancelled()
    assert cache.stats().entries == 0


@pytest.mark.parametrize(
    ("ttl", "beta", "max_entries"), [(0.0, 1.0, 1), (-1.0, 1.0, 1), (1.0, -0.5, 1), (1.0, 1.0, 0)]
)
def test_nonsense_settings_are_refused(ttl: float, beta: float, max_entries: int) -> None:
    with pytest.raises(ValueError):
        EarlyExpirationCache[str](ttl, beta=beta, max_entries=max_entries)
