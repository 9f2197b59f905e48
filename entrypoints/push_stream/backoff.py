"""Backoff: how long to wait before reconnecting, exponential with full jitter.

After the n-th consecutive failure (n = 1, 2, ...) the wait is drawn uniformly from
``[0, min(cap, base * 2 ** (n - 1))]`` (AWS "full jitter"): reconnecting clients
spread out instead of stampeding. :meth:`reset` once a connection is healthy again.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base: float, cap: float, rng: random.Random | None = None) -> None:
        if not 0 < base <= cap:
            raise ValueError(f"need 0 < base <= cap, got base={base!r} cap={cap!r}")
        self.base = base
        self.cap = cap
        self.rng = rng or random.Random()
        self.failures = 0

    def next_delay(self) -> tuple[float, float]:
        """(ceiling, delay) for one more failure."""
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 60))
        self.failures += 1
        return ceiling, self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        self.failures = 0
