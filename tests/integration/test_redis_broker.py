"""RedisBroker beyond the Broker contract: one connection, confirmed subscribes,
unsubscribing, and resyncing after Redis goes away (on a private redis-server)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio

from adapters.redis_broker import RESYNC, RedisBroker, RedisSubscription
from tests.services import free_port, reachable, wait_reachable


class PrivateRedis:
    """A redis-server of this test alone, on a free port; killed and restarted at will."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_reachable("127.0.0.1", self.port, "the private redis-server", seconds=10)

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None
        for _ in range(100):
            if not reachable("127.0.0.1", self.port, 0.1):
                return
        raise AssertionError("the private redis-server is still up")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def shared(redis_service: tuple[str, str]) -> AsyncIterator[tuple[str, str]]:
    url, prefix = redis_service
    yield url, f"{prefix}broker-{uuid.uuid4().hex[:8]}:"


async def next_of(subscription: RedisSubscription, seconds: float = 5) -> bytes:
    return await asyncio.wait_for(subscription.__anext__(), seconds)


async def nothing_more(subscription: RedisSubscription) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(subscription.__anext__(), 0.2)


async def numsub(url: str, channel: str) -> int:
    client = redis.asyncio.Redis.from_url(url)
    try:
        found = await client.pubsub_numsub(channel)
        return int(found[0][1])
    finally:
        await client.aclose()


async def pubsub_clients(url: str) -> int:
    client = redis.asyncio.Redis.from_url(url)
    try:
        return len(await client.client_list(_type="pubsub"))
    finally:
        await client.aclose()


async def test_subscribe_returns_only_once_redis_confirmed_it(
    shared: tuple[str, str],
) -> None:
    url, prefix = shared
    publisher, subscriber = RedisBroker(url, prefix=prefix), RedisBroker(url, prefix=prefix)
    try:
        for n in range(20):  # another process publishes right after subscribe returns
            sub = await subscriber.subscribe(f"game:{n}:updates")
            await publisher.publish(f"game:{n}:updates", b"first")
            assert await next_of(sub) == b"first"
    finally:
        await publisher.close()
        await subscriber.close()


async def test_all_subscriptions_share_one_connection(private_redis: PrivateRedis) -> None:
    broker = RedisBroker(private_redis.url)
    try:
        subs = [await broker.subscribe(f"game:{n}:updates") for n in range(10)]
        subs.append(await broker.subscribe("game:0:updates"))
        assert await pubsub_clients(private_redis.url) == 1
        await broker.publish("game:0:updates", b"x")
        assert await next_of(subs[0]) == b"x" and await next_of(subs[-1]) == b"x"
    finally:
        await broker.close()


async def test_the_last_close_of_a_channel_unsubscribes(shared: tuple[str, str]) -> None:
    url, prefix = shared
    broker = RedisBroker(url, prefix=prefix)
    try:
        one, two = await broker.subscribe("c"), await broker.subscribe("c")
        assert await numsub(url, f"{prefix}c") == 1
        await one.close()
        await broker.publish("c", b"still")
        assert await next_of(two) == b"still"
        with pytest.raises(StopAsyncIteration):
            await next_of(one)
        await two.close()
        for _ in range(50):
            if await numsub(url, f"{prefix}c") == 0:
                break
            await asyncio.sleep(0.02)
        assert await numsub(url, f"{prefix}c") == 0
        again = await broker.subscribe("c")  # and subscribing again works
        await broker.publish("c", b"back")
        assert await next_of(again) == b"back"
    finally:
        await broker.close()


async def test_closing_the_broker_ends_every_subscription(shared: tuple[str, str]) -> None:
    url, prefix = shared
    broker = RedisBroker(url, prefix=prefix)
    sub = await broker.subscribe("c")
    await broker.close()
    with pytest.raises(StopAsyncIteration):
        await next_of(sub)
    await sub.close()  # idempotent, after the broker too


async def test_after_a_redis_restart_every_subscription_resyncs(
    private_redis: PrivateRedis,
) -> None:
    broker = RedisBroker(private_redis.url, min_backoff=0.05, max_backoff=0.5)
    try:
        one = await broker.subscribe("game:1:updates")
        two = await broker.subscribe("game:2:updates")
        await broker.publish("game:1:updates", b"before")
        assert await next_of(one) == b"before"

        private_redis.kill()
        with contextlib.suppress(Exception):  # lost: Redis is down
            await broker.publish("game:1:updates", b"lost")
        during = await broker.subscribe("game:3:updates")  # returns while Redis is down
        await asyncio.to_thread(private_redis.start)

        for sub in (one, two, during):
            assert await next_of(sub, 10) == RESYNC
        for n, sub in enumerate((one, two, during), start=1):
            await broker.publish(f"game:{n}:updates", f"after {n}".encode())
            assert await next_of(sub) == f"after {n}".encode()
        await nothing_more(one)
        assert await pubsub_clients(private_redis.url) == 1
    finally:
        await broker.close()


async def test_a_subscribe_while_redis_never_came_up_resyncs_once_it_does(
    tmp_path: Path,
) -> None:
    server = PrivateRedis(tmp_path)  # not started yet
    broker = RedisBroker(server.url, min_backoff=0.05, max_backoff=0.3, timeout=1)
    try:
        sub = await asyncio.wait_for(broker.subscribe("c"), 5)
        await asyncio.to_thread(server.start)
        assert await next_of(sub, 10) == RESYNC
        await broker.publish("c", b"hello")
        assert await next_of(sub) == b"hello"
    finally:
        await broker.close()
        server.kill()


async def test_a_hung_redis_is_detected_by_ping_and_resynced(private_redis: PrivateRedis) -> None:
    broker = RedisBroker(
        private_redis.url, min_backoff=0.05, max_backoff=0.3, ping_interval=0.2, timeout=0.5
    )
    try:
        sub = await broker.subscribe("c")
        assert private_redis.process is not None
        private_redis.process.send_signal(signal.SIGSTOP)  # up, but answering nothing
        await asyncio.sleep(1.0)
        private_redis.process.send_signal(signal.SIGCONT)
        assert await next_of(sub, 10) == RESYNC
        await broker.publish("c", b"awake")
        assert await next_of(sub) == b"awake"
    finally:
        await broker.close()
