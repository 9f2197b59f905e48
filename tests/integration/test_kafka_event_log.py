"""KafkaEventLog against a real Kafka-protocol broker (a private Tansu, tests/services.py).

The shared EventLog contract runs in test_event_log_contract.py; these are what only a
partitioned log with a consumer group has. Every test has its own topic and group.
A member simulates a RecordingWorker: its ``on_assigned`` answers from a tracking
store (a dict shared by the members, as the event store is) which it advances as it
"processes" what it polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator

import pytest

from adapters.kafka_event_log import EventLogUnavailable, KafkaEventLog
from domain.ports import LogRecord, Positioned
from tests.services import Tansu, free_port

ALL = set(range(12))
# A bound on the group protocol (join, rebalance), not a timing check. A join here takes
# ~3 s alone, but CI has seen one take ~15 s on a busy shared machine.
GROUP_BOUND = 45

MakeLog = Callable[[], KafkaEventLog]


@pytest.fixture
def make_log(kafka_bootstrap: str) -> Iterator[MakeLog]:
    """KafkaEventLogs on one fresh 12-partition topic, each as its own process would."""
    name = f"kafka-test-{uuid.uuid4().hex}"
    opened: list[KafkaEventLog] = []

    def make() -> KafkaEventLog:
        log = KafkaEventLog(
            kafka_bootstrap,
            topic=name,
            group_id=name,
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
        )
        opened.append(log)
        return log

    assert make().ensure_topic() == 12
    yield make
    for log in opened:
        log.close()


def record(key: str, n: int) -> LogRecord:
    return LogRecord(key, f'{{"n": {n}}}'.encode(), 1_700_000_000.123456 + n / 1000)


def records(count: int, keys: int, start: int = 0) -> list[LogRecord]:
    return [record(f"game-{n % keys}", n) for n in range(start, start + count)]


async def until(
    condition: Callable[[], bool], seconds: float, what: str | Callable[[], str]
) -> None:
    """Wait for ``condition``; ``what`` (or what it returns at the failure) names it."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {seconds} s: {what() if callable(what) else what}")
        await asyncio.sleep(0.05)


class Member:
    """One recorder process: a consumer of its own KafkaEventLog, and a polling task.

    It "processes" what it polls and tracks the last processed position per partition
    in ``store``; with ``hold_back`` it holds each partition's newest record back for
    one poll (as the SequenceBuffer holds an early event), and drops what it holds
    when the partition is revoked: the next owner must read that record again.
    """

    def __init__(self, log: KafkaEventLog, store: dict[int, int], *, hold_back: bool = False):
        self.store = store
        self.hold_back = hold_back
        self.owned: set[int] = set()
        self.assignments: list[set[int]] = []
        self.got: list[Positioned] = []
        self.processed: list[Positioned] = []
        self.held: dict[int, Positioned] = {}
        self.consumer = log.consumer(self._assigned, self._revoked)
        self.task = asyncio.create_task(self._run())

    def _assigned(self, partitions: set[int]) -> dict[int, int]:
        self.assignments.append(set(partitions))
        self.owned |= partitions
        return {p: self.store.get(p, 0) for p in partitions}

    def _revoked(self, partitions: set[int]) -> None:
        self.owned -= partitions
        for p in partitions:
            self.held.pop(p, None)

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.poll(100, 0.2)
            self.got.extend(batch)
            fresh: dict[int, list[Positioned]] = {}
            for item in batch:
                fresh.setdefault(item.partition, []).append(item)
            for p in set(fresh) | set(self.held):
                ready = [self.held.pop(p)] if p in self.held else []
                ready += fresh.get(p, [])
                if self.hold_back and p in fresh:
                    self.held[p] = ready.pop()
                if ready:
                    self.processed.extend(ready)
                    self.store[p] = ready[-1].position

    def values(self) -> list[bytes]:
        return [r.record.value for r in self.got]

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.consumer.close()


async def split_between(a: Member, b: Member) -> None:
    await until(
        lambda: (
            bool(a.owned) and bool(b.owned) and a.owned | b.owned == ALL and not a.owned & b.owned
        ),
        GROUP_BOUND,
        lambda: f"the two members share the partitions (a: {a.assignments}, b: {b.assignments})",
    )


