"""The hub over a real Broker (memory, and Redis for the resync): one upstream per
game, reference counted; gaps and resyncs back-filled from the store once per game;
every version in order, exactly once, for any pattern of loss and duplication."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory_broker import MemoryBroker
from domain.ports import BROKER_RESYNC
from entrypoints.web.fanout.feed import Listener
from entrypoints.web.hub import Hub, updates_channel
from tests.services import PrivateRedis


class Store:
    """The recorded versions of one game; counts its reads."""

    def __init__(self) -> None:
        self.head = 0
        self.reads = 0

    def record(self) -> bytes:
        self.head += 1
        return message(self.head)

    async def replay(self, after: int) -> list[tuple[int, bytes]]:
        self.reads += 1
        return [(v, message(v)) for v in range(after + 1, self.head + 1)]


def message(version: int) -> bytes:
    return json.dumps({"game_id": "g", "version": version}).encode()


def versions_in_window(listener: Listener) -> list[int]:
    return [v for v, _ in listener.feed.frames]


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.fixture
async def broker() -> AsyncIterator[MemoryBroker]:
    b = MemoryBroker()
    yield b
    await b.close()


async def test_one_upstream_per_game_closed_when_the_last_subscriber_leaves(
    broker: MemoryBroker,
) -> None:
    hub, store = Hub(broker), Store()
    one = [await hub.subscribe("g1", store.replay) for _ in range(3)]
    other = await hub.subscribe("g2", store.replay)
    assert hub.upstream_count() == 2 and hub.subscriber_count() == 4
    assert set(broker._channels) == {updates_channel("g1"), updates_channel("g2")}
    assert all(len(s) == 1 for s in broker._channels.values()), "one broker subscription each"
    for listener in one[:2]:
        await hub.unsubscribe(listener)
    assert hub.upstream_count() == 2
    await hub.unsubscribe(one[2])
    await hub.unsubscribe(one[2])  # twice is harmless
    assert hub.upstream_count() == 1 and set(broker._channels) == {updates_channel("g2")}
    await hub.unsubscribe(other)
    assert hub.upstream_count() == 0 and broker._channels == {}
    await hub.close()


async def test_a_version_gap_is_back_filled_from_the_store_once_for_all(
    broker: MemoryBroker,
) -> None:
    hub, store = Hub(broker), Store()
    listeners = [await hub.subscribe("g", store.replay) for _ in range(50)]
    channel = updates_channel("g")
    await broker.publish(channel, store.record())
    store.record()  # recorded, but its message is lost
    store.record()
    await broker.publish(channel, store.record())
    await settle()
    assert versions_in_window(listeners[0]) == [1, 2, 3, 4]
    assert store.reads == 1
    await hub.close()


async def test_a_resync_back_fills_what_the_outage_lost_once_per_game(
    broker: MemoryBroker,
) -> None:
    hub, store = Hub(broker), Store()
    listener = await hub.subscribe("g", store.replay)
    channel = updates_channel("g")
    await broker.publish(channel, store.record())
    store.record()
    store.record()  # both lost while the broker was away
    await broker.publish(channel, BROKER_RESYNC)
    await settle()
    assert versions_in_window(listener) == [1, 2, 3] and store.reads == 1
    await broker.publish(channel, message(3))  # a late duplicate is dropped
    await broker.publish(channel, store.record())
    await settle()
    assert versions_in_window(listener) == [1, 2, 3, 4]
    await hub.close()


async def test_the_window_keeps_only_the_latest_frames(broker: MemoryBroker) -> None:
    hub, store = Hub(broker, recent_frames=4), Store()
    listener = await hub.subscribe("g", store.replay)
    for _ in range(10):
        await broker.publish(updates_channel("g"), store.record())
    await settle()
    assert versions_in_window(listener) == [7, 8, 9, 10]
    assert not listener.feed.covers(5) and listener.feed.covers(6)
    await hub.close()


async def test_after_a_redis_restart_the_hub_resyncs_from_the_store() -> None:
    from adapters.redis_broker import RedisBroker

    server = PrivateRedis().start()
    redis_broker = RedisBroker(server.url, min_backoff=0.05, max_backoff=0.2, ping_interval=0.5)
    hub, store = Hub(redis_broker), Store()
    try:
        listener = await hub.subscribe("g", store.replay)
        await redis_broker.publish(updates_channel("g"), store.record())
        await until(lambda: listener.feed.head == 1)
        server.kill()
        store.record()  # lost: nobody hears it while Redis is down
        server.start()
        await until(lambda: listener.feed.head == 2, tries=1000)
        assert versions_in_window(listener) == [1, 2] and store.reads == 1
    finally:
        await hub.close()
        await redis_broker.close()
        server.kill()


async def until(predicate: Callable[[], bool], tries: int = 300) -> None:
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never met")


def read(listener: Listener, seen: list[int], store: Store) -> None:
    """A subscriber keeping up: what the window holds above what it has; when the
    window has moved past it (a back-fill longer than the window), it is told to
    reconnect and resumes by Last-Event-ID: the store's events up to the window."""
    frames = listener.feed.frames
    if seen and frames and not listener.feed.covers(seen[-1]):
        seen.extend(range(seen[-1] + 1, frames[0][0]))
    seen.extend(v for v, _ in frames if not seen or v > seen[-1])


# For any pattern of broker loss, duplication and resyncs, a subscriber that reads
# the window from where it joined sees every recorded version once, in order.
Step = st.sampled_from(["deliver", "lose", "duplicate", "resync"])


@settings(max_examples=60, deadline=None)
@given(st.lists(Step, min_size=1, max_size=40), st.integers(min_value=2, max_value=8))
def test_every_version_reaches_a_subscriber_once_and_in_order(
    steps: list[str], window: int
) -> None:
    async def scenario() -> None:
        broker = MemoryBroker()
        hub, store = Hub(broker, recent_frames=window), Store()
        listener = await hub.subscribe("g", store.replay)
        channel = updates_channel("g")
        seen: list[int] = []
        for step in steps:
            if step == "resync":
                await broker.publish(channel, BROKER_RESYNC)
            elif step == "duplicate" and store.head:
                await broker.publish(channel, message(store.head))
            else:
                recorded = store.record()
                if step != "lose":
                    await broker.publish(channel, recorded)
            await settle()
            read(listener, seen, store)
        await broker.publish(channel, store.record())  # what comes next reveals any loss
        await settle()
        read(listener, seen, store)
        start = seen[0] if seen else 1
        assert seen == list(range(start, store.head + 1))
        await hub.close()
        await broker.close()

    asyncio.run(scenario())
