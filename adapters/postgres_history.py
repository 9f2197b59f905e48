"""The ``game_events`` history table in PostgreSQL: a query copy of recorded events.

The table is range-partitioned by month on ``recorded_at``, with a DEFAULT
partition, a primary key on (game_id, version, recorded_at) (a unique key of a
partitioned table must hold the partition key) and an index on
(game_id, sequence_number). The eventsourcing tables stay the source of truth.

Guarantees:
- :meth:`PostgresHistory.save` writes the rows and the tracking position in one
  transaction; a position not above the stored one raises IntegrityError and writes
  nothing; a row already stored is skipped (``ON CONFLICT DO NOTHING``).
- No insert fails for want of a partition: a row outside every monthly partition
  lands in the DEFAULT partition.
- :meth:`PostgresHistory.ensure_partitions` is idempotent and safe against
  concurrent callers (an advisory lock serialises them); a month created late takes
  over its rows from the DEFAULT partition in the same transaction, so every row
  stays visible exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal
from psycopg.types.json import Jsonb

from adapters.postgres_schema import add_months, ensure_schema, postgres_datastore
from projections.history import HistoryRow

COLUMNS = (
    "game_id, sequence_number, version, event_id, event_type, team_id, player_id,"
    " period, clock_seconds, provider, recorded_at, event"
)
COLUMN_TYPES = (  # of COLUMNS, in their order
    "text", "bigint", "bigint", "text", "text", "text", "text",
    "integer", "integer", "text", "timestamptz", "jsonb",
)  # fmt: skip


class PostgresHistory(PostgresTrackingRecorder):
    """Tables ``game_events`` (partitioned) and ``game_events_tracking``."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        table_name: str = "game_events",
        tracking_table_name: str = "game_events_tracking",
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name)
        self.table_name = table_name
        self.default_partition = f"{table_name}_default"
        self.index_name = f"{table_name}_game_id_sequence_number_idx"
        for name in (table_name, self.default_partition, self.index_name):
            self.check_identifier_length(name)
        self._schema = Identifier(datastore.schema)
        self._table = Identifier(table_name)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                    " game_id text NOT NULL,"
                    " sequence_number bigint NOT NULL,"
                    " version bigint NOT NULL,"
                    " event_id text NOT NULL,"
                    " event_type text NOT NULL,"
                    " team_id text,"
                    " player_id text,"
                    " period integer,"
                    " clock_seconds integer,"
                    " provider text NOT NULL,"
                    " recorded_at timestamptz NOT NULL,"
                    " event jsonb NOT NULL,"
                    " PRIMARY KEY (game_id, version, recorded_at)"
                    ") PARTITION BY RANGE (recorded_at)"
                ).format(schema=self._schema, table=self._table),
                SQL(
                    "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table}"
                    " (game_id, sequence_number)"
                ).format(index=Identifier(self.index_name), schema=self._schema, table=self._table),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{default}"
                    " PARTITION OF {schema}.{table} DEFAULT"
                ).format(
                    schema=self._schema,
                    default=Identifier(self.default_partition),
                    table=self._table,
                ),
            ]
        )
        # A batch's rows as one array per column (binary), unnested into the columns: one
        # statement, where a row each (executemany) cost about twice the client's and the
        # server's CPU for batches of 2,000.
        self._insert = SQL(
            "INSERT INTO {schema}.{table} ("
            + COLUMNS
            + ") SELECT * FROM unnest("
            + ", ".join(f"%b::{kind}[]" for kind in COLUMN_TYPES)
            + ") ON CONFLICT (game_id, version, recorded_at) DO NOTHING"
        ).format(schema=self._schema, table=self._table)
        self._select_game = SQL(
            "SELECT " + COLUMNS + " FROM {schema}.{table}"
            " WHERE game_id = %s ORDER BY sequence_number, version"
        ).format(schema=self._schema, table=self._table)

    # ----------------------------------------------------------------- writes
    def save(self, rows: Sequence[HistoryRow], tracking: Tracking) -> None:
        """Insert the rows (skipping stored ones) and record ``tracking``, atomically."""
        values = [row_values(r) for r in rows]
        with self.datastore.transaction(commit=True) as c:
            # Tracking first: a stale batch fails before writing, and concurrent
            # writers queue on the position row.
            self._insert_tracking(c, tracking)
            if values:
                c.execute(self._insert, [list(column) for column in zip(*values, strict=True)])

    # ------------------------------------------------------------- partitions
    def partition_name(self, month: date) -> str:
        """The monthly partition holding ``month`` (any day of it)."""
        return f"{self.table_name}_{month.year:04d}_{month.month:02d}"

    def ensure_partitions(self, from_month: date, to_month: date) -> list[str]:
        """Make sure a partition exists for every month from ``from_month`` to
        ``to_month`` (both included, any day of each); their names, in order."""
        months: list[date] = []
        month = from_month.replace(day=1)
        while month <= to_month:
            months.append(month)
            month = add_months(month, 1)
        with self.datastore.transaction(commit=False) as c:
            present = self._existing_tables(c, [self.partition_name(m) for m in months])
        for month in months:
            if self.partition_name(month) not in present:
                with self.datastore.transaction(commit=True) as c:
                    self._create_partition(c, month)
        return [self.partition_name(m) for m in months]

    def _existing_tables(self, c: Cursor[DictRow], names: list[str]) -> set[str]:
        c.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = ANY(%s)",
            (self.datastore.schema, names),
        )
        return {row["relname"] for row in c.fetchall()}

    def _create_partition(self, c: Cursor[DictRow], month: date) -> None:
        c.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            (f"{self.datastore.schema}.{self.table_name} partitions",),
        )
        name = self.partition_name(month)
        if self._existing_tables(c, [name]):
            return  # Another process made it while we waited for the lock.
        lo = Literal(f"{month.isoformat()} 00:00:00+00")
        hi = Literal(f"{add_months(month, 1).isoformat()} 00:00:00+00")
        bounds = SQL("FROM ({lo}) TO ({hi})").format(lo=lo, hi=hi)
        names = {
            "schema": self._schema,
            "table": self._table,
            "part": Identifier(name),
            "default": Identifier(self.default_partition),
            "bounds": bounds,
        }
        in_range = SQL(
            "recorded_at >= {lo}::timestamptz AND recorded_at < {hi}::timestamptz"
        ).format(lo=lo, hi=hi)
        c.execute(
            SQL("SELECT EXISTS (SELECT 1 FROM {schema}.{default} WHERE {in_range})").format(
                in_range=in_range, **names
            )
        )
        found = c.fetchone()
        if found is None or not found["exists"]:
            c.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{part}"
                    " PARTITION OF {schema}.{table} FOR VALUES {bounds}"
                ).format(**names)
            )
            return
        # Rows of this month wait in the DEFAULT partition: move them into a new
        # table and attach it, all in this transaction.
        c.execute(
            SQL(
                "CREATE TABLE {schema}.{part}"
                " (LIKE {schema}.{table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            ).format(**names)
        )
        c.execute(
            SQL(
                "WITH moved AS (DELETE FROM {schema}.{default} WHERE {in_range} RETURNING *)"
                " INSERT INTO {schema}.{part} SELECT * FROM moved"
            ).format(in_range=in_range, **names)
        )
        c.execute(
            SQL(
                "ALTER TABLE {schema}.{table} ATTACH PARTITION {schema}.{part} FOR VALUES {bounds}"
            ).format(**names)
        )

    # ---------------------------------------------------------------- queries
    def events_of(self, game_id: str) -> list[HistoryRow]:
        """The game's rows in sequence order (then version)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_game, (game_id,))
            return [_row(found) for found in c.fetchall()]


def row_values(r: HistoryRow) -> tuple[Any, ...]:
    """``r`` as the values of :data:`COLUMNS`, in their order."""
    return (
        r.game_id,
        r.sequence_number,
        r.version,
        r.event_id,
        r.event_type,
        r.team_id,
        r.player_id,
        r.period,
        r.clock_seconds,
        r.provider,
        r.recorded_at,
        Jsonb(r.event),
    )


def _row(found: dict[str, Any]) -> HistoryRow:
    return HistoryRow(**found)


def open_postgres_history(
    database_url: str, *, schema: str | None = None, today: date | None = None
) -> PostgresHistory:
    """The history store in the database the URL names; tables (and schema) created if
    missing, with partitions for ``today``'s month and the next (``scoreline db
    upgrade`` makes a year ahead)."""
    datastore = postgres_datastore(database_url, schema=schema)
    ensure_schema(datastore)
    history = PostgresHistory(datastore)
    history.create_table()
    today = today or datetime.now(UTC).date()
    history.ensure_partitions(today, add_months(today.replace(day=1), 1))
    return history


__all__ = ["IntegrityError", "PostgresHistory", "open_postgres_history"]
