"""Broker in one process (see domain.ports.Broker for the guarantees)."""

from __future__ import annotations

import asyncio


class MemorySubscription:
    def __init__(self, broker: MemoryBroker, channel: str) -> None:
        self._broker = broker
        self.channel = channel
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    def deliver(self, message: bytes | None) -> None:
        self._queue.put_nowait(message)

    def __aiter__(self) -> MemorySubscription:
        return self

    async def __anext__(self) -> bytes:
        message = await self._queue.get()
        if message is None:
            raise StopAsyncIteration
        return message

    async def close(self) -> None:
        self._broker.discard(self)
        self.deliver(None)


class MemoryBroker:
    def __init__(self) -> None:
        self._channels: dict[str, set[MemorySubscription]] = {}

    async def publish(self, channel: str, message: bytes) -> None:
        for subscription in list(self._channels.get(channel, ())):
            subscription.deliver(message)

    async def subscribe(self, channel: str) -> MemorySubscription:
        subscription = MemorySubscription(self, channel)
        self._channels.setdefault(channel, set()).add(subscription)
        return subscription

    def discard(self, subscription: MemorySubscription) -> None:
        subscribers = self._channels.get(subscription.channel)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._channels[subscription.channel]

    async def close(self) -> None:
        for subscribers in list(self._channels.values()):
            for subscription in list(subscribers):
                await subscription.close()
