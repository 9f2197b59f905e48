"""Broker over Redis pub/sub (see domain.ports.Broker for the guarantees).

Beyond the port:
- All subscriptions of one ``RedisBroker`` share ONE subscriber connection (one per
  process); each ``subscribe`` sends a SUBSCRIBE and returns once Redis confirmed it,
  so it gets everything published after it returns. The last subscription of a
  channel to close sends UNSUBSCRIBE.
- The connection is ours alone: redis-py's PubSub silently reconnects and
  re-subscribes, which would hide lost messages, so it is not used. When the
  connection drops (or stops answering PING), it is reopened with exponential
  backoff and jitter, every active channel is subscribed again, and once Redis
  confirms a channel each of its subscriptions yields :data:`RESYNC`: messages
  published before it may have been lost, everything after it is delivered. A
  ``subscribe`` while Redis is unreachable returns at once; RESYNC follows later.
- ``publish`` raises redis' ConnectionError/TimeoutError when Redis is unreachable.
  An attempt interrupted by a dropped connection is retried on a fresh one, so in
  that rare case a message may arrive twice (consumers skip versions they have).
- Channel names are ``prefix + channel`` in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import Connection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError

from domain.ports import BROKER_RESYNC

RESYNC = BROKER_RESYNC
"""What a subscription yields after a reconnect: messages may have been lost."""

log = logging.getLogger(__name__)

_Failure = (RedisError, OSError)


class RedisSubscription:
    """Messages of one channel in publish order, with RESYNC after a reconnect."""

    def __init__(self, broker: RedisBroker, channel: bytes) -> None:
        self._broker = broker
        self.channel = channel  # the full Redis channel name, prefix included
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._closed = False

    def deliver(self, message: bytes | None) -> None:
        self._queue.put_nowait(message)

    def __aiter__(self) -> RedisSubscription:
        return self

    async def __anext__(self) -> bytes:
        message = await self._queue.get()
        if message is None:
            self._queue.put_nowait(None)  # stay ended for every later call
            raise StopAsyncIteration
        return message

    async def close(self) -> None:
        """End the iteration; idempotent."""
        if self._closed:
            return
        self._closed = True
        self.deliver(None)
        await self._broker.discard(self)


class RedisBroker:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "",
        min_backoff: float = 0.1,
        max_backoff: float = 5.0,
        ping_interval: float = 5.0,
        timeout: float = 5.0,
    ) -> None:
        self._prefix = prefix
        self._min_backoff, self._max_backoff = min_backoff, max_backoff
        self._ping_interval = ping_interval
        # Publishing: a normal client, retrying once on a fresh connection.
        self._redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 1),
        )
        # Subscribing: bare connections made from this pool, never retried silently.
        self._pool: ConnectionPool = ConnectionPool.from_url(
            url,
            protocol=2,
            decode_responses=False,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,  # connecting and sending; reads pass their own
            socket_keepalive=True,
            health_check_interval=0,
            retry=Retry(NoBackoff(), 0),
        )
        self._channels: dict[bytes, set[RedisSubscription]] = {}
        self._confirm: dict[bytes, deque[asyncio.Future[None]]] = {}
        self._resyncing: set[bytes] = set()
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()
        self._first_attempt = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def publish(self, channel: str, message: bytes) -> None:
        await self._redis.publish(self._prefix + channel, message)

    async def subscribe(self, channel: str) -> RedisSubscription:
        """A subscription getting all published after this returns (Redis up), or
        RESYNC then all published after it (Redis down: it reconnects later)."""
        if self._closed:
            raise RuntimeError("the broker is closed")
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="redis-broker-subscriber")
        await self._first_attempt.wait()
        full = (self._prefix + channel).encode()
        subscription = RedisSubscription(self, full)
        async with self._lock:
            self._channels.setdefault(full, set()).add(subscription)
            conn = self._conn
            if conn is None:
                return subscription  # down: the reconnect subscribes it and RESYNCs
            confirmed = asyncio.get_running_loop().create_future()
            self._confirm.setdefault(full, deque()).append(confirmed)
            await self._send(conn, "SUBSCRIBE", full)
        # Resolved by Redis' confirmation, or at once when the connection drops.
        await confirmed
        return subscription

    async def discard(self, subscription: RedisSubscription) -> None:
        async with self._lock:
            subscribers = self._channels.get(subscription.channel)
            if subscribers is None:
                return
            subscribers.discard(subscription)
            if subscribers:
                return
            del self._channels[subscription.channel]
            if self._conn is not None:
                await self._send(self._conn, "UNSUBSCRIBE", subscription.channel)

    async def close(self) -> None:
        """End every subscription and close both connections; idempotent."""
        self._closed = True
        self._first_attempt.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        async with self._lock:
            if self._conn is not None:
                await self._drop(self._conn)
            subscriptions = [s for subs in self._channels.values() for s in subs]
            self._channels.clear()
        for subscription in subscriptions:
            subscription._closed = True
            subscription.deliver(None)
        await self._redis.aclose()
        await self._pool.disconnect()

    # The subscriber connection: only ever used under self._lock, except reads by _run.

    async def _send(self, conn: Connection, *args: Any) -> None:
        """Send on ``conn``; on failure drop it (the reader then reconnects)."""
        if self._conn is not conn or not conn.is_connected:
            await self._drop(conn)  # never let redis-py reopen it behind our back
            return
        try:
            await conn.send_command(*args, check_health=False)
        except _Failure as error:
            log.warning("redis broker: sending %s failed: %s", args[0], error)
            await self._drop(conn)

    async def _drop(self, conn: Connection) -> None:
        """Forget ``conn``: pending subscribes return (RESYNC follows the reconnect)."""
        if self._conn is conn:
            self._conn = None
            self._resyncing.clear()
            for waiting in self._confirm.values():
                for confirmed in waiting:
                    if not confirmed.done():
                        confirmed.set_result(None)
            self._confirm.clear()
        with contextlib.suppress(*_Failure):
            await conn.disconnect(nowait=True)

    async def _run(self) -> None:
        delay = self._min_backoff
        first = True
        while True:
            if not first:
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self._max_backoff)
            conn = await self._connect()
            if first:
                first = False
                self._first_attempt.set()
            if conn is None:
                continue
            try:
                async for _ in self._read(conn):
                    delay = self._min_backoff  # it answers: healthy again
            except _Failure as error:
                log.warning("redis broker: subscriber connection lost: %s", error)
            except Exception:  # a bug must not end resubscribing for good
                log.exception("redis broker: unexpected error on the subscriber connection")
            async with self._lock:
                await self._drop(conn)

    async def _connect(self) -> Connection | None:
        # redis-py leaves these two untyped.
        conn: Connection = self._pool.make_connection()  # type: ignore[no-untyped-call]
        try:
            await conn.connect()  # type: ignore[no-untyped-call]
        except _Failure as error:
            log.warning("redis broker: cannot connect: %s", error)
            with contextlib.suppress(*_Failure):
                await conn.disconnect(nowait=True)
            return None
        async with self._lock:
            self._conn = conn
            channels = list(self._channels)
            if channels:
                self._resyncing = set(channels)
                await self._send(conn, "SUBSCRIBE", *channels)
            if self._conn is not conn:
                return None
        if channels:
            log.info("redis broker: reconnected; resubscribing %d channels", len(channels))
        return conn

    async def _read(self, conn: Connection) -> AsyncIterator[None]:
        """Dispatch what ``conn`` receives; yields after each reply; raises when dead."""
        silent = 0
        while True:
            reply = await conn.read_response(timeout=self._ping_interval)
            if self._conn is not conn:
                raise ConnectionError("connection replaced")
            if reply is None:  # quiet for a ping interval: is it still there?
                silent += 1
                if silent > 1:
                    raise TimeoutError("no answer to PING")
                async with self._lock:
                    await self._send(conn, "PING")
                continue
            silent = 0
            self._dispatch(reply)
            yield None

    def _dispatch(self, reply: Any) -> None:
        if not isinstance(reply, list) or len(reply) < 2:
            return
        kind, channel = reply[0], reply[1]
        if kind == b"message" and len(reply) == 3:
            for subscription in list(self._channels.get(channel, ())):
                subscription.deliver(reply[2])
        elif kind == b"subscribe":
            if channel in self._resyncing:
                self._resyncing.discard(channel)
                for subscription in list(self._channels.get(channel, ())):
                    subscription.deliver(RESYNC)
                return
            waiting = self._confirm.get(channel)
            if waiting:
                confirmed = waiting.popleft()
                if not waiting:
                    del self._confirm[channel]
                if not confirmed.done():
                    confirmed.set_result(None)