async def test_a_key_keeps_one_partition_and_its_order(make_log: MakeLog) -> None:
    log = make_log()
    sent = records(300, keys=30)
    for start in range(0, 300, 100):
        await log.append(sent[start : start + 100])
    consumer = log.consumer(lambda parts: dict.fromkeys(parts, 0), lambda _: None)
    got: list[Positioned] = []
    deadline = time.monotonic() + GROUP_BOUND
    while not got and time.monotonic() < deadline:  # a first, small poll: lag shows
        got.extend(await consumer.poll(5, 0.2))
    early_lag = consumer.lag()
    early = {r.partition: r.position for r in got}
    while len(got) < 300 and time.monotonic() < deadline:
        got.extend(await consumer.poll(100, 0.2))

    assert Counter(r.record.value for r in got) == Counter(r.value for r in sent)
    assert {r.record for r in got} == set(sent)  # received_at comes back exactly
    for key in {r.key for r in sent}:
        mine = [r for r in got if r.record.key == key]
        assert len({r.partition for r in mine}) == 1
        assert [r.record for r in mine] == [r for r in sent if r.key == key]
    per_partition = Counter(r.partition for r in got)
    assert len(per_partition) > 1
    for partition, count in per_partition.items():
        # position = offset + 1: the first record of a partition is position 1
        assert [r.position for r in got if r.partition == partition] == list(range(1, count + 1))
    for partition, position in early.items():
        assert early_lag[partition] == per_partition[partition] - position
    assert set(consumer.lag()) <= ALL
    for partition in ALL:  # head: the last position appended (0: none)
        # (Tansu answers ListOffsets LATEST with the last batch's base offset + 1: the
        # high watermark the consumer fetched is what makes this exact here.)
        assert await asyncio.to_thread(log.head, partition) == per_partition.get(partition, 0)
    consumer.close()


async def test_a_game_lands_on_the_partition_every_kafka_client_gives_its_key(
    make_log: MakeLog,
) -> None:
    """librdkafka produces, but any Kafka client (kafka-python's ingest of an older
    release, Java's) must put a game on the same partition: murmur2 of the key."""
    from kafka.partitioner.default import murmur2

    log = make_log()
    rng = random.Random(7)
    keys = [f"{rng.choice(['nba', 'epl', 'nhl'])}-{rng.getrandbits(40):x}" for _ in range(200)]
    sent = [LogRecord(key, key.encode(), 1_700_000_000.0) for key in keys]
    await log.append(sent)
    consumer = log.consumer(lambda parts: dict.fromkeys(parts, 0), lambda _: None)
    got: list[Positioned] = []
    deadline = time.monotonic() + GROUP_BOUND
    while len(got) < len(sent) and time.monotonic() < deadline:
        got.extend(await consumer.poll(200, 0.2))
    consumer.close()

    assert sorted(r.record.key for r in got) == sorted(keys)
    for r in got:
        assert r.partition == (murmur2(r.record.key.encode()) & 0x7FFFFFFF) % 12, r.record.key


async def test_two_members_split_the_partitions_and_each_record_reaches_one(
    make_log: MakeLog,
) -> None:
    store: dict[int, int] = {}
    a, b = Member(make_log(), store), Member(make_log(), store)
    try:
        await split_between(a, b)
        sent = records(240, keys=40)
        await make_log().append(sent)
        await until(lambda: len(a.got) + len(b.got) >= 240, 10, "all 240 records read")
        await asyncio.sleep(0.5)  # and no more
        assert Counter(a.values() + b.values()) == Counter(r.value for r in sent)
        assert {r.partition for r in a.got} <= a.owned
        assert {r.partition for r in b.got} <= b.owned
    finally:
        await a.stop()
        await b.stop()


