"""The near cache over the real hub and the in-process broker: warmed once from the
fallback, kept current by pub/sub, monotonic, bounded, final games TTL'd."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory_broker import MemoryBroker
from entrypoints.web.hub import Hub, Replay, updates_channel
from entrypoints.web.near_cache import NearCache
from entrypoints.web.state_snapshot import Snapshot, snapshot_of_frame, snapshot_of_state


def state(game_id: str, version: int, status: str = "LIVE", home: int = 0) -> dict[str, Any]:
    return {
        "game_id": game_id,
        "version": version,
        "status": status,
        "home_score": home,
        "away_score": 0,
    }


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Fallback:
    """The state cache behind the near cache: what it holds, and how often it is read."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}
        self.reads: list[str] = []
        self.gate: asyncio.Event | None = None  # when set, reads wait for it

    async def __call__(self, game_id: str) -> Snapshot | None:
        self.reads.append(game_id)
        if self.gate is not None:
            await self.gate.wait()
        found = self.states.get(game_id)
        return None if found is None else snapshot_of_state(found)


class Counters:
    def __init__(self) -> None:
        self.hits = self.misses = 0

    def cache_hit(self) -> None:
        self.hits += 1

    def cache_miss(self) -> None:
        self.misses += 1


def no_replay(game_id: str) -> Replay:
    async def replay(after: int) -> list[tuple[int, bytes]]:
        return []

    return replay


class World:
    def __init__(self, **options: Any) -> None:
        self.broker = MemoryBroker()
        self.hub = Hub(self.broker)
        self.fallback = Fallback()
        self.counters = Counters()
        self.clock = Clock()
        self.near = NearCache(
            self.hub, self.fallback, no_replay, counters=self.counters, clock=self.clock, **options
        )

    async def publish(self, game_id: str, version: int, status: str = "LIVE") -> None:
        message = {"game_id": game_id, "version": version, "event": {}, "state": state(
            game_id, version, status
        )}  # fmt: skip
        await self.broker.publish(updates_channel(game_id), json.dumps(message).encode())

    async def settle(self) -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    async def close(self) -> None:
        await self.near.close()
        await self.hub.close()


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    yield w
    await w.close()


async def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.005)


async def test_a_cold_game_is_read_once_then_served_from_memory(world: World) -> None:
    world.fallback.states["g"] = state("g", 3)
    first = await world.near.get("g")
    assert first is not None and first.version == 3
    for _ in range(5):
        held = world.near.peek("g")
        assert held is first
    assert world.fallback.reads == ["g"]
    assert (world.counters.misses, world.counters.hits) == (1, 5)
    assert world.hub.upstream_count() == 1  # one subscription, shared with the streams


async def test_concurrent_polls_of_a_cold_game_cause_one_read(world: World) -> None:
    world.fallback.states["g"] = state("g", 1)
    world.fallback.gate = asyncio.Event()
    polls = [asyncio.create_task(world.near.get("g")) for _ in range(50)]
    await world.settle()
    world.fallback.gate.set()
    answers = await asyncio.gather(*polls)
    assert {a.version for a in answers if a is not None} == {1}
    assert world.fallback.reads == ["g"]
    assert world.counters.misses == 1


async def test_published_updates_replace_the_state_without_a_read(world: World) -> None:
    world.fallback.states["g"] = state("g", 1)
    await world.near.get("g")
    await world.publish("g", 2)
    await wait_until(
        lambda: (world.near.peek("g") or snapshot_of_state(state("g", 0))).version == 2
    )
    held = world.near.peek("g")
    assert held is not None and held.state()["version"] == 2
    assert held.etag == b'"v2"'
    assert world.fallback.reads == ["g"]


async def test_an_update_published_during_the_cold_read_is_not_lost(world: World) -> None:
    world.fallback.states["g"] = state("g", 1)
    world.fallback.gate = asyncio.Event()
    poll = asyncio.create_task(world.near.get("g"))
    await wait_until(lambda: world.fallback.reads == ["g"])
    await world.publish("g", 2)  # after the subscription, before the read returns
    world.fallback.gate.set()
    await poll
    await wait_until(lambda: getattr(world.near.peek("g"), "version", 0) == 2)


async def test_versions_never_go_back(world: World) -> None:
    world.fallback.states["g"] = state("g", 5)
    await world.near.get("g")
    assert not world.near.offer("g", snapshot_of_state(state("g", 4)))
    assert not world.near.offer("g", snapshot_of_state(state("g", 5, home=9)))
    held = world.near.peek("g")
    assert held is not None and held.version == 5 and held.state()["home_score"] == 0
    assert world.near.offer("g", snapshot_of_state(state("g", 7)))
    await world.publish("g", 6)
    await world.settle()
    held = world.near.peek("g")
    assert held is not None and held.version == 7


