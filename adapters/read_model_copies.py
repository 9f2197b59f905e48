"""How each backend makes a fresh copy of a read model, lists it and swaps it in.

Guarantees (the ReadModelCopies contract of projections/rebuild.py), and their limits:

SQLite (embedded): the shadow copy is the live store's class on a file beside the
live one (``views.rebuild.sqlite`` for ``views.sqlite``). The swap is one transaction
on the live file, holding its write lock, that replaces the model's rows and tracking
row with the shadow's (ATTACHed): every connection, a running server's included,
reads the old rows or the new ones. The file itself is never replaced: a process
holding it open in WAL mode would pair a new file with the old WAL. The swap copies
the rows, so it holds the lock for about (view size / disk speed); the server's
projector waits up to its 5 s lock timeout. A running embedded server answers
``state`` from its memory mirror: it shows a game's rebuilt state from the game's
next event, and every game's at restart.

PostgreSQL: the shadow copy is the live store's class in the schema
``<schema>_shadow``. The swap is one transaction: lock the live tracking table against
writers (readers go on), drop the live tables, move the shadow's tables and their
partitions into the live schema. Readers wait for the instant of the commit, then
read the new tables. The new tables belong to the role that ran the rebuild. A
rebuild or audit holds an advisory lock per model, so two never share a shadow.

Both: a live projector that read its batch's rows just before the swap writes that
batch over the swapped copy (its position matches, so the write is accepted): a game
both wrong in the live copy and in that batch keeps its wrong state. Audit again
after a rebuild taken under load, or rebuild with the projectors stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar

import psycopg
from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from adapters.postgres_advisory_lock import lock_key
from adapters.postgres_history import PostgresHistory
from adapters.postgres_schema import ensure_schema, parse_postgres_url, postgres_datastore
from projections.follower import Projection
from projections.rebuild import Key, RebuildError, Row, SwapBusy, canonical


class TrackingStore(Protocol):
    @property
    def datastore(self) -> Any: ...
    def create_table(self) -> None: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...


S = TypeVar("S", bound=TrackingStore)


@dataclass(frozen=True)
class Rows:
    """A table's rows as compared: key columns (in sort order) and compared columns.

    ``json``: columns holding JSON text, parsed before comparing. ``text_key``: text
    key columns, which PostgreSQL sorts ``COLLATE "C"`` (code points, as Python does).
    """

    table: str
    key: tuple[str, ...]
    values: tuple[str, ...]
    json: tuple[str, ...] = ()
    text_key: tuple[str, ...] = ()

    def row(self, found: Any) -> Row:
        values = {c: _parsed(found[c]) if c in self.json else found[c] for c in self.values}
        key: Key = (self.table, *(found[c] for c in self.key))
        return key, canonical(values)


def _parsed(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class SQLiteReadModel(Generic[S]):
    """A read model in its own SQLite file of the data directory, with ``tracking``."""

    name: str
    file_name: str
    open: Callable[[str], S]  # path -> the store, its tables created
    projection: Callable[[S, str], Projection]  # (store, upstream application name)
    tables: tuple[Rows, ...]  # its data tables


@dataclass(frozen=True)
class PostgresReadModel(Generic[S]):
    """A read model in tables of the database's schema."""

    name: str
    store: Callable[[PostgresDatastore], S]  # the store class (tables made by create_table)
    projection: Callable[[S, str], Projection]
    tables: tuple[Rows, ...]
    tracking_table: str
    prepare_shadow: Callable[[S, S], None] | None = None  # (live, shadow), before replay


@dataclass
class _Listing:
    position: int
    _rows: Iterator[Row]

    def rows(self) -> Iterator[Row]:
        return self._rows


