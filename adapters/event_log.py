"""EventLog implementations for one process: in memory, and in a SQLite file.

Both are the embedded stand-ins for the Kafka topic ``game-events``: one partition
(0), one consumer at a time. See domain.ports.EventLog for the guarantees.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from adapters.sqlite_checkpoints import WalCheckpoints
from adapters.sqlite_connection import SQLiteConnection
from domain.ports import Assigned, LogRecord, Positioned, Revoked


class _Wakeup:
    """Lets readers in this process sleep until a writer appends."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def set(self) -> None:
        if self._event is not None:
            self._event.set()

    async def wait(self, timeout: float) -> None:
        if self._event is None:
            self._event = asyncio.Event()
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._event.wait()
        self._event.clear()


class MemoryEventLog:
    name = "ingest-log"

    def __init__(self) -> None:
        self._records: list[LogRecord] = []
        self._wakeup = _Wakeup()

    async def append(self, records: Sequence[LogRecord]) -> None:
        self._records.extend(records)
        self._wakeup.set()

    async def read(self, after: int, limit: int, timeout: float) -> list[Positioned]:
        if len(self._records) <= after:
            await self._wakeup.wait(timeout)
        chunk = self._records[after : after + limit]
        return [Positioned(0, after + i + 1, r) for i, r in enumerate(chunk)]

    def consumer(self, on_assigned: Assigned, on_revoked: Revoked) -> SinglePartitionConsumer:
        return SinglePartitionConsumer(self, on_assigned)

    def head(self, partition: int) -> int:
        """The last position appended to a partition (0: none)."""
        return len(self._records) if partition == 0 else 0

    def close(self) -> None:
        pass


