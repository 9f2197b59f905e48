"""SQLiteEventLog answers reads of what it appended from memory: whatever was appended
(in whatever groups, across a restart) and wherever a reader starts, a read gives the
records the file gives, and the log never serves one it has not committed."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.event_log import SQLiteEventLog
from domain.ports import LogRecord, Positioned

groups = st.lists(st.integers(1, 5), min_size=1, max_size=8)


def view(found: list[Positioned]) -> list[tuple[int, str, bytes]]:
    return [(p.position, p.record.key, p.record.value) for p in found]


@settings(max_examples=40, deadline=None)
@given(before=groups, after=groups, starts=st.lists(st.integers(0, 45), max_size=6))
def test_reads_from_memory_equal_reads_of_the_file(
    before: list[int], after: list[int], starts: list[int]
) -> None:
    async def run(path: Path) -> None:
        n = 0
        for sizes, reopen in ((before, False), (after, True)):
            log = SQLiteEventLog(path)
            if reopen:
                assert log._from_tail(0, 100) is None  # a new process knows nothing yet
            for size in sizes:
                await log.append(
                    [LogRecord(f"g{n + i}", b"%d" % (n + i), 1.0) for i in range(size)]
                )
                n += size
            for start in [*starts, 0, n]:
                for limit in (1, 3, 100):
                    fresh = log._from_tail(start, limit)
                    on_file = log._read(start, limit)
                    if fresh is not None:
                        assert view(fresh) == view(on_file)
                    assert view(await log.read(start, limit, 0)) == view(on_file)
            log.close()

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp) / "log.sqlite"))


def test_a_failed_commit_leaves_nothing_to_read(tmp_path: Path) -> None:
    async def run() -> None:
        log = SQLiteEventLog(tmp_path / "log.sqlite")
        await log.append([LogRecord("g", b"1", 1.0)])
        log._db._conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON event_log BEGIN"
            " SELECT RAISE(ABORT, 'disk full'); END"
        )
        try:
            await log.append([LogRecord("g", b"2", 1.0)])
        except Exception as error:
            assert "disk full" in str(error)
        else:
            raise AssertionError("the append should have failed")
        assert view(await log.read(0, 10, 0)) == [(1, "g", b"1")]
        assert view(await log.read(1, 10, 0)) == []
        log.close()

    asyncio.run(run())
