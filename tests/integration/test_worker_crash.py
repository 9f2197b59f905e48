"""A notification worker stopped mid-batch, and a successor that resumes: every token is
accepted exactly once in total (over the SQLite queue and over Kafka, SQLite ledger)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.delivery_ledger import SQLiteDeliveryLedger
from adapters.event_log import SQLiteEventLog
from adapters.kafka_event_log import KafkaEventLog
from domain.devices import Interest, Platform
from domain.notification_delivery_state import RetryPolicy
from domain.notification_worker import NotificationWorker
from domain.ports import EventLog, LogRecord
from domain.push import (
    NotificationKind,
    PushNotification,
    SendOutcome,
    SendResult,
    Target,
    delivery_batches,
)
from tests.recording_registry import RecordingRegistry

SHARDS = 3
NOTIFICATION = PushNotification(
    id="goal-g1-e7",
    game_id="g1",
    kind=NotificationKind.GOAL,
    interest=Interest.GOALS,
    title="Goal",
    body="1-0",
    collapse_id="game-g1",
    teams=("home",),
    created_at=1.0,
    expires_at=4e9,
)
TOKENS = [f"device{i:04d}" for i in range(150)]


def fan_out(tokens: list[str], size: int = 12) -> list[LogRecord]:
    """The notifier's records: one per (shard, batch), keyed by shard; one re-enqueued."""
    targets = [Target(t, Platform.APNS) for t in tokens]
    found = [
        LogRecord(str(shard), batch.encode(), 1.0)
        for shard, batch in delivery_batches(NOTIFICATION, targets, SHARDS, size)
    ]
    return [*found, found[1]]  # a notifier that crashed after enqueueing re-enqueues


class CountingSender:
    """A push service with some latency: counts accepted sends per token (over every
    worker), and sets ``crash`` at the ``crash_after``-th one; from then on it answers
    after ``latency_after_crash`` (if given) for as long as ``slow_while()`` holds."""

    def __init__(
        self,
        accepted: Counter[str],
        crash_after: int,
        seed: int,
        latency: float = 0.002,
        latency_after_crash: float | None = None,
    ) -> None:
        self.accepted = accepted
        self.crash_after = crash_after
        self.crash = asyncio.Event()
        self.rng = random.Random(seed)
        self.latency = latency
        self.latency_after_crash = latency_after_crash
        self.slow_while: Callable[[], bool] = lambda: True

    async def send(self, notification: PushNotification, token: str) -> SendResult:
        slow = self.crash.is_set() and self.latency_after_crash is not None and self.slow_while()
        latency = self.latency_after_crash if slow else self.latency
        await asyncio.sleep(self.rng.random() * (latency or 0.0))
        if self.rng.random() < 0.1:
            return SendResult(SendOutcome.RETRY, reason="ServiceUnavailable", status=503)
        self.accepted[token] += 1  # accepted by the service: no await until it returns
        if sum(self.accepted.values()) >= self.crash_after:
            self.crash.set()
        return SendResult(SendOutcome.ACCEPTED, status=200)

    async def close(self) -> None:
        pass


