"""WAL checkpoints of SQLite files, run by a thread of their own instead of in commits.

SQLite checkpoints a WAL-mode database inside the commit that takes its write-ahead log
past ``wal_autocheckpoint`` pages (1,000 by default): that commit copies the log back
into the database file and syncs the file before it returns. In the embedded process
the event store, the ingest log and the game-state read model are each committed on
the fans' path, so every second or two one of those commits waited for a flush of
megabytes (20-107 ms each here, BENCHMARKS.md). The connections that write such a file
turn the automatic checkpoint off (:data:`AUTOMATIC_CHECKPOINTS_OFF`) and
:class:`WalCheckpoints` runs them instead.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from typing import Final

from eventsourcing.sqlite import SQLiteConnection as EventsourcingConnection
from eventsourcing.sqlite import SQLiteConnectionPool, SQLiteDatastore

log = logging.getLogger("scoreline.sqlite")

AUTOMATIC_CHECKPOINTS_OFF: Final = "PRAGMA wal_autocheckpoint=0"
INTERVAL: Final = 0.5  # seconds between two checkpoints of a file


class WalCheckpoints:
    """Checkpoints the write-ahead logs of SQLite files from one thread.

    Guarantees: durability is unchanged (a commit is durable, or not, by its
    connection's ``synchronous`` setting before any checkpoint). Every ``interval``
    seconds each added file gets a PASSIVE checkpoint on a connection of this thread:
    it neither waits for nor blocks a writer or a reader, copies back every frame no
    reader still needs, and syncs the database file; what it must leave is taken by
    the next one. After a complete checkpoint the next writer restarts the log from
    its beginning, so a log stays about ``interval`` times its write rate. Only files
    whose writers turned the automatic checkpoint off should be added (the two would
    not conflict, only duplicate work). :meth:`close` stops the thread after a last
    ``TRUNCATE`` checkpoint of every file.
    """

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self._paths: list[str] = []
        self._connections: dict[str, sqlite3.Connection] = {}
        self._lock = threading.Lock()  # the connections: the thread's, and close()'s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, path: str) -> None:
        """Checkpoint this file from now on."""
        with self._lock:
            if path not in self._paths:
                self._paths.append(path)

    @property
    def paths(self) -> Sequence[str]:
        return tuple(self._paths)

    def start(self) -> WalCheckpoints:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="sqlite-checkpoints", daemon=True
            )
            self._thread.start()
        return self

    def checkpoint(self, mode: str = "PASSIVE") -> dict[str, tuple[int, int, int]]:
        """One checkpoint of every file: path -> SQLite's (busy, log frames, frames
        checkpointed). A file whose checkpoint fails is logged and left to the next."""
        results = {}
        with self._lock:
            for path in self._paths:
                try:
                    connection = self._connections.get(path)
                    if connection is None:
                        connection = self._connections[path] = _checkpointing(path)
                    # fetchall: a statement left unfinished would keep this connection
                    # reading the log, and then no writer could restart it.
                    (row,) = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
                    results[path] = (int(row[0]), int(row[1]), int(row[2]))
                except sqlite3.Error as error:
                    log.warning("checkpoint of %s failed: %s", path, error)
        return results

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.checkpoint("TRUNCATE")
        with self._lock:
            for connection in self._connections.values():
                connection.close()
            self._connections.clear()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.checkpoint()


def _checkpointing(path: str) -> sqlite3.Connection:
    # synchronous=NORMAL or FULL both sync the database file before the log restarts;
    # a short busy timeout: a TRUNCATE waits that long for readers, then gives up.
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=1)
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


class TunedPool(SQLiteConnectionPool):
    """eventsourcing's SQLite pool, each new connection given these pragmas."""

    def __init__(self, *, db_name: str, pragmas: Sequence[str], lock_timeout: int | None = None):
        self.pragmas = tuple(pragmas)
        super().__init__(db_name=db_name, lock_timeout=lock_timeout)

    def _create_connection(self) -> EventsourcingConnection:
        connection = super()._create_connection()
        for pragma in self.pragmas:
            connection._sqlite_conn.execute(pragma)
        return connection


def tune_datastore(
    datastore: SQLiteDatastore,
    pragmas: Sequence[str],
    checkpoints: WalCheckpoints | None = None,
) -> SQLiteDatastore:
    """Give every connection of ``datastore`` these pragmas (its pool replaced, the old
    one closed: call before the datastore is in use). With ``checkpoints``, its
    connections leave checkpoints to them."""
    old = datastore.pool
    if checkpoints is not None:
        pragmas = (*pragmas, AUTOMATIC_CHECKPOINTS_OFF)
        checkpoints.add(old.db_name)
    datastore.pool = TunedPool(db_name=old.db_name, pragmas=pragmas, lock_timeout=old.lock_timeout)
    old.close()
    return datastore
