"""SQLite (embedded) copies of a read model: the live file and a shadow file beside it.

Guarantees (the ReadModelCopies contract of projections/rebuild.py), and their limits:
the shadow copy is the live store's class on a file beside the live one
(``views.rebuild.sqlite`` for ``views.sqlite``), written through a write-behind buffer
(projections/write_behind.py) flushed before it is listed or swapped in. The swap is
one transaction on the live file, holding its write lock, that replaces the model's
rows and tracking row with the shadow's (ATTACHed): every connection, a running
server's included, reads the old rows or the new ones. The file itself is never
replaced: a process holding it open in WAL mode would pair a new file with the old
WAL. The swap copies the rows, so it holds the lock for about (view size / disk
speed); the server's projector waits up to its 5 s lock timeout. A running embedded
server answers ``state`` from its memory mirror: it shows a game's rebuilt state from
the game's next event, and every game's at restart. One rebuild or audit of a model
at a time: a lock file beside the shadow.

A live projector that read its batch's rows just before the swap writes that batch
over the swapped copy (its position matches, so the write is accepted): a game both
wrong in the live copy and in that batch keeps its wrong state. Audit again after a
rebuild taken under load, or rebuild with the projectors stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from adapters.read_model_rows import Buffer, Listing, Rows, ShadowBuffering, TrackingStore
from projections.follower import Projection
from projections.read_model_comparison import RebuildError, Row
from projections.rebuild import SwapBusy

S = TypeVar("S", bound=TrackingStore)


@dataclass(frozen=True)
class SQLiteReadModel(Generic[S]):
    """A read model in its own SQLite file of the data directory, with ``tracking``."""

    name: str
    file_name: str
    open: Callable[[str], S]  # path -> the store, its tables created
    projection: Callable[[Any, str], Projection]  # (store or its buffer, upstream name)
    tables: tuple[Rows, ...]  # its data tables
    buffer: Buffer | None = None  # the shadow store's write-behind buffer, if any


class SQLiteCopies(Generic[S]):
    """The live file and a shadow file of one SQLite read model."""

    def __init__(self, model: SQLiteReadModel[S], data_dir: Path, upstream: str) -> None:
        self.model, self.upstream, self.name = model, upstream, model.name
        self.live = data_dir / model.file_name
        self.shadow = self.live.with_name(f"{self.live.stem}.rebuild{self.live.suffix}")
        self._store: S | None = None
        self._writes: ShadowBuffering | None = None
        self._lock: IO[bytes] | None = open(f"{self.shadow}.lock", "wb")  # noqa: SIM115
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise RebuildError(f"{self.name}: another rebuild or audit is running") from None
        self._make_live_tables()

    def _make_live_tables(self) -> None:
        """The live file's tables, as the live store makes them: made by opening the
        store where any is missing (a new data directory, or a table a later version
        added), else left alone. Opening a store also loads its memory mirror: every
        board of a million-event log decoded, 3.6 s before the replay could begin."""
        wanted = {"tracking", *(rows.table for rows in self.model.tables)}
        with contextlib.closing(_connect(self.live)) as conn:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            found = {name for (name,) in tables}
        if not wanted <= found:
            self.model.open(str(self.live)).datastore.close()

    def live_position(self) -> int:
        with contextlib.closing(_connect(self.live)) as conn:
            return _position(conn, "main", self.upstream)

    def open_shadow(self) -> Projection:
        self.discard_shadow()
        self._store = self.model.open(str(self.shadow))
        self._writes = ShadowBuffering(self._store, self.model.buffer)
        return self.model.projection(self._writes.store, self.upstream)

    def _flush(self) -> None:
        if self._writes is not None:
            self._writes.flush()

    def shadow_rows(self) -> Iterator[Row]:
        self._flush()
        with contextlib.closing(_connect(self.shadow)) as conn:
            conn.execute("BEGIN")
            yield from self._rows(conn)

    @contextlib.contextmanager
    def live_snapshot(self) -> Iterator[Listing]:
        with contextlib.closing(_connect(self.live)) as conn:
            conn.execute("BEGIN")  # WAL: the first read fixes the snapshot for the rest
            yield Listing(_position(conn, "main", self.upstream), self._rows(conn))

    def _rows(self, conn: sqlite3.Connection) -> Iterator[Row]:
        for spec in sorted(self.model.tables, key=lambda t: t.table):
            columns, order = ", ".join((*spec.key, *spec.values)), ", ".join(spec.key)
            for found in conn.execute(f"SELECT {columns} FROM {spec.table} ORDER BY {order}"):
                yield spec.row(found)

    @contextlib.contextmanager
    def swap(self) -> Iterator[int]:
        with contextlib.closing(_connect(self.live)) as conn:
            conn.execute("ATTACH DATABASE ? AS shadow", (str(self.shadow),))
            conn.execute("BEGIN")
            try:
                try:
                    # A write to main only: it takes the live file's write lock (live
                    # writers wait from here) and leaves the shadow file writable for
                    # the last catch-up (BEGIN IMMEDIATE would lock both files).
                    conn.execute("UPDATE main.tracking SET notification_id = notification_id")
                except sqlite3.OperationalError as error:
                    raise SwapBusy(f"{self.name}: {error}") from None
                yield _position(conn, "main", self.upstream)
                self._flush()  # the last catch-up, buffered, into the shadow file
                for spec in self.model.tables:
                    if _ddl(conn, "main", spec.table) != _ddl(conn, "shadow", spec.table):
                        raise RebuildError(f"{self.name}: {spec.table} differs between copies")
                    # Same schema, whole table: SQLite copies it page by page.
                    conn.execute(f"DELETE FROM main.{spec.table}")
                    conn.execute(f"INSERT INTO main.{spec.table} SELECT * FROM shadow.{spec.table}")
                conn.execute(
                    "INSERT OR REPLACE INTO main.tracking (application_name, notification_id)"
                    " VALUES (?, ?)",
                    (self.upstream, _position(conn, "shadow", self.upstream)),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def discard_shadow(self) -> None:
        self._writes = None
        if self._store is not None:
            self._store.datastore.close()
            self._store = None
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.shadow}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self.discard_shadow()
        if self._lock is not None:
            self._lock.close()  # frees the flock
            self._lock = None


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=4.0)
    conn.row_factory = sqlite3.Row
    return conn


def _ddl(conn: sqlite3.Connection, db: str, table: str) -> str:
    query = f"SELECT sql FROM {db}.sqlite_master WHERE type = 'table' AND name = ?"
    found = conn.execute(query, (table,)).fetchone()
    if found is None:
        raise RebuildError(f"no table {table} in the {db} copy")
    return str(found[0])


def _position(conn: sqlite3.Connection, db: str, upstream: str) -> int:
    found = conn.execute(
        f"SELECT max(notification_id) FROM {db}.tracking WHERE application_name = ?",
        (upstream,),
    ).fetchone()
    return int(found[0] or 0)
