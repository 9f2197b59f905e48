"""NotificationWorker: sends the fan-out queue's delivery batches to the push services.

One worker is one member of the queue's consumer group (``--role notification-worker``).
It reads :class:`~domain.push.DeliveryBatch` records, sends each target through the
sender of its platform, many sends at once (``concurrency``, shared by every record in
flight: HTTP/2 multiplexes them), and records what was accepted in the
:class:`~domain.notification_ports.DeliveryLedger`. This module follows each record;
domain/notification_sends.py sends its targets, domain/notification_writes.py writes
what they did (and owns the partitions' positions).

Guarantees, per (notification id, token):

- **Never sent again once recorded.** Before sending a record's targets the worker asks
  the ledger which were delivered, and skips them; tokens accepted are recorded every
  ``flush_size`` acceptances or ``flush_interval`` seconds, and the rest when the record
  is done, before or with its queue position.
- **Position after the dedup record.** A record's queue position is written only once
  every target of it is done (accepted, pruned, rejected, expired, given up, or without
  a sender), in the same ledger transaction as its last deliveries, and in queue order
  per partition: a later record finishing first never moves the position past an
  earlier one still in flight. On a restart or rebalance the queue resumes after it.
- **A clean stop neither loses nor doubles.** Cancelling :meth:`run`, or the queue
  revoking partitions, gives up the records in flight (of those partitions): no more of
  their sends start, the ones in flight are waited for (up to ``stop_timeout``), and
  what was accepted is recorded, without their positions. A successor re-reads those
  records and sends exactly what the ledger lacks.
- **The window.** A crash (the process killed) loses the acceptances not yet recorded:
  the sends in flight at that instant, those accepted since the last write (at most
  ``flush_interval`` old, or ``flush_size`` per record) and those of a write still in
  progress (measured: 23-40 resends for 20 in flight under a load average of 20,
  tests/e2e/test_push_fleet.py); so does a stop for sends still
  in flight after ``stop_timeout``. A successor re-sends those tokens: the push service
  may then accept such a notification twice (APNs and FCM do not dedupe requests), but
  both carry the same content and the game's collapse id, so the device replaces the
  first with the second and shows it once. Exactly one accepted send holds for every
  token outside that window.
- **Done without delivery.** ``UNREGISTERED`` prunes the token from the registry (never
  retried; pruned before the position is written); ``REJECTED`` is logged; ``RETRY``
  backs off (``retry_after`` when the service gave one, else exponential with full
  jitter) up to ``max_attempts`` and never past the notification's ``expires_at``; a
  record read after ``expires_at`` is not sent at all; a platform without a sender is
  logged once. None of those is recorded as delivered: a re-read sends them again.
- **A dead token is refused once.** Batches resolved before a token was pruned still
  name it; the worker remembers the tokens it pruned (``DeadTokens``: a token's shard
  maps to one partition, so one worker sees all of a token's batches) and skips them;
  a token is sent one notification at a time, so batches in flight together learn it too.
- Records of one partition are sent concurrently: delivery order across notifications
  is not kept (each game's collapse id keeps only the latest on a device).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Coroutine, Mapping

from domain.notification_delivery_state import RecordDelivery, RetryPolicy, WorkerCounts
from domain.notification_ports import DeliveryLedger, DeviceRegistry, PushSender
from domain.notification_sends import Sleep, TargetSends
from domain.notification_writes import DeliveryWriter, OwnedPartitions
from domain.ports import EventLog, Positioned
from domain.push import DeliveryBatch, Target

log = logging.getLogger("scoreline.notification_worker")


class NotificationWorker:
    """One member of the fan-out queue's consumer group (guarantees: the module's)."""

    def __init__(
        self,
        queue: EventLog,
        ledger: DeliveryLedger,
        senders: Mapping[str, PushSender],
        registry: DeviceRegistry,
        *,
        concurrency: int = 200,
        records_in_flight: int = 64,
        poll_timeout: float = 0.5,
        flush_size: int = 100,
        flush_interval: float = 0.05,
        retry: RetryPolicy | None = None,
        stop_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.queue = queue
        self.ledger = ledger
        self.senders = senders
        self.registry = registry
        self.concurrency = concurrency
        self.records_in_flight = records_in_flight
        self.poll_timeout = poll_timeout
        self.flush_size = flush_size
        self.flush_interval = flush_interval
        self.retry = retry or RetryPolicy()
        self.stop_timeout = stop_timeout
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.counts = WorkerCounts()
        self._partitions = OwnedPartitions()
        self._writer = DeliveryWriter(ledger, registry, self._partitions)
        self._deliveries: set[RecordDelivery] = set()
        self._claimed: dict[str, set[str]] = {}  # notification id: tokens records here send
        self._room = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._failure: BaseException | None = None
        self._background: set[asyncio.Task[None]] = set()  # retries waiting, stops
        self._sends = TargetSends(
            senders,
            self.counts,
            retry=self.retry,
            clock=clock,
            sleep=sleep,
            rng=self.rng,
            flush_size=flush_size,
            full=self._flush_now,
            spawn=self._in_background,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0

    def in_flight(self) -> int:
        """Queue records being delivered now."""
        return len(self._deliveries)

    def committed(self) -> dict[int, int]:
        """Per owned partition, the last position written to the ledger."""
        return self._partitions.committed()

    async def run(self) -> None:
        """Deliver until cancelled (or a ledger or registry call fails: raised). Cancelled,
        it stops cleanly (see the module docstring) before it returns."""
        self._loop, self._loop_thread = asyncio.get_running_loop(), threading.get_ident()
        consumer = self.queue.consumer(self._assigned, self._revoked)
        helpers = [asyncio.create_task(self._flush_often())]
        helpers += [asyncio.create_task(self._sends.send_jobs()) for _ in range(self.concurrency)]
        try:
            while True:
                self._raise_failure()
                room = self.records_in_flight - len(self._deliveries)
                if room <= 0:
                    self._room.clear()
                    await self._room.wait()
                    continue
                for item in await consumer.poll(room, self.poll_timeout):
                    self._start(item)
        finally:
            await self._stop(None)
            for task in [*helpers, *self._background]:
                task.cancel()
            await asyncio.gather(*helpers, *self._background, return_exceptions=True)
            consumer.close()

    # ------------------------------------------------------------- queue callbacks
    def _assigned(self, partitions: set[int]) -> dict[int, int]:
        positions = self.ledger.positions(partitions)
        self._partitions.assign(partitions, positions)
        log.info("assigned partitions %s at %s", sorted(partitions), positions)
        return positions

    def _revoked(self, partitions: set[int]) -> None:
        self._partitions.revoke(partitions)
        busy = any(d.item.partition in partitions for d in list(self._deliveries))
        log.info("revoked partitions %s", sorted(partitions))
        loop = self._loop
        if not busy or loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:  # cannot wait for ourselves
            self._in_background(self._stop(partitions))
            return
        waited = asyncio.run_coroutine_threadsafe(self._stop(partitions), loop)
        try:
            waited.result(self.stop_timeout + 1)
        except TimeoutError:
            log.warning("records of revoked partitions %s still stopping", sorted(partitions))

    async def _stop(self, partitions: set[int] | None) -> None:
        """Give up the records in flight (of ``partitions``): start no more of their sends,
        wait up to ``stop_timeout`` for those in flight, record what was accepted."""
        doomed = [
            d
            for d in list(self._deliveries)
            if partitions is None or d.item.partition in partitions
        ]
        for d in doomed:
            d.stopping = True
            d.check_settled()
        tasks = [d.task for d in doomed if d.task is not None]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=self.stop_timeout)
        for task in late:  # their sends in flight are the window of the docstring
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def _in_background(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ----------------------------------------------------------------- a record
    def _start(self, item: Positioned) -> None:
        partition = self._partitions.progress(item.partition)
        if partition is not None:
            partition.pending.append(item.position)
        delivery = RecordDelivery(item, partition)
        delivery.task = asyncio.create_task(self._deliver(delivery))
        self._deliveries.add(delivery)
        delivery.task.add_done_callback(lambda task: self._ended(delivery, task))

    def _ended(self, delivery: RecordDelivery, task: asyncio.Task[None]) -> None:
        self._deliveries.discard(delivery)
        claims = self._claimed.get(delivery.notification_id)
        if claims is not None:
            claims.difference_update(delivery.claimed)
            if not claims:
                del self._claimed[delivery.notification_id]
        self._room.set()
        if not task.cancelled() and task.exception() is not None and self._failure is None:
            self._failure = task.exception()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def _deliver(self, d: RecordDelivery) -> None:
        try:
            batch = DeliveryBatch.decode(d.item.record.value)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            self.counts.malformed += 1
            log.error("queue record %s:%s is no delivery batch: %r", *_at(d), error)
            await self._writer.finish(d)
            return
        d.notification = batch.notification
        try:
            if self.clock() > batch.notification.expires_at:
                self.counts.expired += len(batch.targets)
                log.info("notification %s expired: %d targets not sent", *_about(batch))
            else:
                await self._enqueue(d, batch.targets)
                await d.settled.wait()
            if d.stopping:
                await self._writer.write([d])  # what was accepted, without the position
            else:
                await self._writer.finish(d)
        except asyncio.CancelledError:
            d.stopping = True
            await self._writer.write([d])
            raise

    async def _enqueue(self, d: RecordDelivery, targets: tuple[Target, ...]) -> None:
        """Queue a job for every target neither recorded nor sent by another record here."""
        # Claimed before the ledger is asked, released once written: a token another
        # record in flight here is sending (a re-enqueued batch) is not sent twice.
        claims = self._claimed.setdefault(d.notification_id, set())
        tokens = list(dict.fromkeys(t.token for t in targets if t.token not in claims))
        claims.update(tokens)
        d.claimed = tokens
        already = await asyncio.to_thread(self.ledger.delivered, d.notification_id, tokens)
        self.counts.skipped_duplicate += len(targets) - len(tokens) + len(already)
        mine = set(tokens) - already
        for target in targets:
            if target.token in mine:
                mine.discard(target.token)
                self._sends.queue(d, target)
        d.check_settled()

    async def _flush_often(self) -> None:
        """Every ``flush_interval`` (sooner when a record has ``flush_size`` accepted),
        record what the records in flight accepted: one write per notification."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_interval):
                    await self._flush_now.wait()
            self._flush_now.clear()
            try:
                await self._writer.flush(list(self._deliveries))
            except Exception as error:
                log.exception("recording deliveries failed")
                self._failure = self._failure or error
                self._room.set()
                return


def _at(d: RecordDelivery) -> tuple[int, int]:
    return d.item.partition, d.item.position


def _about(batch: DeliveryBatch) -> tuple[str, int]:
    return batch.notification.id, len(batch.targets)


__all__ = ["NotificationWorker", "RetryPolicy", "WorkerCounts"]