class WatchedLedger(SQLiteDeliveryLedger):
    """The SQLite ledger; a test can wait for positions."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def record(
        self,
        notification_id: str,
        tokens: Collection[str],
        position: tuple[int, int] | None = None,
    ) -> None:
        super().record(notification_id, tokens, position)
        for loop, changed in list(self._waiting):
            loop.call_soon_threadsafe(changed.set)

    async def reached(self, heads: dict[int, int], timeout: float = 60) -> None:
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    waiter[1].clear()
                    found = self.positions(set(heads))
                    if all(found[p] >= at for p, at in heads.items()):
                        return
                    await waiter[1].wait()
        finally:
            self._waiting.remove(waiter)


def worker(
    queue: EventLog,
    ledger: WatchedLedger,
    sender: CountingSender,
    registry: RecordingRegistry,
    flush_size: int,
    concurrency: int = 16,
) -> NotificationWorker:
    return NotificationWorker(
        queue,
        ledger,
        {"apns": sender},
        registry,
        concurrency=concurrency,
        records_in_flight=4,
        flush_size=flush_size,
        flush_interval=0.005,
        poll_timeout=0.1,
        rng=random.Random(1),
        sleep=lambda _: asyncio.sleep(0),
        # The senders answer 503 one time in ten: five tries in a row failing (the
        # default's give-up) is 1e-5 a token, ~5 % a suite run, and a given-up token is
        # missing from the ledger. These tests are about crashes, not giving up.
        retry=RetryPolicy(max_attempts=40),
    )


async def crash_and_resume(
    make_queue: Callable[[], EventLog],
    ledger_path: Path,
    k: int,
    *,
    seed: int = 0,
    flush_size: int = 5,
    make_reader: Callable[[], EventLog] | None = None,
) -> Counter[str]:
    """Worker 1 stops after ``k`` accepted sends; worker 2 (new queue, ledger and
    consumer) resumes and finishes. What the service accepted, per token."""
    accepted: Counter[str] = Counter()
    registry = RecordingRegistry()
    queue = make_queue()
    records = fan_out(TOKENS)
    await queue.append(records)
    # Read while the first worker joins its group (Kafka: each join takes seconds).
    reading = asyncio.create_task(last_positions(make_reader or (lambda: queue), len(records)))
    ledger = WatchedLedger(ledger_path)
    first = CountingSender(accepted, k, seed)
    running = asyncio.create_task(worker(queue, ledger, first, registry, flush_size).run())
    crashed = asyncio.create_task(first.crash.wait())

    async def reached_heads() -> None:
        await ledger.reached(await asyncio.shield(reading))

    done = asyncio.create_task(reached_heads())
    await asyncio.wait([crashed, done], return_when=asyncio.FIRST_COMPLETED)
    running.cancel()  # mid-batch: sends in flight, records half done
    for task in (running, crashed, done):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    queue.close()  # the first consumer has left: the successor need not wait it out
    ledger.close()
    heads = await reading

    again = WatchedLedger(ledger_path)
    second_queue = make_queue()
    second = CountingSender(accepted, 10**9, seed + 1)
    running = asyncio.create_task(worker(second_queue, again, second, registry, flush_size).run())
    try:
        await again.reached(heads)
        assert again.count(NOTIFICATION.id) == len(TOKENS)
        assert registry.prunes == []  # no service answered Unregistered
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        second_queue.close()
        again.close()
    return accepted


async def last_positions(make_reader: Callable[[], EventLog], count: int) -> dict[int, int]:
    """The last position of each partition holding some of the ``count`` records, read
    through a log ``make_reader`` gives (Kafka: in a consumer group of its own)."""
    log = make_reader()
    reader = log.consumer(lambda parts: dict.fromkeys(parts, 0), lambda _: None)
    found: dict[int, int] = {}
    try:
        async with asyncio.timeout(60):
            read = 0
            while read < count:
                for item in await reader.poll(count, 0.2):
                    found[item.partition] = max(found.get(item.partition, 0), item.position)
                    read += 1
    finally:
        reader.close()
    return found


def assert_each_accepted_once(accepted: Counter[str]) -> None:
    doubled = {t: n for t, n in accepted.items() if n != 1}
    assert doubled == {}
    assert set(accepted) == set(TOKENS)


@pytest.mark.parametrize("k", [1, 2, 11, 12, 13, 40, 77, 149, 150])
async def test_sqlite_queue_a_successor_sends_each_token_once(tmp_path: Path, k: int) -> None:
    accepted = await crash_and_resume(
        lambda: SQLiteEventLog(tmp_path / "queue.sqlite"), tmp_path / "ledger.sqlite", k, seed=k
    )
    assert_each_accepted_once(accepted)


@settings(max_examples=15, deadline=None)
@given(k=st.integers(1, len(TOKENS)), seed=st.integers(0, 1000), flush_size=st.integers(1, 40))
def test_a_stop_after_any_number_of_sends_loses_and_doubles_nothing(
    k: int, seed: int, flush_size: int
) -> None:
    with tempfile.TemporaryDirectory() as where:
        path = Path(where)
        accepted = asyncio.run(
            crash_and_resume(
                lambda: SQLiteEventLog(path / "queue.sqlite"),
                path / "ledger.sqlite",
                k,
                seed=seed,
                flush_size=flush_size,
            )
        )
    assert_each_accepted_once(accepted)


class KafkaQueues:
    """Fan-out queues on one fresh Kafka topic of ``SHARDS`` partitions: each call is a
    new log in the workers' consumer group, :meth:`reader` one in a group of its own."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.topic = f"fanout-{uuid.uuid4().hex}"
        self.opened: list[KafkaEventLog] = []

    def __call__(self, group_id: str = "") -> KafkaEventLog:
        log = KafkaEventLog(
            self.bootstrap,
            topic=self.topic,
            group_id=group_id or self.topic,
            partitions=SHARDS,
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
        )
        log.ensure_topic()
        self.opened.append(log)
        return log

    def reader(self) -> KafkaEventLog:
        return self(f"{self.topic}-r")

    def close(self) -> None:
        for log in self.opened:
            log.close()


