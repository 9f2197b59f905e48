"""What a local push server was asked to fail, and what it accepted.

:class:`Faults` injects the providers' failures (dead tokens, malformed tokens, a run
of 429/5xx answers with ``Retry-After``, a delay); :class:`Recorder` keeps the
accepted notifications (or only their dedup keys, or only counts: a million
notifications need not be kept whole) and lets a test await a count without sleeping.
"""

from __future__ import annotations

import asyncio
import enum
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class RecordMode(enum.StrEnum):
    FULL = "full"  # every accepted notification kept (tests)
    IDS = "ids"  # only dedup keys kept: counts duplicates (bench)
    COUNT = "count"  # only counters (cheapest)


@dataclass
class Faults:
    """Failures to inject; mutate freely between requests (same event loop)."""

    dead_tokens: set[str] = field(default_factory=set)  # APNs 410 Unregistered / FCM 404
    bad_tokens: set[str] = field(default_factory=set)  # APNs 400 BadDeviceToken / FCM 400
    delay: float = 0.0  # seconds before every answer
    _forced: deque[tuple[int, float | None]] = field(default_factory=deque)

    def answer_first(self, status: int, count: int = 1, retry_after: float | None = None) -> None:
        """Answer the next ``count`` authenticated requests with ``status`` (429, 500,
        503) and the provider's reason for it, with ``Retry-After`` when given."""
        self._forced.extend([(status, retry_after)] * count)

    def next_forced(self) -> tuple[int, float | None] | None:
        return self._forced.popleft() if self._forced else None


class Recorder(Generic[T]):
    """Counts every answer; keeps accepted notifications as ``mode`` says."""

    def __init__(self, mode: RecordMode = RecordMode.FULL) -> None:
        self.mode = mode
        self.requests = 0
        self.accepted = 0
        self.duplicates = 0  # accepted again with a dedup key already seen (IDS, FULL)
        self.by_status: Counter[int] = Counter()
        self.deliveries: list[T] = []
        self._keys: set[bytes] = set()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def answered(self, status: int) -> None:
        self.requests += 1
        self.by_status[status] += 1

    def accept(self, key: bytes, delivery: T | None = None) -> None:
        """Record one accepted notification (``delivery`` is kept in FULL mode)."""
        self.accepted += 1
        if self.mode is not RecordMode.COUNT:
            if key in self._keys:
                self.duplicates += 1
            else:
                self._keys.add(key)
            if self.mode is RecordMode.FULL and delivery is not None:
                self.deliveries.append(delivery)
        if self._waiters:
            self._wake()

    async def wait_for_accepted(self, count: int, timeout: float = 10.0) -> None:
        """Return once ``count`` notifications were accepted (TimeoutError after ``timeout``)."""
        if self.accepted >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((count, future))
        await asyncio.wait_for(future, timeout)

    def _wake(self) -> None:
        waiting = []
        for count, future in self._waiters:
            if self.accepted >= count:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((count, future))
        self._waiters = waiting

    def stats(self) -> dict[str, Any]:
        """The counters, as ``GET /_stats`` answers them."""
        return {
            "requests": self.requests,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "by_status": {str(status): n for status, n in sorted(self.by_status.items())},
            "record": self.mode.value,
        }