async def test_a_leaving_member_hands_its_partitions_over_at_the_tracked_positions(
    make_log: MakeLog,
) -> None:
    store: dict[int, int] = {}
    a, b = Member(make_log(), store), Member(make_log(), store)
    writer = make_log()
    try:
        await split_between(a, b)
        first = records(120, keys=40)
        await writer.append(first)
        await until(lambda: len(a.got) + len(b.got) >= 120, 10, "the first 120 read")
        # b "processed" only the first record of one of its partitions, then it leaves
        counts = Counter(r.partition for r in b.got)
        partition = max(counts, key=lambda p: counts[p])
        assert counts[partition] >= 3
        b_part = [r for r in b.got if r.partition == partition]
        store[partition] = b_part[0].position
        seen = len(a.got)
        await b.stop()
        await until(
            lambda: a.owned == ALL, GROUP_BOUND, lambda: f"a takes over b's ({a.assignments})"
        )
        assert a.assignments[-1] == ALL  # on_assigned was asked for b's partitions too
        second = records(60, keys=40, start=1000)
        await writer.append(second)
        again = [r.record.value for r in b_part[1:]]
        expected = Counter(again + [r.value for r in second])
        await until(lambda: len(a.got) - seen >= sum(expected.values()), 10, "a reads on")
        await asyncio.sleep(0.5)
        assert Counter(a.values()[seen:]) == expected
    finally:
        await a.stop()
        await b.stop()


async def test_no_record_is_lost_while_partitions_move(make_log: MakeLog) -> None:
    store: dict[int, int] = {}
    writer = make_log()
    a = Member(make_log(), store, hold_back=True)
    members = [a]
    sent: list[LogRecord] = []

    async def produce() -> None:
        for start in range(0, 800, 10):
            batch = records(10, keys=25, start=start)
            await writer.append(batch)
            sent.extend(batch)
            await asyncio.sleep(0.1)

    try:
        await until(lambda: a.owned == ALL, GROUP_BOUND, lambda: f"a owns all ({a.assignments})")
        producing = asyncio.create_task(produce())
        await asyncio.sleep(1)
        b = Member(make_log(), store, hold_back=True)  # joins mid-stream
        members.append(b)
        await split_between(a, b)
        await asyncio.sleep(1)
        await b.stop()  # and leaves mid-stream
        await until(
            lambda: a.owned == ALL, GROUP_BOUND, lambda: f"a owns all again ({a.assignments})"
        )
        await producing
        assert len(sent) == 800
        await until(
            lambda: {r.record for r in a.processed + b.processed} == set(sent),
            10,
            "every record processed by a member",  # none lost (and none invented)
        )
        assert b.got and a.assignments[1:]  # partitions did move, both ways
    finally:
        for member in members:
            await member.stop()


async def test_append_raises_in_bounded_time_when_the_broker_is_down() -> None:
    broker = Tansu().start()
    name = f"down-{uuid.uuid4().hex}"
    log = KafkaEventLog(
        broker.bootstrap,
        topic=name,
        group_id=name,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    nowhere = KafkaEventLog(f"127.0.0.1:{free_port()}", topic=name, group_id=name)
    try:
        log.ensure_topic()
        await log.append([record("a", 1)])
        assert broker.process is not None
        broker.process.kill()  # a crash (a SIGTERM'd Tansu waits ~5 s for its clients)
        broker.stop()

        async def fails_in_time(call: Awaitable[object]) -> float:
            began = time.monotonic()
            with pytest.raises(EventLogUnavailable):
                await call
            return time.monotonic() - began

        consumer = nowhere.consumer(lambda parts: dict.fromkeys(parts, 0), lambda _: None)
        took = await asyncio.gather(
            fails_in_time(log.append([record("a", 2)])),  # a connected producer
            fails_in_time(nowhere.append([record("a", 3)])),  # a new one
            fails_in_time(consumer.poll(10, 0.1)),
            fails_in_time(asyncio.to_thread(nowhere.ensure_topic)),
            fails_in_time(asyncio.to_thread(log.head, 0)),
        )
        assert max(took) < 10, took

        # The broker comes back (this one empty: memory storage): appends work again.
        broker = Tansu(broker.port).start()
        log.ensure_topic()
        deadline = time.monotonic() + GROUP_BOUND
        while True:
            try:
                await log.append([record("a", 4)])
                break
            except EventLogUnavailable:
                assert time.monotonic() < deadline, "append did not recover"
        heads = [await asyncio.to_thread(log.head, p) for p in ALL]  # no consumer: asks
        assert sorted(heads) == [0] * 11 + [1]
    finally:
        log.close()
        nowhere.close()
        broker.stop()
