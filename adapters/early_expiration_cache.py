"""A TTL'd in-process cache with probabilistic early expiration and single flight.

One piece for every TTL'd cache of the gateway (final games, standings, leaderboards): the
value of a key is recomputed a little *before* it expires, by one reader, while everyone
else keeps reading the still-valid value, so a hot key never expires under a crowd
(no stampede) and no reader waits for a recompute it did not need.

XFetch / PER (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede
Prevention", VLDB 2015): a reader at time ``now`` recomputes when
``now - delta * beta * ln(rand()) >= expiry``, ``rand()`` uniform in ``[0, 1)``, ``delta``
the measured duration of the key's last compute. ``-ln(rand())`` is exponential, so the
closer to expiry and the slower the compute, the likelier an early recompute.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

V = TypeVar("V")

_log = logging.getLogger(__name__)


def due_for_recompute(now: float, expires_at: float, delta: float, beta: float, r: float) -> bool:
    """The PER condition ``now - delta * beta * ln(r) >= expires_at``.

    ``r == 0.0`` (``random.random()`` may return it) is ``ln(0) = -inf``: recompute, the
    formula's limit, instead of a math domain error.
    """
    if r <= 0.0:
        return True
    return now - delta * beta * math.log(r) >= expires_at


@dataclass(frozen=True)
class CacheStats:
    """Counters since the cache was built; each :meth:`EarlyExpirationCache.get` counts
    exactly one of ``hits``, ``misses``, ``waits``.

    - ``hits``: served a cached, unexpired value at once.
    - ``misses``: no valid value, and this reader started the compute.
    - ``waits``: no valid value, and this reader joined the compute already in flight.
    - ``early_recomputes``: computes started before expiry by the PER draw (each of them
      also counted as a hit: its reader got the old value).
    - ``failures``: computes that raised. ``evictions``: entries dropped for the size
      bound. ``entries``: values held now (expired ones included until read or evicted).
    """

    hits: int = 0
    misses: int = 0
    waits: int = 0
    early_recomputes: int = 0
    failures: int = 0
    evictions: int = 0
    entries: int = 0


@dataclass(frozen=True)
class _Entry(Generic[V]):
    value: V
    expires_at: float  # on the cache's clock
    delta: float  # how long the compute that produced the value took


class EarlyExpirationCache(Generic[V]):
    """Values by key, each kept ``ttl_seconds`` after its compute finished.

    Guarantees (asyncio only: every call from the one event loop that runs the computes;
    not thread-safe, nothing shared between processes):

    - **No stale beyond expiry.** A value is served from the cache only while
      ``clock() < finished + ttl_seconds`` (``finished``: when its compute returned); a
      reader after that waits for a fresh compute. So a returned value is always less than
      ``ttl_seconds`` old when ``get`` returns (the data it was built from may be older by
      the compute's own duration).
    - **Early recompute (PER).** A reader of an unexpired value draws ``r = uniform()``
      and, if ``due_for_recompute(now, expires_at, delta, beta, r)`` holds (``delta``: the
      measured duration of the last successful compute of that key), starts a recompute in
      the background and still returns the current value at once.
    - **Single flight.** At most one compute per key is in flight. While it is, no reader
      of that key starts another: before expiry it gets the current value at once; after
      expiry, or for a cold key, it awaits the in-flight compute. The compute used is the
      one passed by the reader that started the flight: every reader of a key must pass an
      equivalent ``compute``.
    - **Failures are not cached.** A compute that raises hands its exception to every
      reader awaiting it and stores nothing; the next reader that needs a value retries.
      A failed *early* recompute leaves the old value served until its expiry. Every
      failure is logged (an early one has no reader to raise to) and counted.
    - **Cancellation is private.** Each compute runs as its own task, shielded from its
      readers: a cancelled reader gets ``CancelledError``, the others (and the cache) still
      get the result. A compute nobody awaits any more still completes and is stored.
    - **Invalidation.** :meth:`invalidate` drops the key's value and detaches its in-flight
      compute: readers already awaiting it get its result, which is not stored; later
      readers start a new compute, so nothing begun before ``invalidate`` is served after.
    - **Bounded.** At most ``max_entries`` values; storing one more evicts the least
      recently used (read or stored) key.
    """

    def __init__(
        self,
        ttl_seconds: float,
        *,
        beta: float = 1.0,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
        uniform: Callable[[], float] = random.random,
    ) -> None:
        if not ttl_seconds > 0:
            raise ValueError(f"ttl_seconds must be > 0, not {ttl_seconds!r}")
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0, not {beta!r}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, not {max_entries!r}")
        self._ttl = ttl_seconds
        self._beta = beta
        self._max_entries = max_entries
        self._clock = clock
        self._uniform = uniform
        self._entries: OrderedDict[str, _Entry[V]] = OrderedDict()
        self._in_flight: dict[str, asyncio.Task[V]] = {}
        self._running: set[asyncio.Task[V]] = set()  # strong references, detached ones too
        self._hits = self._misses = self._waits = self._early = 0
        self._failures = self._evictions = 0

    async def get(self, key: str, compute: Callable[[], Awaitable[V]]) -> V:
        """The key's value: cached if unexpired, else from the (single) compute in flight."""
        now = self._clock()
        entry = self._entries.get(key)
        flight = self._in_flight.get(key)
        if entry is not None:
            if now < entry.expires_at:
                self._entries.move_to_end(key)
                self._hits += 1
                if flight is None and due_for_recompute(
                    now, entry.expires_at, entry.delta, self._beta, self._uniform()
                ):
                    self._early += 1
                    self._start(key, compute)
                return entry.value
            del self._entries[key]  # expired: never served again
        if flight is None:
            self._misses += 1
            flight = self._start(key, compute)
        else:
            self._waits += 1
        return await asyncio.shield(flight)

    def invalidate(self, key: str) -> None:
        """Forget the key's value; a compute in flight for it finishes but is not stored."""
        self._entries.pop(key, None)
        self._in_flight.pop(key, None)

    def stats(self) -> CacheStats:
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            waits=self._waits,
            early_recomputes=self._early,
            failures=self._failures,
            evictions=self._evictions,
            entries=len(self._entries),
        )

    async def close(self) -> None:
        """Cancel every compute in flight (their readers get ``CancelledError``); drop all."""
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._entries.clear()
        self._in_flight.clear()

    def _start(self, key: str, compute: Callable[[], Awaitable[V]]) -> asyncio.Task[V]:
        task = asyncio.get_running_loop().create_task(
            self._compute(key, compute), name=f"cache compute {key!r}"
        )
        self._in_flight[key] = task
        self._running.add(task)
        task.add_done_callback(partial(self._finished, key))
        return task

    async def _compute(self, key: str, compute: Callable[[], Awaitable[V]]) -> V:
        me = asyncio.current_task()
        started = self._clock()
        try:
            value = await compute()
        except Exception:
            self._failures += 1
            raise
        else:
            finished = self._clock()
            if self._in_flight.get(key) is me:  # not invalidated meanwhile
                delta = max(0.0, finished - started)
                self._store(key, _Entry(value, finished + self._ttl, delta))
            return value
        finally:  # released in the step that stores (or fails): no reader joins a done task
            if self._in_flight.get(key) is me:
                del self._in_flight[key]

    def _store(self, key: str, entry: _Entry[V]) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
            self._evictions += 1

    def _finished(self, key: str, task: asyncio.Task[V]) -> None:
        self._running.discard(task)
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        if not task.cancelled() and (error := task.exception()) is not None:
            _log.warning("cache compute for %r failed: %r", key, error)
