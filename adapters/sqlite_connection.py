"""One SQLite connection shared by the threads of one process, serialised by a lock;
and the read models' eventsourcing datastores, at ``synchronous=NORMAL``."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Protocol

from eventsourcing.sqlite import SQLiteDatastore

from adapters.sqlite_checkpoints import AUTOMATIC_CHECKPOINTS_OFF, WalCheckpoints, tune_datastore


class SQLiteConnection:
    """A WAL-mode SQLite database file; ``transaction()`` commits on success.

    ``synchronous=FULL``: a committed transaction survives power loss, which is what
    lets ingestion answer 202 only once events are durable.
    """

    def __init__(self, path: Path | str, *, checkpoints: WalCheckpoints | None = None) -> None:
        """``checkpoints``: they checkpoint this file, its commits never do."""
        self.path = str(path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        if checkpoints is not None:
            self._conn.execute(AUTOMATIC_CHECKPOINTS_OFF)
            checkpoints.add(self.path)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            yield self._conn.cursor()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


SQLITE_PARAMETERS: Final = 500  # bound parameters per statement (SQLite allows 999 at least)


class Cursor(Protocol):
    """What :func:`rows_in` needs of a cursor (sqlite3's, or eventsourcing's)."""

    def execute(self, sql: str, parameters: Sequence[Any], /) -> Any: ...
    def fetchall(self) -> list[Any]: ...


def rows_in(cursor: Cursor, query: str, keys: Sequence[Any]) -> Iterator[Any]:
    """The rows of ``query`` for ``keys``, whose ``{marks}`` stands for the list of an
    ``IN (...)``: one statement per chunk of at most :data:`SQLITE_PARAMETERS` keys
    (SQLite bounds the parameters of a statement), the rows of each in SQLite's order."""
    for start in range(0, len(keys), SQLITE_PARAMETERS):
        chunk = keys[start : start + SQLITE_PARAMETERS]
        cursor.execute(query.format(marks=", ".join("?" * len(chunk))), chunk)
        yield from cursor.fetchall()


def read_model_datastore(path: str, checkpoints: WalCheckpoints | None = None) -> SQLiteDatastore:
    """An eventsourcing SQLite datastore for a read model, at ``synchronous=NORMAL``.

    In WAL mode a commit is then atomic and ordered but not flushed to the disk (the
    WAL is synced at checkpoints): a power loss may undo the last transactions, each
    whole, the tracked position with its writes, so the follower folds them again
    from the event store (which stays ``synchronous=FULL``). A process crash loses
    nothing. Only for what can be rebuilt from the store and publishes nothing that
    must not be repeated. With ``checkpoints``, they checkpoint the file, its commits
    never do.
    """
    return tune_datastore(SQLiteDatastore(path), ["PRAGMA synchronous=NORMAL"], checkpoints)
