"""The near cache: this gateway process's copy of the states of the games it serves.

A poll of a game the process already serves is answered from memory, with no network
hop: the first poll of a game (a cold game) subscribes to its updates through the hub
(one more local subscriber of the game's single upstream subscription) and then reads
the state once from the fallback (the Redis state cache, or the embedded store's view);
from then on every published update replaces the state.

Guarantees (asyncio, one event loop; nothing shared between processes):

- **Monotonic.** A game's held state only moves to a higher ``version``: an update or a
  fallback read that is older than (or as old as) what is held is ignored, whatever the
  order they arrive in.
- **Nothing missed.** The subscription is made *before* the fallback read, so an update
  published after the read reaches the game's window, and one published before it is in
  what it read (the projector writes the state cache before it publishes). Lost messages
  and broker resyncs are the hub's to back-fill (its window stays contiguous). When the
  hub drains or closes, the game is evicted; while it drains, cold polls are answered
  from the fallback without subscribing.
- **Single flight.** Concurrent polls of one cold game cause one fallback read.
- **Bounded.** A live game nobody has polled for ``idle_seconds`` is evicted (its
  subscription closed) by a sweep every ``idle_seconds / 4`` (1 to 30 s); at most
  ``max_games`` live games are held, the least recently polled going first.
- **Final games** leave the live set: their subscription is closed and their state is
  held by :class:`~entrypoints.web.final_states.FinalStates` for ``final_ttl_seconds``,
  re-read from the fallback when it expires: a correction to a finished game reaches
  pollers within that TTL, never going back to an older version. Should a re-read find
  the game no longer FINAL, it is live again.
- An unknown game (the fallback has nothing) is not held: each poll of it reads again.
- Every answer counts one cache hit (from memory) or one miss (a fallback read).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from entrypoints.web.fanout.feed import Listener
from entrypoints.web.final_states import FinalStates, Load
from entrypoints.web.hub import Replay
from entrypoints.web.state_snapshot import Snapshot, snapshot_of_frame

log = logging.getLogger("scoreline.near_cache")


class UpdateSource(Protocol):
    """The hub's public API (``entrypoints.web.hub.Hub``): one more local subscriber of a
    game's single upstream, reading the game's window of frames."""

    draining: bool  # shutting down: no new subscribers wanted

    async def subscribe(self, game_id: str, replay: Replay) -> Listener: ...
    async def unsubscribe(self, listener: Listener) -> None: ...


ReplayFor = Callable[[str], Replay]
"""The store read the hub back-fills a game's window with (what its streams use)."""


class Counters(Protocol):
    def cache_hit(self) -> None: ...
    def cache_miss(self) -> None: ...


class _Live:
    __slots__ = ("polled_at", "snapshot", "subscriber", "task")

    def __init__(self, snapshot: Snapshot, polled_at: float, subscriber: Listener) -> None:
        self.snapshot = snapshot
        self.polled_at = polled_at
        self.subscriber = subscriber
        self.task: asyncio.Task[None] | None = None