class SQLiteCopies(Generic[S]):
    """The live file and a shadow file of one SQLite read model."""

    def __init__(self, model: SQLiteReadModel[S], data_dir: Path, upstream: str) -> None:
        self.model, self.upstream, self.name = model, upstream, model.name
        self.live = data_dir / model.file_name
        self.shadow = self.live.with_name(f"{self.live.stem}.rebuild{self.live.suffix}")
        self._store: S | None = None
        self._lock: IO[bytes] | None = open(f"{self.shadow}.lock", "wb")  # noqa: SIM115
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise RebuildError(f"{self.name}: another rebuild or audit is running") from None
        model.open(str(self.live)).datastore.close()  # the live tables exist, as made live

    def live_position(self) -> int:
        with contextlib.closing(_connect(self.live)) as conn:
            return _position(conn, "main", self.upstream)

    def open_shadow(self) -> Projection:
        self.discard_shadow()
        self._store = self.model.open(str(self.shadow))
        return self.model.projection(self._store, self.upstream)

    def shadow_rows(self) -> Iterator[Row]:
        with contextlib.closing(_connect(self.shadow)) as conn:
            conn.execute("BEGIN")
            yield from self._rows(conn)

    @contextlib.contextmanager
    def live_snapshot(self) -> Iterator[_Listing]:
        with contextlib.closing(_connect(self.live)) as conn:
            conn.execute("BEGIN")  # WAL: the first read fixes the snapshot for the rest
            yield _Listing(_position(conn, "main", self.upstream), self._rows(conn))

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


