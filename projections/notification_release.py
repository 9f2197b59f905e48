"""NotificationRelease: drains the notifier's outbox into the fan-out queue.

For each notification the store says is due, it pages through the devices that want
it (``DeviceRegistry.followers``, keyset pages), groups them by token shard into
:class:`~domain.push.DeliveryBatch` records (key ``str(shard)``, at most
``batch_size`` devices each) and appends them to the fan-out queue, then marks the
notification released.

Guarantees:
- At-least-once: a notification leaves the outbox (:meth:`NotifierStore.mark_released`)
  only after every batch of its audience is durable on the queue (``append``
  returned). A crash between the two enqueues its batches again on the next start;
  notification workers dedupe by (notification id, token) (the DeliveryLedger), so a
  device still gets it once.
- Order: due notifications are released one at a time, in due order, so a correction
  is enqueued after what it corrects; both batches of one token land in the same
  shard, which workers read in order.
- Bounded memory: at most ``page`` devices read at a time, plus less than
  ``batch_size`` per shard waiting for its batch to fill.
- A notification already expired when due (``expires_at``) is released unsent.
- The score path never waits for it: blocking store and registry calls, and the
  grouping and encoding of batches, run in worker threads. Run one release per store
  (two would still deliver once, but could enqueue a correction before what it
  corrects).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.notification_ports import DeviceRegistry
from domain.ports import EventLog, LogRecord
from domain.push import DeliveryBatch, PushNotification, Target, token_shard
from projections.notifier import NotifierStore

log = logging.getLogger("scoreline.notifier")


@dataclass
class ReleaseCounts:
    """What a release has done since it started (ops, bench)."""

    notifications: int = 0
    expired: int = 0
    batches: int = 0
    targets: int = 0


@dataclass
class _Fanout:
    """One notification's fan-out in progress: devices waiting per shard, and the
    registry cursor."""

    notification: PushNotification
    after: str = ""
    waiting: dict[int, list[Target]] = field(default_factory=dict)
    done: bool = False


class NotificationRelease:
    def __init__(
        self,
        store: NotifierStore,
        registry: DeviceRegistry,
        queue: EventLog,
        *,
        shards: int = 64,
        batch_size: int = 500,
        page: int = 10_000,
        clock: Callable[[], float] = time.time,
        poll_interval: float = 0.25,
        due_limit: int = 100,
        append_chunk: int = 64,
    ) -> None:
        self.store = store
        self.registry = registry
        self.queue = queue
        self.shards = shards
        self.batch_size = batch_size
        self.page = page
        self.clock = clock
        self.poll_interval = poll_interval
        self.due_limit = due_limit
        self.append_chunk = append_chunk
        self.counts = ReleaseCounts()
        self._wake = asyncio.Event()

    def poke(self) -> None:
        """Look at the outbox now (the notifier scheduled something)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                released = await self.step()
            except Exception:
                log.exception("releasing notifications failed; retrying")
                released = 0
            if not released:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()
                self._wake.clear()

    async def step(self) -> int:
        """Release what is due now; how many notifications it released."""
        now = self.clock()
        due = await asyncio.to_thread(self.store.due, now, self.due_limit)
        for notification in due:
            if notification.expires_at <= now:
                log.warning("notification %s expired before its release", notification.id)
                self.counts.expired += 1
            else:
                await self.release(notification)
                self.counts.notifications += 1
            await asyncio.to_thread(self.store.mark_released, [notification.id])
        return len(due)

    async def release(self, notification: PushNotification) -> None:
        """Enqueue ``notification`` for every device that wants it (not marked released:
        :meth:`step` does that)."""
        fanout = _Fanout(notification)
        while not fanout.done:
            records = await asyncio.to_thread(self._next_records, fanout)
            for start in range(0, len(records), self.append_chunk):
                await self.queue.append(records[start : start + self.append_chunk])

    def _next_records(self, fanout: _Fanout) -> list[LogRecord]:
        """Read the next page of the audience; the full batches it makes (every batch
        left, after the last page)."""
        n = fanout.notification
        targets = self.registry.followers(
            n.teams, n.game_id, n.interest, after=fanout.after, limit=self.page
        )
        for target in targets:
            fanout.waiting.setdefault(token_shard(target.token, self.shards), []).append(target)
        if targets:
            fanout.after = targets[-1].token
        fanout.done = not targets  # the registry's end: an empty page
        records: list[LogRecord] = []
        for shard in sorted(fanout.waiting):
            waiting = fanout.waiting[shard]
            full = len(waiting) if fanout.done else len(waiting) - len(waiting) % self.batch_size
            for start in range(0, full, self.batch_size):
                batch = DeliveryBatch(n, tuple(waiting[start : min(start + self.batch_size, full)]))
                records.append(LogRecord(str(shard), batch.encode(), self.clock()))
                self.counts.batches += 1
                self.counts.targets += len(batch.targets)
            del waiting[:full]
        return records
