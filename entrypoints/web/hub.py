"""Hub: fans out one game's updates to every local subscriber of this process.

Guarantees:
- One upstream broker subscription per game per process, shared by all its local
  subscribers and closed when the last one leaves (reference counted).
- Each update is encoded ONCE into its SSE frame (``id:``, ``event:``, ``data:``) as a
  ready ASGI message (with its HTTP/1.1 chunk, for subscribers written directly),
  kept in the game's window of recent frames (``Feed``) and handed as-is to every
  subscriber (``frames_encoded`` counts the encodes).
- The window is contiguous by version. A version gap on the broker (a lost message)
  or a broker resync (a reconnect: messages may be lost) is back-filled from the
  event store ONCE per game by the hub, not once per subscriber; so subscribers see
  every version once and in order. If the store cannot be read the window restarts
  and subscribers behind it resume by Last-Event-ID.
- A Last-Event-ID resume is served from the window when it covers the id; the window
  is seeded from the store once per game (single flight) when it is empty.
- ``drain`` tells every subscriber to reconnect (jittered ``retry:``), refuses new
  ones, and returns once they have gone or the deadline passed (the stragglers'
  tasks are then cancelled).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from domain.ports import BROKER_RESYNC, Broker, BrokerSubscription
from entrypoints.web.fanout.feed import Feed, Listener, Send
from entrypoints.web.fanout.frames import Message, chunked, encode_event
from entrypoints.web.update_messages import update_version

log = logging.getLogger("scoreline.hub")

Replay = Callable[[int], Awaitable[list[tuple[int, bytes]]]]
"""A game's recorded events above a version, each ``(version, SSE data)``, in order."""

RECENT_FRAMES = 256  # per game per process; a football match has ~100-300 events
PING_INTERVAL = 15.0


def updates_channel(game_id: str) -> str:
    return f"game:{game_id}:updates"


class _Upstream:
    def __init__(self, feed: Feed, subscription: BrokerSubscription, replay: Replay) -> None:
        self.feed = feed
        self.subscription = subscription
        self.replay = replay
        self.task: asyncio.Task[None] | None = None
        self.seeding: asyncio.Future[None] | None = None


