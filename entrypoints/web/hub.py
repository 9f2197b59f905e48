"""Hub: fans out one game's updates to every local subscriber of this process.

- One upstream broker subscription per game per process, shared by all its local
  subscribers and closed when the last one leaves (reference counted).
- Each message is decoded once; every subscriber gets the same ``HubMessage``
  (its JSON text pre-encoded once), never a per-connection copy.
- A broker resync (a reconnect: messages may be lost) reaches every subscriber as
  ``RESYNC``; each back-fills from the event store.
- Per-subscriber queues are bounded: a subscriber that falls ``queue_size`` messages
  behind is marked ``overflowed`` and told to leave (it reconnects and resumes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass

from domain.ports import BROKER_RESYNC, Broker, BrokerSubscription


def updates_channel(game_id: str) -> str:
    return f"game:{game_id}:updates"


@dataclass(frozen=True)
class HubMessage:
    version: int
    data: str  # the JSON text sent to fans as-is
    resync: bool = False  # messages may have been lost: back-fill from the store


RESYNC = HubMessage(0, "", resync=True)


class LocalSubscriber:
    def __init__(self, game_id: str, queue_size: int) -> None:
        self.game_id = game_id
        self.queue: asyncio.Queue[HubMessage | None] = asyncio.Queue(queue_size)
        self.overflowed = False

    def offer(self, message: HubMessage) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            self.leave()

    def leave(self) -> None:
        """Tell the subscriber to go: its next message is None, ahead of any backlog."""
        while True:
            try:
                self.queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    self.queue.get_nowait()

    async def next(self) -> HubMessage | None:
        """The next message, or None once this subscriber must leave."""
        return await self.queue.get()


class _Upstream:
    def __init__(self, subscription: BrokerSubscription) -> None:
        self.subscription = subscription
        self.subscribers: set[LocalSubscriber] = set()
        self.task: asyncio.Task[None] | None = None


class Hub:
    def __init__(self, broker: Broker, *, queue_size: int = 1024) -> None:
        self.broker = broker
        self.queue_size = queue_size
        self._upstreams: dict[str, _Upstream] = {}
        self._lock = asyncio.Lock()

    async def subscribe(self, game_id: str) -> LocalSubscriber:
        subscriber = LocalSubscriber(game_id, self.queue_size)
        async with self._lock:
            upstream = self._upstreams.get(game_id)
            if upstream is None:
                subscription = await self.broker.subscribe(updates_channel(game_id))
                upstream = _Upstream(subscription)
                upstream.task = asyncio.create_task(self._pump(upstream))
                self._upstreams[game_id] = upstream
            upstream.subscribers.add(subscriber)
        return subscriber

    async def unsubscribe(self, subscriber: LocalSubscriber) -> None:
        async with self._lock:
            upstream = self._upstreams.get(subscriber.game_id)
            if upstream is None:
                return
            upstream.subscribers.discard(subscriber)
            if not upstream.subscribers:
                del self._upstreams[subscriber.game_id]
                await upstream.subscription.close()

    def upstream_count(self) -> int:
        return len(self._upstreams)

    def subscriber_count(self) -> int:
        return sum(len(u.subscribers) for u in self._upstreams.values())

    async def _pump(self, upstream: _Upstream) -> None:
        async for raw in upstream.subscription:
            if raw == BROKER_RESYNC:
                message = RESYNC
            else:
                text = raw.decode()
                message = HubMessage(int(json.loads(text)["version"]), text)
            for subscriber in list(upstream.subscribers):
                subscriber.offer(message)

    async def close(self) -> None:
        async with self._lock:
            for upstream in self._upstreams.values():
                await upstream.subscription.close()
                for subscriber in upstream.subscribers:
                    subscriber.leave()
            self._upstreams.clear()
