"""Per-provider token buckets: ``rate`` requests a second, bursts of up to ``burst``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimits:
    """One token bucket per provider. Not shared between processes: each ingest node
    enforces its own share, so a fleet of N allows N x ``rate`` in all."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, provider: str) -> float:
        """Spend a token: 0.0 if there was one, else the seconds until there will be."""
        now = self.clock()
        bucket = self._buckets.get(provider)
        if bucket is None:
            bucket = self._buckets[provider] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate
