"""SQLiteEventLog's group commit: concurrent appends share transactions, and the log
is what the appends asked for, in the order they were called, whatever the interleaving."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.event_log import SQLiteEventLog
from domain.ports import LogRecord

# Each delivery: its records (small ints) and how many times its sender yields first.
deliveries = st.lists(
    st.tuples(st.lists(st.integers(0, 99), min_size=1, max_size=4), st.integers(0, 6)),
    min_size=1,
    max_size=12,
)


def records(delivery: int, values: list[int]) -> list[LogRecord]:
    return [LogRecord(f"g{v}", f"{delivery}:{i}:{v}".encode(), 1.0) for i, v in enumerate(values)]


def logged(log: SQLiteEventLog) -> list[bytes]:
    return [p.record.value for p in log._read(0, 10_000)]


@settings(max_examples=60, deadline=None)
@given(deliveries)
def test_any_interleaving_logs_every_delivery_whole_in_call_order(
    batch: list[tuple[list[int], int]],
) -> None:
    called: list[int] = []

    async def send(log: SQLiteEventLog, number: int, values: list[int], yields: int) -> None:
        for _ in range(yields):
            await asyncio.sleep(0)
        called.append(number)  # append enqueues before its first await
        await log.append(records(number, values))

    async def main(log: SQLiteEventLog) -> list[bytes]:
        await asyncio.gather(*(send(log, n, vs, y) for n, (vs, y) in enumerate(batch)))
        return logged(log)  # every append has returned: all of it is in the file

    with tempfile.TemporaryDirectory() as tmp:
        log = SQLiteEventLog(Path(tmp) / "log.sqlite")
        try:
            found = asyncio.run(main(log))
        finally:
            log.close()
    expected = [r.value for n in called for r in records(n, batch[n][0])]
    assert found == expected


def test_concurrent_appends_share_a_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = SQLiteEventLog(tmp_path / "log.sqlite")
    transactions: list[int] = []
    write = log._append

    def counted(rs: Sequence[LogRecord]) -> int:
        transactions.append(len(rs))
        return write(rs)

    monkeypatch.setattr(log, "_append", counted)

    async def main() -> None:
        await asyncio.gather(*(log.append(records(n, [n])) for n in range(20)))

    asyncio.run(main())
    log.close()
    assert sum(transactions) == 20
    assert len(transactions) < 20  # they arrived together: fewer commits than appends


def test_a_failed_commit_fails_every_append_of_its_group_and_writes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = SQLiteEventLog(tmp_path / "log.sqlite")
    write = log._append
    calls = 0

    def second_fails(rs: Sequence[LogRecord]) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk full")
        return write(rs)

    monkeypatch.setattr(log, "_append", second_fails)

    async def main() -> list[BaseException | None]:
        first = asyncio.create_task(log.append(records(0, [0])))
        await asyncio.sleep(0)  # the first group is on its way
        rest = [asyncio.create_task(log.append(records(n, [n]))) for n in (1, 2, 3)]
        outcomes = await asyncio.gather(first, *rest, return_exceptions=True)
        await log.append(records(4, [4]))  # the log goes on afterwards
        return outcomes

    outcomes = asyncio.run(main())
    assert outcomes[0] is None
    assert all(isinstance(o, OSError) for o in outcomes[1:])
    assert logged(log) == [r.value for n in (0, 4) for r in records(n, [n])]
    log.close()


def test_a_cancelled_caller_s_records_are_written_all_the_same(tmp_path: Path) -> None:
    log = SQLiteEventLog(tmp_path / "log.sqlite")

    async def main() -> None:
        task = asyncio.create_task(log.append(records(0, [7])))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await log.append(records(1, [8]))

    asyncio.run(main())
    assert logged(log) == [r.value for n, v in ((0, 7), (1, 8)) for r in records(n, [v])]
    log.close()
