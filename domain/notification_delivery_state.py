"""The notification worker's bookkeeping: its counters, its retry policy, the progress
of each owned queue partition, one queue record being delivered, and the tokens it
recently found dead (see domain/notification_worker.py for the guarantees)."""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from domain.notification_ports import PushSender
from domain.ports import Positioned
from domain.push import PushNotification


@dataclass
class WorkerCounts:
    """What the worker did, per target, since it started (for metrics)."""

    sent: int = 0  # accepted by a push service
    pruned: int = 0  # UNREGISTERED: pruned from the registry
    retried: int = 0  # RETRY answers followed by another attempt
    rejected: int = 0  # REJECTED: refused for good
    skipped_duplicate: int = 0  # recorded, twice in a batch, or sent by another record here
    expired: int = 0  # not sent, or not retried, past the notification's expires_at
    gave_up: int = 0  # still RETRY after max_attempts
    unsupported: int = 0  # no sender configured for the platform
    malformed: int = 0  # queue records that are not a DeliveryBatch
    skipped_dead: int = 0  # tokens this worker found dead since the batch was resolved


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5  # the first back-off is at most this
    max_delay: float = 30.0  # nor is any later one longer (unless the service said so)

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class PartitionProgress:
    """The records of one owned partition in flight, in queue order, and its position."""

    def __init__(self, committed: int) -> None:
        self.committed = committed
        self.pending: deque[int] = deque()
        self.done: set[int] = set()
        self.lock = asyncio.Lock()  # one position write at a time

    def reach(self, finishing: int) -> int:
        """The position that may be written once ``finishing`` is done too."""
        upto = self.committed
        for position in self.pending:
            if position != finishing and position not in self.done:
                break
            upto = position
        return upto

    def finished(self, position: int, committed: int) -> None:
        self.done.add(position)
        self.committed = max(self.committed, committed)
        while self.pending and self.pending[0] <= self.committed:
            self.done.discard(self.pending.popleft())


@dataclass(eq=False)
class RecordDelivery:
    """One queue record being delivered, and what it has not written yet."""

    item: Positioned
    partition: PartitionProgress | None
    notification: PushNotification | None = None
    remaining: int = 0  # targets not done
    sending: int = 0  # sends in flight
    stopping: bool = False  # start no more sends: the record is being given up
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    claimed: list[str] = field(default_factory=list)  # tokens this record sends
    accepted: list[str] = field(default_factory=list)
    unregistered: dict[str, list[str]] = field(default_factory=dict)  # reason: tokens
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)
    task: asyncio.Task[None] | None = None

    @property
    def notification_id(self) -> str:
        return self.notification.id if self.notification else ""

    def target_done(self) -> None:
        self.remaining -= 1
        self.check_settled()

    def check_settled(self) -> None:
        if self.remaining <= 0 or (self.stopping and self.sending == 0):
            self.settled.set()


Job = tuple[RecordDelivery, PushSender, str, int]  # the record, its sender, a token, the attempt


class DeadTokens:
    """Tokens this worker saw refused as dead (pruned), and when, the latest ``size``.

    A token's shard always maps to one queue partition, so the batches of every
    notification for a token come to the one worker that owns the partition: a batch
    resolved before the prune (a notification ``created_at`` no later than it) still
    names the token, and is not sent to it again. A device registered anew after its
    prune gets what is decided after.
    """

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._pruned_at: OrderedDict[str, float] = OrderedDict()

    def add(self, token: str, at: float) -> None:
        self._pruned_at[token] = at
        self._pruned_at.move_to_end(token)
        while len(self._pruned_at) > self.size:
            self._pruned_at.popitem(last=False)

    def refuses(self, token: str, notification: PushNotification) -> bool:
        pruned_at = self._pruned_at.get(token)
        return pruned_at is not None and notification.created_at <= pruned_at
