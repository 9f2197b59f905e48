"""One contract for every EventLog implementation (see domain.ports.EventLog)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.event_log import MemoryEventLog, SQLiteEventLog
from domain.ports import EventLog, LogRecord


@pytest.fixture(params=["memory", "sqlite"])
def make_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], EventLog]]:
    opened: list[EventLog] = []
    memory = MemoryEventLog()

    def make() -> EventLog:
        log: EventLog = (
            memory if request.param == "memory" else SQLiteEventLog(tmp_path / "log.sqlite")
        )
        opened.append(log)
        return log

    yield make
    for log in opened:
        log.close()


def record(key: str, n: int) -> LogRecord:
    return LogRecord(key, f'{{"n": {n}}}'.encode(), 1.0)


async def test_appended_records_are_read_in_order_with_increasing_positions(
    make_log: Callable[[], EventLog],
) -> None:
    log = make_log()
    await log.append([record("a", 1), record("b", 2)])
    await log.append([record("a", 3)])
    found = await log.read(0, 10, 0)
    assert [r.record.value for r in found] == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    positions = [r.position for r in found]
    assert positions == sorted(set(positions))


async def test_reading_after_a_position_resumes_there(make_log: Callable[[], EventLog]) -> None:
    log = make_log()
    await log.append([record("a", n) for n in range(5)])
    first = await log.read(0, 2, 0)
    rest = await log.read(first[-1].position, 10, 0)
    assert len(first) == 2 and len(rest) == 3
    assert rest[0].position > first[-1].position


async def test_read_waits_for_an_append(make_log: Callable[[], EventLog]) -> None:
    log = make_log()
    reader = asyncio.create_task(log.read(0, 10, 5.0))
    await asyncio.sleep(0.05)
    assert not reader.done()
    await log.append([record("a", 1)])
    found = await asyncio.wait_for(reader, 2.0)
    assert len(found) == 1


async def test_empty_read_returns_after_the_timeout(make_log: Callable[[], EventLog]) -> None:
    assert await make_log().read(0, 10, 0.01) == []


async def test_records_are_durable_across_reopening(make_log: Callable[[], EventLog]) -> None:
    log = make_log()
    await log.append([record("a", 1)])
    log.close()
    again = make_log()
    assert len(await again.read(0, 10, 0)) == 1
