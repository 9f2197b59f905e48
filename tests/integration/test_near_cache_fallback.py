"""The near cache's cold read against the real Redis state cache and pub/sub: a cold game
is one Redis GET (its bytes are the body as-is), then Redis pub/sub keeps it current
through the hub; with Redis away, or without a copy there, the store's view answers."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from adapters.redis_broker import RedisBroker
from adapters.redis_state_cache import RedisStateCache
from entrypoints.web.hub import Hub, Replay, updates_channel
from entrypoints.web.near_cache import NearCache
from entrypoints.web.state_fallback import fallback_reader


class View:
    def __init__(self, states: dict[str, dict[str, Any]]) -> None:
        self.states = states
        self.reads = 0

    def state(self, game_id: str) -> dict[str, Any] | None:
        self.reads += 1
        return self.states.get(game_id)


def no_replay(game_id: str) -> Replay:
    async def replay(after: int) -> list[tuple[int, bytes]]:
        return []

    return replay


def state(game_id: str, version: int) -> dict[str, Any]:
    return {"game_id": game_id, "version": version, "status": "LIVE", "home_score": version}


async def test_a_cold_game_comes_from_redis_then_follows_its_pub_sub(
    redis_service: tuple[str, str],
) -> None:
    url, prefix = redis_service
    prefix = f"{prefix}near-{uuid.uuid4().hex[:8]}:"
    cache = RedisStateCache(url, prefix=prefix)
    broker = RedisBroker(url, prefix=prefix)
    hub = Hub(broker)
    view = View({})
    near = NearCache(hub, fallback_reader(cache, view), no_replay)
    try:
        await cache.put("g", state("g", 4), final=False)
        stored = await cache.get_raw("g")
        found = await near.get("g")
        assert found is not None and found.version == 4
        assert found.body == stored  # the cache's bytes, not re-encoded
        assert view.reads == 0

        update = {"game_id": "g", "version": 5, "event": {}, "state": state("g", 5)}
        await cache.put("g", state("g", 5), final=False)
        await broker.publish(updates_channel("g"), json.dumps(update).encode())
        for _ in range(200):
            held = near.peek("g")
            if held is not None and held.version == 5:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the published update never reached the near cache")
        assert held.state() == state("g", 5)
    finally:
        await near.close()
        await hub.close()
        await broker.close()
        await cache.close()


async def test_without_a_copy_or_without_redis_the_view_answers(
    redis_service: tuple[str, str],
) -> None:
    url, prefix = redis_service
    cache = RedisStateCache(url, prefix=f"{prefix}near-{uuid.uuid4().hex[:8]}:")
    view = View({"g": state("g", 2)})
    load = fallback_reader(cache, view)
    try:
        found = await load("g")
        assert found is not None and found.version == 2 and view.reads == 1
        assert await load("nope") is None
    finally:
        await cache.close()
    away = RedisStateCache("redis://127.0.0.1:1/0", timeout=0.5)  # nothing listens there
    try:
        found = await fallback_reader(away, view)("g")
        assert found is not None and found.version == 2
    finally:
        await away.close()