class PostgresCopies(Generic[S]):
    """The live tables and the shadow tables (schema ``<schema>_shadow``) of one model."""

    def __init__(self, model: PostgresReadModel[S], database_url: str, upstream: str) -> None:
        self.model, self.upstream, self.name = model, upstream, model.name
        self.url = database_url
        self.datastore = postgres_datastore(database_url, pool_size=1)
        self.schema, self.shadow_schema = self.datastore.schema, f"{self.datastore.schema}_shadow"
        if len(self.shadow_schema.encode()) > 63:
            raise RebuildError(f"schema name {self.schema!r} is too long for a shadow schema")
        self.tables = [*(spec.table for spec in model.tables), model.tracking_table]
        s = parse_postgres_url(database_url)
        self._lock = psycopg.connect(
            dbname=s.dbname, host=s.host, port=s.port, user=s.user, password=s.password,
            connect_timeout=s.connect_timeout, autocommit=True,
        )  # fmt: skip
        key = lock_key(f"scoreline:rebuild:{self.schema}.{self.name}")
        found = self._lock.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        if not (found and found[0]):
            self._lock.close()
            raise RebuildError(f"{self.name}: another rebuild or audit is running")
        self._shadow: S | None = None
        try:
            self.store = model.store(self.datastore)
            if not self._live_tables_exist():
                self.store.create_table()  # else no DDL: it would queue behind live writers
        except BaseException:
            self._lock.close()
            self.datastore.close()
            raise

    def _live_tables_exist(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relname = ANY(%s)",
                (self.schema, self.tables),
            )
            found = c.fetchone()
        return found is not None and found["n"] == len(self.tables)

    def live_position(self) -> int:
        return self.store.max_tracking_id(self.upstream) or 0

    def open_shadow(self) -> Projection:
        self.discard_shadow()
        datastore = postgres_datastore(self.url, schema=self.shadow_schema, pool_size=1)
        ensure_schema(datastore)
        self._drop(datastore)  # what a killed run left
        self._shadow = shadow = self.model.store(datastore)
        shadow.create_table()
        if self.model.prepare_shadow is not None:
            self.model.prepare_shadow(self.store, shadow)
        return self.model.projection(shadow, self.upstream)

    def _drop(self, datastore: PostgresDatastore) -> None:
        with datastore.transaction(commit=True) as c:
            for table in self.tables:
                name = Identifier(self.shadow_schema, table)
                c.execute(SQL("DROP TABLE IF EXISTS {} CASCADE").format(name))

    def shadow_rows(self) -> Iterator[Row]:
        assert self._shadow is not None, "open_shadow first"
        with self._shadow.datastore.get_connection() as conn, conn.transaction():
            yield from self._rows(conn, self.shadow_schema)

    @contextlib.contextmanager
    def live_snapshot(self) -> Iterator[_Listing]:
        with self.datastore.get_connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = '10min'")
            yield _Listing(self._live_position(conn), self._rows(conn, self.schema))

    def _live_position(self, conn: psycopg.Connection[Any]) -> int:
        found = conn.execute(
            SQL("SELECT max(notification_id) AS n FROM {} WHERE application_name = %s").format(
                Identifier(self.schema, self.model.tracking_table)
            ),
            (self.upstream,),
        ).fetchone()
        return int(found["n"] or 0) if found else 0

    def _rows(self, conn: psycopg.Connection[Any], schema: str) -> Iterator[Row]:
        for spec in sorted(self.model.tables, key=lambda t: t.table):
            order = SQL(", ").join(
                SQL('{} COLLATE "C"').format(Identifier(c)) if c in spec.text_key else Identifier(c)
                for c in spec.key
            )
            query = SQL("SELECT {} FROM {} ORDER BY {}").format(
                SQL(", ").join(Identifier(c) for c in (*spec.key, *spec.values)),
                Identifier(schema, spec.table),
                order,
            )
            with conn.cursor(name=f"rows_{spec.table}") as cursor:  # server-side: streams
                cursor.itersize = 2_000
                cursor.execute(query)
                yield from (spec.row(found) for found in cursor)

    @contextlib.contextmanager
    def swap(self) -> Iterator[int]:
        assert self._shadow is not None, "open_shadow first"
        live = Identifier(self.schema)
        try:
            with self.datastore.get_connection() as conn, conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '5s'")
                conn.execute("SET LOCAL idle_in_transaction_session_timeout = '2min'")
                # Writers write their tracking first: they queue here. Readers go on.
                tracking = Identifier(self.schema, self.model.tracking_table)
                conn.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(tracking))
                yield self._live_position(conn)
                moving = [part for table in self.tables for part in self._parts(conn, table)]
                for table in self.tables:  # partitions go with their table
                    conn.execute(SQL("DROP TABLE {}").format(Identifier(self.schema, table)))
                for part in moving:
                    name = Identifier(self.shadow_schema, part)
                    conn.execute(SQL("ALTER TABLE {} SET SCHEMA {}").format(name, live))
        except OperationalError as error:
            if isinstance(error.__cause__, psycopg.errors.LockNotAvailable):
                raise SwapBusy(f"{self.name}: {error}") from None
            raise

    def _parts(self, conn: psycopg.Connection[Any], table: str) -> list[str]:
        """The shadow table and, recursively, its partitions."""
        found = conn.execute(
            "WITH RECURSIVE parts(oid) AS ("
            " SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = %s"
            " UNION SELECT i.inhrelid FROM pg_inherits i JOIN parts ON i.inhparent = parts.oid)"
            " SELECT relname FROM pg_class JOIN parts USING (oid)",
            (self.shadow_schema, table),
        ).fetchall()
        if not found:
            raise RebuildError(f"{self.name}: the shadow copy has no table {table}")
        return [row["relname"] for row in found]

    def discard_shadow(self) -> None:
        shadow, self._shadow = self._shadow, None
        if shadow is not None:
            try:
                self._drop(shadow.datastore)  # nothing left after a swap
            finally:
                shadow.datastore.close()

    def close(self) -> None:
        try:
            self.discard_shadow()
        finally:
            self._lock.close()  # frees the advisory lock
            self.datastore.close()


def same_partitions(live: PostgresHistory, shadow: PostgresHistory) -> None:
    """Give the shadow history table the live one's monthly partitions."""
    with live.datastore.transaction(commit=False) as c:
        c.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_class p ON p.oid = i.inhparent"
            " JOIN pg_namespace n ON n.oid = p.relnamespace"
            " WHERE n.nspname = %s AND p.relname = %s",
            (live.datastore.schema, live.table_name),
        )
        names = [row["relname"] for row in c.fetchall()]
    for name in names:
        year, _, month = name.removeprefix(f"{live.table_name}_").partition("_")
        if year.isdigit() and month.isdigit():
            first = date(int(year), int(month), 1)
            shadow.ensure_partitions(first, first)
