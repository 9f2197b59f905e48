"""DeliveryLedger implementations for one process: in memory, and in a SQLite file.

See domain.notification_ports.DeliveryLedger for the guarantees. Both are safe to call
from many threads at once (the worker calls them through ``asyncio.to_thread``).

SQLite tables: ``deliveries(notification_id, token, delivered_at)`` keyed by
(notification_id, token), and ``positions(partition, position)``. A :meth:`record`
with a position writes both in one transaction; the position is ``MAX``-ed in, so it
never moves back whatever order concurrent calls commit in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from adapters.sqlite_connection import SQLiteConnection

CHUNK = 900  # SQLite host parameters per IN (...) query: well under every build's limit


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MemoryDeliveryLedger:
    """The ledger in this process's memory (tests, and the embedded ``all`` role)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deliveries: dict[str, set[str]] = {}
        self._positions: dict[int, int] = {}

    def delivered(self, notification_id: str, tokens: Collection[str]) -> set[str]:
        with self._lock:
            known = self._deliveries.get(notification_id, set())
            return {t for t in tokens if t in known}

    def record(
        self,
        notification_id: str,
        tokens: Collection[str],
        position: tuple[int, int] | None = None,
    ) -> None:
        with self._lock:
            if tokens:
                self._deliveries.setdefault(notification_id, set()).update(tokens)
            if position is not None:
                partition, at = position
                self._positions[partition] = max(self._positions.get(partition, 0), at)

    def positions(self, partitions: Collection[int]) -> dict[int, int]:
        with self._lock:
            return {p: self._positions.get(p, 0) for p in partitions}

    def count(self, notification_id: str) -> int:
        with self._lock:
            return len(self._deliveries.get(notification_id, ()))

    def close(self) -> None:
        pass


class SQLiteDeliveryLedger:
    """The ledger in a SQLite file (WAL, ``synchronous=FULL``): durable on return."""

    def __init__(
        self,
        path: Path | str,
        *,
        queue: str = "notifications",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = SQLiteConnection(path)
        self._clock = clock
        self.queue = queue  # positions are the positions of this queue's partitions
        with self._db.transaction() as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS deliveries ("
                " notification_id TEXT NOT NULL, token TEXT NOT NULL,"
                " delivered_at REAL NOT NULL,"
                " PRIMARY KEY (notification_id, token)) WITHOUT ROWID"
            )
            c.execute(
                "CREATE TABLE IF NOT EXISTS positions (queue TEXT NOT NULL,"
                " partition INTEGER NOT NULL, position INTEGER NOT NULL,"
                " PRIMARY KEY (queue, partition)) WITHOUT ROWID"
            )

    def delivered(self, notification_id: str, tokens: Collection[str]) -> set[str]:
        found: set[str] = set()
        with self._db.reading() as c:
            for chunk in _chunks(list(tokens), CHUNK):
                marks = ",".join("?" * len(chunk))
                rows = c.execute(
                    "SELECT token FROM deliveries"
                    f" WHERE notification_id = ? AND token IN ({marks})",
                    (notification_id, *chunk),
                ).fetchall()
                found.update(token for (token,) in rows)
        return found

    def record(
        self,
        notification_id: str,
        tokens: Collection[str],
        position: tuple[int, int] | None = None,
    ) -> None:
        if not tokens and position is None:
            return
        now = self._clock()
        with self._db.transaction() as c:
            if tokens:
                c.executemany(
                    "INSERT OR IGNORE INTO deliveries (notification_id, token, delivered_at)"
                    " VALUES (?, ?, ?)",
                    ((notification_id, token, now) for token in tokens),
                )
            if position is not None:
                c.execute(
                    "INSERT INTO positions (queue, partition, position) VALUES (?, ?, ?)"
                    " ON CONFLICT (queue, partition) DO UPDATE"
                    " SET position = MAX(position, excluded.position)",
                    (self.queue, *position),
                )

    def positions(self, partitions: Collection[int]) -> dict[int, int]:
        wanted = sorted(set(partitions))
        found = dict.fromkeys(wanted, 0)
        if not wanted:
            return found
        with self._db.reading() as c:
            marks = ",".join("?" * len(wanted))
            rows = c.execute(
                "SELECT partition, position FROM positions"
                f" WHERE queue = ? AND partition IN ({marks})",
                (self.queue, *wanted),
            ).fetchall()
        found.update({int(p): int(at) for p, at in rows})
        return found

    def count(self, notification_id: str) -> int:
        with self._db.reading() as c:
            (n,) = c.execute(
                "SELECT COUNT(*) FROM deliveries WHERE notification_id = ?", (notification_id,)
            ).fetchone()
        return int(n)

    def close(self) -> None:
        self._db.close()


__all__ = ["MemoryDeliveryLedger", "SQLiteDeliveryLedger"]
