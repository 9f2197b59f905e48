"""Token buckets by key (a provider, a client's address): ``rate`` requests a second,
bursts of up to ``burst``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimits:
    """One token bucket per key (a provider, or a client's address). Not shared between
    processes: each node enforces its own share, so a fleet of N allows N x ``rate``.

    Memory is bounded for keys nobody chooses (client addresses): once more than
    ``max_keys`` buckets are held, the next :meth:`take` forgets every bucket that has
    refilled to ``burst``, which is exactly what a new bucket starts with, so forgetting
    one never changes an answer; only keys still spending are kept.
    """

    def __init__(
        self,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_keys: int = 100_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(self, provider: str) -> float:
        """Spend a token: 0.0 if there was one, else the seconds until there will be."""
        now = self.clock()
        bucket = self._buckets.get(provider)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[provider] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def held(self) -> int:
        """How many buckets are held (the memory bound's measure)."""
        return len(self._buckets)

    def _forget_full(self, now: float) -> None:
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