async def test_an_unknown_game_is_not_held(world: World) -> None:
    assert await world.near.get("nope") is None
    assert await world.near.get("nope") is None
    assert world.fallback.reads == ["nope", "nope"]
    assert world.near.live_games() == []
    await world.settle()
    assert world.hub.upstream_count() == 0


async def test_games_nobody_polls_are_evicted_and_unsubscribed(world: World) -> None:
    for g in ("a", "b"):
        world.fallback.states[g] = state(g, 1)
        await world.near.get(g)
    world.clock.now += world.near.idle_seconds / 2
    world.near.peek("a")
    world.clock.now += world.near.idle_seconds / 2 + 1
    assert world.near.sweep() == 1
    assert world.near.live_games() == ["a"]
    await wait_until(lambda: world.hub.upstream_count() == 1)
    assert await world.near.get("b") is not None  # warmed again on demand
    assert world.fallback.reads == ["a", "b", "b"]


async def test_at_most_max_games_are_held_the_least_recently_polled_going_first() -> None:
    w = World(max_games=3)
    try:
        for i, g in enumerate("abcd"):
            w.fallback.states[g] = state(g, 1)
            w.clock.now += 1
            await w.near.get(g)
            if i == 2:
                w.clock.now += 1
                w.near.peek("a")  # a is fresher than b now
        assert sorted(w.near.live_games()) == ["a", "c", "d"]
        await wait_until(lambda: w.hub.upstream_count() == 3)
    finally:
        await w.close()


async def test_a_final_game_leaves_the_live_set_and_is_ttld() -> None:
    w = World(final_ttl_seconds=30.0)
    try:
        w.fallback.states["g"] = state("g", 1)
        await w.near.get("g")
        await w.publish("g", 2, "FINAL")
        await wait_until(lambda: w.near.final_games() == ["g"])
        assert w.near.live_games() == []
        await wait_until(lambda: w.hub.upstream_count() == 0)
        answer = await w.near.get("g")
        assert answer is not None and answer.version == 2 and answer.final
        assert w.fallback.reads == ["g"]  # what the stream brought, no read
        # A correction after the final whistle reaches pollers once the TTL runs out.
        w.fallback.states["g"] = state("g", 3, "FINAL", home=1)
        w.clock.now += 31
        answer = await w.near.get("g")
        assert answer is not None and answer.version == 3
        assert w.fallback.reads == ["g", "g"]
        # ... and a fallback older than what is known never replaces it.
        w.fallback.states["g"] = state("g", 1, "FINAL")
        w.clock.now += 31
        answer = await w.near.get("g")
        assert answer is not None and answer.version == 3
    finally:
        await w.close()


async def test_a_game_read_as_final_is_not_subscribed(world: World) -> None:
    world.fallback.states["g"] = state("g", 9, "FINAL")
    answer = await world.near.get("g")
    assert answer is not None and answer.final
    await world.settle()
    assert world.hub.upstream_count() == 0
    assert await world.near.get("g") is answer
    assert world.fallback.reads == ["g"]


async def test_a_draining_hub_takes_the_near_cache_off_it(world: World) -> None:
    world.fallback.states["g"] = state("g", 1)
    await world.near.get("g")
    await asyncio.wait_for(world.hub.drain(5.0), 2.0)  # does not wait for the near cache
    assert world.near.live_games() == []
    found = await world.near.get("g")  # still answered, from the fallback, not held
    assert found is not None and found.version == 1
    assert world.near.live_games() == [] and world.hub.subscriber_count() == 0


def test_an_sse_frame_gives_back_the_state_it_carries() -> None:
    hub = Hub(MemoryBroker())
    update = {"game_id": "g", "version": 4, "event": {"x": "a\nb"}, "state": state("g", 4)}
    frame = hub.encode(4, json.dumps(update).encode())["body"]
    assert snapshot_of_frame(frame).state() == state("g", 4)


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(1, 30),
    delivered=st.lists(
        st.tuples(st.sampled_from(["offer", "publish"]), st.integers(1, 30)), max_size=25
    ),
)
def test_for_any_order_of_delivered_versions_the_newest_is_held(
    first: int, delivered: list[tuple[str, int]]
) -> None:
    async def scenario() -> int:
        w = World()
        try:
            w.fallback.states["g"] = state("g", first)
            await w.near.get("g")
            for source, version in delivered:
                if source == "offer":
                    w.near.offer("g", snapshot_of_state(state("g", version)))
                else:
                    await w.publish("g", version)
                await w.settle()
            held = w.near.peek("g")
            assert held is not None
            return held.version
        finally:
            await w.close()

    assert asyncio.run(scenario()) == max([first, *(v for _, v in delivered)])
