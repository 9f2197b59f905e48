"""One contract for every EventLog implementation (see domain.ports.EventLog)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.event_log import MemoryEventLog, SQLiteEventLog
from adapters.kafka_event_log import KafkaEventLog
from domain.ports import EventLog, LogConsumer, LogRecord, Positioned


@pytest.fixture(params=["memory", "sqlite", "kafka"])
def make_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], EventLog]]:
    opened: list[EventLog] = []
    memory = MemoryEventLog()
    bootstrap = request.getfixturevalue("kafka_bootstrap") if request.param == "kafka" else ""
    topic = f"contract-{uuid.uuid4().hex}"

    def make() -> EventLog:
        log: EventLog
        if request.param == "kafka":
            kafka = KafkaEventLog(
                bootstrap,
                topic=topic,
                group_id=topic,
                session_timeout_ms=6000,
                heartbeat_interval_ms=1000,
            )
            kafka.ensure_topic()
            log = kafka
        else:
            log = memory if request.param == "memory" else SQLiteEventLog(tmp_path / "log.sqlite")
        opened.append(log)
        return log

    yield make
    for log in opened:
        log.close()


def record(key: str, n: int) -> LogRecord:
    return LogRecord(key, f'{{"n": {n}}}'.encode(), 1.0)


def consume(log: EventLog, processed: dict[int, int] | None = None) -> LogConsumer:
    return log.consumer(
        lambda parts: {p: (processed or {}).get(p, 0) for p in parts}, lambda _: None
    )


async def drain(consumer: LogConsumer, count: int, timeout: float = 30) -> list[Positioned]:
    found: list[Positioned] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(found) < count and loop.time() < deadline:
        found.extend(await consumer.poll(100, 0.2))
    return found


async def test_records_of_a_key_are_read_in_append_order(make_log: Callable[[], EventLog]) -> None:
    log = make_log()
    await log.append([record("a", 1), record("b", 2)])
    await log.append([record("a", 3)])
    found = await drain(consume(log), 3)
    by_key = [r.record.value for r in found if r.record.key == "a"]
    assert by_key == [b'{"n": 1}', b'{"n": 3}']
    for partition in {r.partition for r in found}:
        positions = [r.position for r in found if r.partition == partition]
        assert positions == sorted(set(positions))


async def test_a_consumer_resumes_after_what_its_owner_processed(
    make_log: Callable[[], EventLog],
) -> None:
    log = make_log()
    await log.append([record("a", n) for n in range(5)])
    owner = consume(log)
    first = await drain(owner, 5)
    owner.close()  # the owner hands over: its successor must not wait out its session
    done = {first[1].partition: first[1].position}
    rest = await drain(consume(log, done), 3)
    assert [r.record.value for r in rest] == [r.record.value for r in first[2:]]


async def test_poll_waits_for_an_append(make_log: Callable[[], EventLog]) -> None:
    log = make_log()
    consumer = consume(log)
    await consumer.poll(10, 0)
    reader = asyncio.create_task(drain(consumer, 1))
    await asyncio.sleep(0.05)
    await log.append([record("a", 1)])
    assert len(await asyncio.wait_for(reader, 35)) == 1


async def test_empty_poll_returns_after_the_timeout(make_log: Callable[[], EventLog]) -> None:
    assert await consume(make_log()).poll(10, 0.01) == []


async def test_records_are_durable_across_reopening(make_log: Callable[[], EventLog]) -> None:
    log = make_log()
    await log.append([record("a", 1)])
    log.close()
    assert len(await drain(consume(make_log()), 1)) == 1