class Hub:
    def __init__(
        self,
        broker: Broker,
        *,
        recent_frames: int = RECENT_FRAMES,
        ping_interval: float = PING_INTERVAL,
    ) -> None:
        self.broker = broker
        self.recent_frames = recent_frames
        self.ping_interval = ping_interval
        self.frames_encoded = 0
        self.draining = False
        self._upstreams: dict[str, _Upstream] = {}
        self._lock = asyncio.Lock()
        self._listeners = 0
        self._streams = 0  # listeners that write to a client (not in-process consumers)
        self._pinger: asyncio.Task[None] | None = None
        self._empty = asyncio.Event()

    def encode(self, version: int, data: bytes) -> Message:
        """The one encode of an update: its SSE frame as a shared ASGI message."""
        self.frames_encoded += 1
        return chunked(encode_event(data, event="game_event", event_id=version))

    async def subscribe(
        self, game_id: str, replay: Replay, send: Send | None = None, max_lag: int = 64
    ) -> Listener:
        """A new local subscriber of ``game_id`` writing to ``send`` once live (see
        ``Feed.go_live``); ``replay`` reads the store (the first subscriber's serves
        the game's back-fills while its upstream lives)."""
        async with self._lock:
            upstream = self._upstreams.get(game_id)
            if upstream is None:
                subscription = await self.broker.subscribe(updates_channel(game_id))
                upstream = _Upstream(Feed(game_id, self.recent_frames), subscription, replay)
                upstream.task = asyncio.create_task(self._pump(upstream), name=f"hub:{game_id}")
                self._upstreams[game_id] = upstream
            listener = Listener(upstream.feed, send, max_lag)
            upstream.feed.listeners.add(listener)
            self._listeners += 1
            self._streams += send is not None
            self._empty.clear()
            if self._pinger is None:
                self._pinger = asyncio.create_task(self._ping(), name="hub:ping")
        return listener

    async def unsubscribe(self, listener: Listener) -> None:
        async with self._lock:
            feed = listener.feed
            if listener not in feed.listeners:
                return
            feed.listeners.discard(listener)
            feed.live.discard(listener)
            listener.ended = True
            self._listeners -= 1
            self._streams -= listener.send is not None
            if not self._listeners:
                self._empty.set()
            upstream = self._upstreams.get(feed.game_id)
            if upstream is not None and upstream.feed is feed and not feed.listeners:
                del self._upstreams[feed.game_id]
                await upstream.subscription.close()

    def upstream_count(self) -> int:
        return len(self._upstreams)

    def subscriber_count(self) -> int:
        """Every local subscriber: streams and in-process consumers (the near cache)."""
        return self._listeners

    def stream_count(self) -> int:
        """The open SSE streams of this process."""
        return self._streams

    async def cover(self, listener: Listener, sent: int) -> bool:
        """Make the window reach back to ``sent`` if the store allows (seeding an empty
        window once per game); whether it now covers it."""
        feed = listener.feed
        if feed.covers(sent):
            return True
        upstream = self._upstreams.get(feed.game_id)
        if upstream is None or upstream.feed is not feed:
            return False
        if upstream.seeding is None:
            upstream.seeding = asyncio.ensure_future(self._seed(upstream))
        await asyncio.shield(upstream.seeding)
        return feed.covers(sent)

    async def _seed(self, upstream: _Upstream) -> None:
        feed = upstream.feed
        try:
            rows = await upstream.replay(0)
        except Exception as error:
            log.warning("hub: cannot seed %s from the store: %s", feed.game_id, error)
            upstream.seeding = None  # a later resume tries again
            return
        if feed.head is None:
            for version, data in rows[-feed.capacity :]:
                feed.append(version, self.encode(version, data))
        else:
            self._extend(feed, rows)
            first = feed.first or 0
            for version, data in reversed([r for r in rows if r[0] < first]):
                if not feed.prepend(version, self.encode(version, data)):
                    break
        feed.deliver()

    def _extend(self, feed: Feed, rows: list[tuple[int, bytes]]) -> None:
        head = feed.head or 0
        for version, data in rows:
            if version > head:
                feed.append(version, self.encode(version, data))
                head = version

    async def _backfill(self, upstream: _Upstream, before: int | None) -> None:
        """Fill the window from the store after its head (up to ``before``, or all)."""
        feed = upstream.feed
        after = feed.head or 0
        try:
            rows = await upstream.replay(after)
        except Exception as error:
            log.warning("hub: cannot back-fill %s from the store: %s", feed.game_id, error)
            return
        if feed.head is None and before is None:
            rows = rows[-feed.capacity :]
        self._extend(feed, [r for r in rows if before is None or r[0] < before])

    async def _pump(self, upstream: _Upstream) -> None:
        feed = upstream.feed
        async for raw in upstream.subscription:
            try:
                if raw == BROKER_RESYNC:
                    await self._backfill(upstream, None)
                else:
                    version = update_version(raw)
                    head = feed.head
                    if head is not None and version <= head:
                        continue
                    if head is not None and version > head + 1:
                        await self._backfill(upstream, version)
                    feed.append(version, self.encode(version, raw))
            except Exception:  # one bad message must not end the game's stream
                log.exception("hub: cannot fan out a message of %s", feed.game_id)
                continue
            feed.deliver()

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            for upstream in list(self._upstreams.values()):
                upstream.feed.ping()

    async def drain(self, deadline: float) -> None:
        """Tell every subscriber to reconnect elsewhere, then wait for them (at most
        ``deadline`` seconds); refuse new subscribers from now on."""
        self.draining = True
        started = time.monotonic()
        for upstream in list(self._upstreams.values()):
            upstream.feed.close()
        if self._listeners:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._empty.wait(), deadline)
        stragglers = [
            listener
            for upstream in list(self._upstreams.values())
            for listener in upstream.feed.listeners
            if listener.task is not None
        ]
        for listener in stragglers:
            listener.task.cancel()  # type: ignore[union-attr]
        log.info(
            "hub: drained in %.1f s (%d subscribers cut at the deadline)",
            time.monotonic() - started,
            len(stragglers),
        )

    async def close(self) -> None:
        async with self._lock:
            if self._pinger is not None:
                self._pinger.cancel()
                self._pinger = None
            for upstream in self._upstreams.values():
                upstream.feed.close()
                await upstream.subscription.close()
            self._upstreams.clear()
