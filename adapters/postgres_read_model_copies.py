"""PostgreSQL copies of a read model: the live tables and a ``<schema>_shadow`` copy.

Guarantees (the ReadModelCopies contract of projections/rebuild.py), and their limits:
the shadow copy is the live store's class in the schema ``<schema>_shadow``, written
through a write-behind buffer (projections/write_behind.py) flushed before it is
listed or swapped in. The swap is one transaction: lock the live tracking table
against writers (readers go on), drop the live tables, move the shadow's tables and
their partitions into the live schema. Readers wait for the instant of the commit,
then read the new tables. The new tables belong to the role that ran the rebuild. A
rebuild or audit holds an advisory lock per model, so two never share a shadow.

A live projector that read its batch's rows just before the swap writes that batch
over the swapped copy (its position matches, so the write is accepted): a game both
wrong in the live copy and in that batch keeps its wrong state. Audit again after a
rebuild taken under load, or rebuild with the projectors stopped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

import psycopg
from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from adapters.postgres_advisory_lock import lock_key
from adapters.postgres_history import PostgresHistory
from adapters.postgres_schema import ensure_schema, parse_postgres_url, postgres_datastore
from adapters.read_model_rows import Buffer, Listing, Rows, ShadowBuffering, TrackingStore
from projections.follower import Projection
from projections.read_model_comparison import RebuildError, Row
from projections.rebuild import SwapBusy

S = TypeVar("S", bound=TrackingStore)


@dataclass(frozen=True)
class PostgresReadModel(Generic[S]):
    """A read model in tables of the database's schema."""

    name: str
    store: Callable[[PostgresDatastore], S]  # the store class (tables made by create_table)
    projection: Callable[[Any, str], Projection]  # (store or its buffer, upstream name)
    tables: tuple[Rows, ...]
    tracking_table: str
    prepare_shadow: Callable[[S, S], None] | None = None  # (live, shadow), before replay
    buffer: Buffer | None = None  # the shadow store's write-behind buffer, if any
    shadow_store: Callable[[PostgresDatastore], S] | None = None  # else ``store``


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
        self._writes: ShadowBuffering | None = None
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
        self._shadow = shadow = (self.model.shadow_store or self.model.store)(datastore)
        shadow.create_table()
        if self.model.prepare_shadow is not None:
            self.model.prepare_shadow(self.store, shadow)
        self._writes = ShadowBuffering(shadow, self.model.buffer)
        return self.model.projection(self._writes.store, self.upstream)

    def _flush(self) -> None:
        if self._writes is not None:
            self._writes.flush()

    def _drop(self, datastore: PostgresDatastore) -> None:
        with datastore.transaction(commit=True) as c:
            for table in self.tables:
                name = Identifier(self.shadow_schema, table)
                c.execute(SQL("DROP TABLE IF EXISTS {} CASCADE").format(name))

    def shadow_rows(self) -> Iterator[Row]:
        assert self._shadow is not None, "open_shadow first"
        self._flush()
        with self._shadow.datastore.get_connection() as conn, conn.transaction():
            yield from self._rows(conn, self.shadow_schema)

    @contextlib.contextmanager
    def live_snapshot(self) -> Iterator[Listing]:
        with self.datastore.get_connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = '10min'")
            yield Listing(self._live_position(conn), self._rows(conn, self.schema))

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
                self._flush()  # the last catch-up, buffered, into the shadow tables
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
        writes, self._writes = self._writes, None
        if writes is not None:
            with contextlib.suppress(Exception):  # the copy is dropped: its writes moot
                writes.close()
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