class SQLiteEventLog:
    """The log in a SQLite file: a record is durable once :meth:`append` returns.

    Group commit: the appends of one event loop that arrive while a commit is on its
    way to the disk are written together by the next one, in one transaction, in the
    order they were called (each append's records contiguous, in its order). Every
    append still returns only once its records are durable (``synchronous=FULL``);
    if that transaction fails, every append in it fails and none of them is written.

    Reads of what this process appended come from memory: the latest ``TAIL_KEPT``
    committed records are kept, in position order, and a read after a position they
    cover is answered from them (no trip to the log's thread, no query); an older
    position (catching up after a restart) is read from the file. Either way a read
    gives committed records only, in position order, the same ones.
    """

    TAIL_KEPT = 10_000

    def __init__(
        self,
        path: Path | str,
        *,
        name: str = "ingest-log",
        checkpoints: WalCheckpoints | None = None,
    ) -> None:
        """``checkpoints``: they checkpoint the file, its commits never do."""
        self.name = name
        self._db = SQLiteConnection(path, checkpoints=checkpoints)
        with self._db.transaction() as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS event_log ("
                " position INTEGER PRIMARY KEY AUTOINCREMENT,"
                " key TEXT NOT NULL, value BLOB NOT NULL, received_at REAL NOT NULL)"
            )
        self._wakeup = _Wakeup()
        self._tail: list[Positioned] = []  # the latest committed appends, contiguous
        self._pending: list[tuple[Sequence[LogRecord], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        # Its own thread (its one connection is used one call at a time anyway): an
        # append never queues for the loop's shared pool behind read-model folds.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"log:{name}")

    async def append(self, records: Sequence[LogRecord]) -> None:
        if not records:
            return
        done = asyncio.get_running_loop().create_future()
        self._pending.append((records, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending(), name=f"{self.name}:commit")
        await asyncio.shield(done)  # a cancelled caller's records are written all the same

    async def _write_pending(self) -> None:
        """Commit what is waiting, one transaction per group, until nothing is."""
        group: list[tuple[Sequence[LogRecord], asyncio.Future[None]]] = []
        try:
            while self._pending:
                group, self._pending = self._pending, []
                try:
                    records = [r for rs, _ in group for r in rs]
                    last = await asyncio.get_running_loop().run_in_executor(
                        self._thread, self._append, records
                    )
                except Exception as error:
                    for _, done in group:
                        done.set_exception(error)
                        done.exception()  # retrieved: a cancelled caller is not logged
                else:
                    self._keep(last - len(records) + 1, records)
                    for _, done in group:
                        done.set_result(None)
                    self._wakeup.set()
                group = []
        finally:  # cancelled (shutdown): whoever still waits is told so
            for _, done in [*group, *self._pending]:
                if not done.done():
                    done.cancel()
            self._pending = []

    def _append(self, records: Sequence[LogRecord]) -> int:
        """Write the records in one transaction; the position of the last one (they
        are consecutive: AUTOINCREMENT, and the transaction is the only writer)."""
        with self._db.transaction() as c:
            c.executemany(
                "INSERT INTO event_log (key, value, received_at) VALUES (?, ?, ?)",
                [(r.key, r.value, r.received_at) for r in records],
            )
            (last,) = c.execute("SELECT last_insert_rowid()").fetchone()
        return int(last)

    def _keep(self, first: int, records: Sequence[LogRecord]) -> None:
        """Remember committed records (from ``first`` on) for the reads that follow."""
        tail = self._tail
        if tail and tail[-1].position + 1 != first:
            tail.clear()  # not contiguous (cannot happen with one writer): forget all
        tail.extend(Positioned(0, first + i, r) for i, r in enumerate(records))
        if len(tail) > 2 * self.TAIL_KEPT:
            del tail[: len(tail) - self.TAIL_KEPT]

    def _from_tail(self, after: int, limit: int) -> list[Positioned] | None:
        """The records after ``after`` if the tail covers it (None: read the file)."""
        tail = self._tail
        if not tail or after + 1 < tail[0].position:
            return None
        start = after + 1 - tail[0].position
        return tail[start : start + limit]

    async def read(self, after: int, limit: int, timeout: float) -> list[Positioned]:
        found = await self._read_once(after, limit)
        if not found and timeout > 0:
            await self._wakeup.wait(timeout)
            found = await self._read_once(after, limit)
        return found

    async def _read_once(self, after: int, limit: int) -> list[Positioned]:
        found = self._from_tail(after, limit)
        if found is None:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(self._thread, self._read, after, limit)
        return found

    def _read(self, after: int, limit: int) -> list[Positioned]:
        with self._db.reading() as c:
            rows = c.execute(
                "SELECT position, key, value, received_at FROM event_log"
                " WHERE position > ? ORDER BY position LIMIT ?",
                (after, limit),
            ).fetchall()
        return [Positioned(0, p, LogRecord(k, bytes(v), t)) for p, k, v, t in rows]

    def consumer(self, on_assigned: Assigned, on_revoked: Revoked) -> SinglePartitionConsumer:
        return SinglePartitionConsumer(self, on_assigned)

    def head(self, partition: int) -> int:
        """The last position appended to a partition (0: none)."""
        with self._db.reading() as c:
            (last,) = c.execute("SELECT COALESCE(MAX(position), 0) FROM event_log").fetchone()
        return int(last) if partition == 0 else 0

    def close(self) -> None:
        self._thread.shutdown()
        self._db.close()


class _Readable(Protocol):
    async def read(self, after: int, limit: int, timeout: float) -> list[Positioned]: ...


class SinglePartitionConsumer:
    """Owns partition 0 from its first poll; resumes after what its owner processed."""

    def __init__(self, log: _Readable, on_assigned: Assigned) -> None:
        self._log = log
        self._on_assigned = on_assigned
        self._after: int | None = None

    async def poll(self, limit: int, timeout: float) -> list[Positioned]:
        if self._after is None:
            self._after = self._on_assigned({0}).get(0, 0)
        found = await self._log.read(self._after, limit, timeout)
        if found:
            self._after = found[-1].position
        return found

    def close(self) -> None:
        pass
