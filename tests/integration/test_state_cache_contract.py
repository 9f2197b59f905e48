"""One contract for every StateCache implementation (see domain.ports.StateCache)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio

from adapters.memory_state_cache import FINAL_TTL, MemoryStateCache
from adapters.redis_state_cache import RedisStateCache
from domain.ports import StateCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Cache:
    """A cache under test, with a look at how long a game's state will live."""

    def __init__(self, cache: StateCache, ttl: Callable[[str], Awaitable[float | None]]) -> None:
        self.cache = cache
        self.ttl = ttl  # seconds the game's state has left, or None: no expiry


@pytest.fixture(params=["memory", "redis"])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        clock = Clock()
        memory = MemoryStateCache(clock=clock)

        async def memory_ttl(game_id: str) -> float | None:
            at = memory.expires_at(game_id)
            return None if at is None else at - clock.now

        yield Cache(memory, memory_ttl)
        await memory.close()
        return
    url, prefix = request.getfixturevalue("redis_service")
    prefix = f"{prefix}cache-{uuid.uuid4().hex[:8]}:"  # each test its own keys
    cache = RedisStateCache(url, prefix=prefix)
    raw = redis.asyncio.Redis.from_url(url)

    async def redis_ttl(game_id: str) -> float | None:
        left = await raw.ttl(cache.state_key(game_id))
        return None if left < 0 else float(left)

    yield Cache(cache, redis_ttl)
    await cache.close()
    await raw.aclose()


def state(game_id: str, version: int, status: str = "LIVE", **extra: Any) -> dict[str, Any]:
    return {"game_id": game_id, "version": version, "status": status, **extra}


async def test_put_then_get_round_trips(subject: Cache) -> None:
    s = state("g1", 3, home={"score": 1}, note="Ünïcode")
    await subject.cache.put("g1", s, final=False)
    assert await subject.cache.get("g1") == s
    raw = await subject.cache.get_raw("g1")
    assert raw is not None and json.loads(raw) == s
    assert await subject.cache.get("nope") is None
    assert await subject.cache.get_raw("nope") is None


async def test_a_newer_version_replaces_an_older_one(subject: Cache) -> None:
    await subject.cache.put("g1", state("g1", 1), final=False)
    await subject.cache.put("g1", state("g1", 2, note="later"), final=False)
    assert await subject.cache.get("g1") == state("g1", 2, note="later")


async def test_an_older_or_equal_version_never_overwrites(subject: Cache) -> None:
    await subject.cache.put("g1", state("g1", 5, note="newest"), final=False)
    await subject.cache.put("g1", state("g1", 4, note="replay"), final=False)
    await subject.cache.put("g1", state("g1", 5, note="same version"), final=False)
    await subject.cache.put("g1", state("g1", 1, "FINAL"), final=True)
    assert await subject.cache.get("g1") == state("g1", 5, note="newest")
    assert await subject.ttl("g1") is None


async def test_concurrent_writers_leave_the_highest_version(subject: Cache) -> None:
    versions = list(range(1, 41))
    versions.reverse()
    await asyncio.gather(*(subject.cache.put("g1", state("g1", v), final=False) for v in versions))
    found = await subject.cache.get("g1")
    assert found is not None and found["version"] == 40


async def test_live_states_do_not_expire_and_final_ones_do(subject: Cache) -> None:
    await subject.cache.put("g1", state("g1", 1), final=False)
    assert await subject.ttl("g1") is None
    await subject.cache.put("g1", state("g1", 2, "FINAL"), final=True)
    left = await subject.ttl("g1")
    assert left is not None and FINAL_TTL - 5 <= left <= FINAL_TTL
    # A correction after FINAL makes it live again: no expiry.
    await subject.cache.put("g1", state("g1", 3), final=False)
    assert await subject.ttl("g1") is None


async def test_all_states_lists_every_game(subject: Cache) -> None:
    assert await subject.cache.all_states() == []
    await subject.cache.put("g2", state("g2", 1), final=False)
    await subject.cache.put("g1", state("g1", 7, "FINAL"), final=True)
    await subject.cache.put("g2", state("g2", 2), final=False)
    assert await subject.cache.all_states() == [state("g1", 7, "FINAL"), state("g2", 2)]


async def test_a_state_needs_an_integer_version(subject: Cache) -> None:
    with pytest.raises((KeyError, TypeError)):
        await subject.cache.put("g1", {"game_id": "g1"}, final=False)
    with pytest.raises(TypeError):
        await subject.cache.put("g1", {"game_id": "g1", "version": "3"}, final=False)
    assert await subject.cache.get("g1") is None


async def test_memory_expiry_follows_its_clock() -> None:
    clock = Clock()
    cache = MemoryStateCache(clock=clock)
    await cache.put("g1", state("g1", 9, "FINAL"), final=True)
    assert cache.expires_at("g1") == clock.now + FINAL_TTL
    clock.now += FINAL_TTL - 1
    assert await cache.get("g1") is not None
    clock.now += 1
    assert await cache.get("g1") is None
    assert await cache.all_states() == []


async def test_redis_listing_prunes_expired_games(redis_service: tuple[str, str]) -> None:
    url, prefix = redis_service
    cache = RedisStateCache(url, prefix=f"{prefix}prune-{uuid.uuid4().hex[:8]}:")
    raw = redis.asyncio.Redis.from_url(url)
    try:
        await cache.put("g1", state("g1", 1, "FINAL"), final=True)
        await cache.put("g2", state("g2", 1), final=False)
        await raw.delete(cache.state_key("g1"))  # as its expiry would
        assert await cache.all_states() == [state("g2", 1)]
        assert await raw.hkeys(cache.games_key) == [b"g2"]
    finally:
        await cache.close()
        await raw.aclose()