@pytest.fixture
def kafka_queue(kafka_bootstrap: str) -> Iterator[KafkaQueues]:
    queues = KafkaQueues(kafka_bootstrap)
    yield queues
    queues.close()


@pytest.mark.parametrize("k", [3, 60])
async def test_kafka_queue_a_successor_sends_each_token_once(
    kafka_queue: KafkaQueues, tmp_path: Path, k: int
) -> None:
    accepted = await crash_and_resume(
        kafka_queue, tmp_path / "ledger.sqlite", k, seed=k, make_reader=kafka_queue.reader
    )
    assert_each_accepted_once(accepted)


async def test_kafka_a_rebalance_mid_batch_sends_each_token_once(
    kafka_queue: KafkaQueues, tmp_path: Path
) -> None:
    """A second worker joins while the first is mid-batch: the first gives up the
    partitions it loses (waiting for its sends in flight), the second resumes them."""
    accepted: Counter[str] = Counter()
    registry = RecordingRegistry()
    ledger = WatchedLedger(tmp_path / "ledger.sqlite")
    tasks: list[asyncio.Task[None]] = []
    try:
        queue = kafka_queue()
        records = fan_out(TOKENS)
        await queue.append(records)
        # Read while the first worker joins its group (Kafka: each join takes seconds).
        reading = asyncio.create_task(last_positions(kafka_queue.reader, len(records)))
        # Slow after its 10th acceptance until the second worker holds partitions, so the
        # second's join (a rebalance takes seconds on a loaded machine) comes while the
        # first still has most to send; fast again once the partitions have moved.
        first = CountingSender(accepted, 10, seed=1, latency=0.04, latency_after_crash=0.5)
        workers = [worker(queue, ledger, first, registry, 5, concurrency=2)]
        tasks.append(asyncio.create_task(workers[0].run()))
        await first.crash.wait()  # 10 accepted: the first worker is mid-batch
        second = CountingSender(accepted, 10**9, seed=2, latency=0.04)
        workers.append(worker(kafka_queue(), ledger, second, registry, 5, concurrency=2))
        first.slow_while = lambda: not workers[1].committed()  # it owns no partition yet
        tasks.append(asyncio.create_task(workers[1].run()))
        await ledger.reached(await reading, timeout=120)
        assert ledger.count(NOTIFICATION.id) == len(TOKENS)
        # The second worker took partitions over: it read their records (sending what the
        # ledger lacked, skipping what the first had recorded before giving them up).
        taken = workers[1].counts
        assert taken.sent + taken.skipped_duplicate > 0, taken
        assert registry.prunes == []  # no service answered Unregistered
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        ledger.close()
    assert_each_accepted_once(accepted)