class NearCache:
    def __init__(
        self,
        hub: UpdateSource,
        load: Load,
        replay: ReplayFor,
        *,
        counters: Counters | None = None,
        idle_seconds: float = 120.0,
        max_games: int = 10_000,
        final_ttl_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hub = hub
        self._load = load
        self._replay = replay
        self._counters = counters
        self.idle_seconds = idle_seconds
        self.max_games = max_games
        self._clock = clock
        self._live: dict[str, _Live] = {}
        self._warming: dict[str, asyncio.Task[Snapshot | None]] = {}
        self._finals = FinalStates(
            load, self.get, ttl_seconds=final_ttl_seconds, max_games=max_games, clock=clock
        )
        self._sweeper: asyncio.Task[None] | None = None
        self._unsubscribing: set[asyncio.Task[None]] = set()
        self._closed = False

    # ------------------------------------------------------------------ reads
    def peek(self, game_id: str) -> Snapshot | None:
        """A live game's state from memory (a hit), or None: then ``await get``."""
        entry = self._live.get(game_id)
        if entry is None:
            return None
        entry.polled_at = self._clock()
        if self._counters is not None:
            self._counters.cache_hit()
        return entry.snapshot

    async def get(self, game_id: str) -> Snapshot | None:
        """The game's state: from memory when held, else warmed from the fallback."""
        found = self.peek(game_id)
        if found is not None:
            return found
        if game_id in self._finals:
            return await self._final(game_id)
        flight = self._warming.get(game_id)
        if flight is None:
            flight = asyncio.get_running_loop().create_task(self._warm(game_id))
            self._warming[game_id] = flight
            flight.add_done_callback(lambda _: self._warming.pop(game_id, None))
        elif self._counters is not None:
            self._counters.cache_hit()  # joins the read in flight: no hop of its own
        return await asyncio.shield(flight)

    def live_games(self) -> list[str]:
        return list(self._live)

    def final_games(self) -> list[str]:
        return self._finals.games()

    # ---------------------------------------------------------------- updates
    def offer(self, game_id: str, snapshot: Snapshot) -> bool:
        """Hold ``snapshot`` for a live game if it is newer than the one held."""
        entry = self._live.get(game_id)
        if entry is None or snapshot.version <= entry.snapshot.version:
            return False
        entry.snapshot = snapshot
        if snapshot.final:
            self._retire(game_id, entry)
        return True

    def sweep(self) -> int:
        """Evict every live game not polled for ``idle_seconds``; how many went."""
        cutoff = self._clock() - self.idle_seconds
        idle = [g for g, e in self._live.items() if e.polled_at < cutoff]
        for game_id in idle:
            self._evict(game_id)
        return len(idle)

    async def close(self) -> None:
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for game_id in list(self._live):
            self._evict(game_id)
        for flight in list(self._warming.values()):
            flight.cancel()
        await asyncio.gather(*self._unsubscribing, return_exceptions=True)
        await self._finals.close()

    # --------------------------------------------------------------- internal
    async def _warm(self, game_id: str) -> Snapshot | None:
        """Subscribe, then read the fallback once: the game is live from then on."""
        if self._counters is not None:
            self._counters.cache_miss()
        if self._hub.draining:  # the process is going: answer, but hold nothing
            return await self._load(game_id)
        subscriber = await self._hub.subscribe(game_id, self._replay(game_id))
        try:
            snapshot = await self._load(game_id)
        except BaseException:
            await self._hub.unsubscribe(subscriber)
            raise
        if snapshot is None or snapshot.final or self._closed:
            await self._hub.unsubscribe(subscriber)
            if snapshot is not None and snapshot.final:
                self._finals.remember(game_id, snapshot)
            return snapshot
        entry = _Live(snapshot, self._clock(), subscriber)
        self._live[game_id] = entry
        entry.task = asyncio.get_running_loop().create_task(self._follow(game_id, entry))
        self._bound()
        self._start_sweeper()
        # Updates queued while the read ran are applied by _follow (older ones ignored).
        return entry.snapshot

    async def _follow(self, game_id: str, entry: _Live) -> None:
        """Take the newest frame of the game's window until it is evicted or retired.

        The hub keeps the window contiguous (it back-fills gaps and resyncs from the
        store), and only the newest state matters here: older frames are skipped.
        """
        listener = entry.subscriber
        feed = listener.feed
        while self._live.get(game_id) is entry:
            if feed.closing:  # the hub drains or closes: leave it; warm again on demand
                self._evict(game_id)
                return
            head = feed.head
            if head is not None and head > listener.sent:
                version, message = feed.frames[-1]
                listener.sent = version
                try:
                    snapshot = snapshot_of_frame(message["body"])
                except (ValueError, KeyError, TypeError) as error:
                    log.warning("unreadable frame of %r: %r; re-reading", game_id, error)
                    await self._reread(game_id)
                else:
                    self.offer(game_id, snapshot)
                continue
            await listener.wait()

    async def _reread(self, game_id: str) -> None:
        try:
            snapshot = await self._load(game_id)
        except Exception as error:  # keep what is held; the next update brings news
            log.warning("cannot re-read %r after a resync: %r", game_id, error)
            return
        if snapshot is not None:
            self.offer(game_id, snapshot)

    def _retire(self, game_id: str, entry: _Live) -> None:
        """A live game went FINAL: close its subscription, hold it as a final game."""
        del self._live[game_id]
        self._close_subscription(entry)
        self._finals.remember(game_id, entry.snapshot)

    async def _final(self, game_id: str) -> Snapshot | None:
        found, read_fallback = await self._finals.read(game_id)
        if self._counters is not None:
            (self._counters.cache_miss if read_fallback else self._counters.cache_hit)()
        return found

    def _bound(self) -> None:
        while len(self._live) > self.max_games:
            coldest = min(self._live, key=lambda g: self._live[g].polled_at)
            self._evict(coldest)

    def _evict(self, game_id: str) -> None:
        entry = self._live.pop(game_id, None)
        if entry is not None:
            self._close_subscription(entry)

    def _close_subscription(self, entry: _Live) -> None:
        task = entry.task
        current = asyncio.current_task()
        if task is not None and task is not current:
            task.cancel()
        unsubscribe = asyncio.get_running_loop().create_task(
            self._hub.unsubscribe(entry.subscriber)
        )
        self._unsubscribing.add(unsubscribe)
        unsubscribe.add_done_callback(self._unsubscribing.discard)
        unsubscribe.add_done_callback(_log_failure)

    def _start_sweeper(self) -> None:
        if self._sweeper is None and not self._closed:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        interval = min(30.0, max(1.0, self.idle_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            self.sweep()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("closing a near-cache subscription failed: %r", error)
