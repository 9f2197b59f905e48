"""One contract for every Broker implementation (see domain.ports.Broker)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.memory_broker import MemoryBroker
from adapters.redis_broker import RedisBroker
from domain.ports import Broker


@pytest.fixture(params=["memory", "redis"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    b: Broker = MemoryBroker()
    if request.param == "redis":
        url, prefix = request.getfixturevalue("redis_service")
        b = RedisBroker(url, prefix=prefix)
    yield b
    await b.close()


async def test_subscribers_get_messages_in_publish_order(broker: Broker) -> None:
    sub = await broker.subscribe("game:1:updates")
    for n in range(5):
        await broker.publish("game:1:updates", str(n).encode())
    got = [await asyncio.wait_for(sub.__anext__(), 2) for _ in range(5)]
    assert got == [b"0", b"1", b"2", b"3", b"4"]
    await sub.close()


async def test_channels_are_separate(broker: Broker) -> None:
    one = await broker.subscribe("game:1:updates")
    two = await broker.subscribe("game:2:updates")
    await broker.publish("game:2:updates", b"x")
    assert await asyncio.wait_for(two.__anext__(), 2) == b"x"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(one.__anext__(), 0.1)
    await one.close()
    await two.close()


async def test_every_subscriber_of_a_channel_gets_each_message(broker: Broker) -> None:
    subs = [await broker.subscribe("c") for _ in range(3)]
    await broker.publish("c", b"goal")
    assert [await asyncio.wait_for(s.__anext__(), 2) for s in subs] == [b"goal"] * 3
    for s in subs:
        await s.close()
