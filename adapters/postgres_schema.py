"""Everything Scoreline keeps in PostgreSQL: connection settings and schema upgrade.

Guarantees:
- :func:`parse_postgres_url` accepts ``postgresql://user:password@host:port/dbname``
  (``postgres://`` and ``postgresql+psycopg://`` too), percent-decoded, with optional
  query parameters ``schema``, ``pool_size``, ``max_overflow``, ``connect_timeout``
  and ``host`` (a socket directory). Anything else in the query raises ValueError,
  so a typo never silently falls back to a default.
- :func:`postgres_env` gives the eventsourcing environment for those settings; the
  same URL always gives the same keys.
- :func:`upgrade` is idempotent and never drops or rewrites data: it creates what is
  missing (schema, the Scorekeeper's event and tracking tables, the game-state view,
  the ``game_events`` history table with its DEFAULT partition and the monthly
  partitions from the previous month to twelve months ahead, the standings, the
  player stats, the push devices, the notifier and the delivery ledger) and says what
  it ensured.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection
from psycopg.sql import SQL, Identifier

from adapters.partitioned_recorders import process_recorder_env
from adapters.postgres_jsonb import use_msgspec_jsonb

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
QUERY_KEYS = ("schema", "pool_size", "max_overflow", "connect_timeout", "host")


@dataclass(frozen=True)
class PostgresSettings:
    """Where and how to connect. ``schema`` "" means PostgreSQL's ``public``."""

    dbname: str
    host: str = "localhost"
    port: int = 5432
    user: str = ""
    password: str = ""
    schema: str = ""
    # Writers of the event store serialise on a table lock, so a few connections
    # per process are enough; overflow absorbs bursts of concurrent readers.
    pool_size: int = 1
    max_overflow: int = 3  # writers queue on the event table lock: more would only wait
    connect_timeout: int = 10


def parse_postgres_url(url: str) -> PostgresSettings:
    """The settings a postgresql:// URL names (ValueError when it is not one)."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"not a PostgreSQL URL (scheme {parts.scheme!r}): {url!r}")
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise ValueError(f"the PostgreSQL URL names no database: {url!r}")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - set(QUERY_KEYS))
    if unknown:
        raise ValueError(f"unknown PostgreSQL URL parameters {unknown}: {url!r}")
    defaults = PostgresSettings(dbname)
    try:
        return PostgresSettings(
            dbname=dbname,
            host=query.get("host") or unquote(parts.hostname or "") or defaults.host,
            port=parts.port or defaults.port,
            user=unquote(parts.username or "") or getpass.getuser(),
            password=unquote(parts.password or ""),
            schema=query.get("schema", ""),
            pool_size=int(query.get("pool_size", defaults.pool_size)),
            max_overflow=int(query.get("max_overflow", defaults.max_overflow)),
            connect_timeout=int(query.get("connect_timeout", defaults.connect_timeout)),
        )
    except ValueError as error:
        raise ValueError(f"bad PostgreSQL URL {url!r}: {error}") from None


def conninfo(database_url: str) -> str:
    """A libpq connection string for a plain psycopg connection to the URL's database:
    our own query parameters (``schema``, ``pool_size``, ...) are not libpq's, so they
    are taken out; the schema becomes the session's ``search_path``."""
    from psycopg.conninfo import make_conninfo

    s = parse_postgres_url(database_url)
    options = {"options": f"-c search_path={s.schema}"} if s.schema else {}
    return make_conninfo(
        dbname=s.dbname,
        host=s.host,
        port=s.port,
        user=s.user or None,
        password=s.password or None,
        connect_timeout=s.connect_timeout,
        **options,
    )


def postgres_env(database_url: str, *, create_table: bool = True) -> dict[str, str]:
    """The eventsourcing environment (PERSISTENCE_MODULE and POSTGRES_*) for a URL.

    ``create_table=False`` leaves table creation to :func:`upgrade` (``scoreline db
    upgrade``), so serving processes need no DDL rights.
    """
    s = parse_postgres_url(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": s.dbname,
        "POSTGRES_HOST": s.host,
        "POSTGRES_PORT": str(s.port),
        "POSTGRES_USER": s.user,
        "POSTGRES_PASSWORD": s.password,
        "POSTGRES_SCHEMA": s.schema,
        "POSTGRES_POOL_SIZE": str(s.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(s.max_overflow),
        "POSTGRES_CONNECT_TIMEOUT": str(s.connect_timeout),
        # A connection left idle inside a transaction would hold the event table lock.
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "5",
        # No check round trip before every use of a pooled connection (it was 12-25 %
        # of the ingest, recorder and projector samples): every event-store method of
        # the library retries on OperationalError/InterfaceError (10 attempts, 0.2 s
        # apart) with another connection, so connections killed by a database restart
        # still cost no request (checked by terminating them between calls).
        "POSTGRES_PRE_PING": "n",
        "CREATE_TABLE": "y" if create_table else "n",
        # The recorder stores each partition's position with one poll's events.
        **process_recorder_env("eventsourcing.postgres"),
    }


def postgres_datastore(
    database_url: str,
    *,
    schema: str | None = None,
    pool_size: int | None = None,
    pre_ping: bool = True,
    durable_commits: bool = True,
) -> PostgresDatastore:
    """A datastore (connection pool, opened lazily) for the URL, optionally overridden.

    ``pre_ping``: check a pooled connection (a round trip) before each use, so that
    one killed by a database restart costs no caller an error. A caller that retries
    on OperationalError/InterfaceError itself (a LogFollower's batches) can do without.

    ``durable_commits=False``: its commits do not wait for the WAL to reach the disk
    (``synchronous_commit = off``; still atomic, and never corrupt), and it compresses
    large values with lz4 where the server was built with it. For the read
    models: each is a projection of the event store with its position in the same
    transaction, so a commit a database crash loses is projected again from the
    position that survived. Never for the event store itself.
    """
    s = parse_postgres_url(database_url)
    if schema is not None:
        s = replace(s, schema=schema)
    if pool_size is not None:
        s = replace(s, pool_size=pool_size)
    datastore_class = _ScorelineDatastore if durable_commits else _NoFlushWaitDatastore
    datastore = datastore_class(
        dbname=s.dbname,
        host=s.host,
        port=s.port,
        user=s.user,
        password=s.password,
        schema=s.schema,
        pool_size=s.pool_size,
        max_overflow=s.max_overflow,
        connect_timeout=s.connect_timeout,
        idle_in_transaction_session_timeout=5,
        pre_ping=pre_ping,
    )
    return datastore


# lz4 for the values the session compresses, where the server was built with it: the
# read models' boards, saved whole every batch (adapters/postgres_board_column.py).
_LZ4_IF_BUILT_WITH_IT = (
    "SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings"
    " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


class _ScorelineDatastore(PostgresDatastore):
    """The library's datastore, whose connections encode ``jsonb`` parameters with
    msgspec (adapters/postgres_jsonb.py), set where the library sets up each new
    connection of its pool: every datastore :func:`postgres_datastore` makes."""

    def after_connect_func(self) -> Callable[[Connection[Any]], None]:
        library_setup = super().after_connect_func()

        def after_connect(conn: Connection[Any]) -> None:  # no reference to self, as the library's
            library_setup(conn)
            use_msgspec_jsonb(conn)

        return after_connect


class _NoFlushWaitDatastore(_ScorelineDatastore):
    """A datastore whose connections commit without waiting for the WAL flush
    (``synchronous_commit = off``) and compress with lz4 where the server has it (far
    less CPU than the default pglz): for the read models (see :func:`postgres_datastore`)."""

    def after_connect_func(self) -> Callable[[Connection[Any]], None]:
        scoreline_setup = super().after_connect_func()

        def after_connect(conn: Connection[Any]) -> None:
            scoreline_setup(conn)
            with conn.cursor() as c:
                c.execute("SET synchronous_commit = off")
                c.execute(_LZ4_IF_BUILT_WITH_IT)

        return after_connect


def ensure_schema(datastore: PostgresDatastore) -> None:
    """Create the datastore's schema if missing (``public`` always exists)."""
    if datastore.schema != "public":
        with datastore.transaction(commit=True) as c:
            c.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(datastore.schema)))


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s (count may be < 0)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def upgrade(database_url: str, *, today: date | None = None) -> list[str]:
    """Create or upgrade everything Scoreline keeps in PostgreSQL; what was ensured.

    Safe to run any number of times, also while the service runs: every statement is
    ``IF NOT EXISTS`` (a partition created late takes over its rows from the DEFAULT
    partition in the same transaction).
    """
    # Imported here: those modules build their datastores with the helpers above.
    from adapters.postgres_game_state_view import PostgresGameStateView
    from adapters.postgres_history import PostgresHistory
    from adapters.postgres_player_stats import PostgresPlayerStatsStore
    from adapters.postgres_standings import PostgresStandingsStore
    from domain.scorekeeper import Scorekeeper

    lines: list[str] = []
    datastore = postgres_datastore(database_url, pool_size=1)
    try:
        ensure_schema(datastore)
        lines.append(f"schema {datastore.schema}")
        keeper = Scorekeeper(env=postgres_env(database_url, create_table=True))
        try:
            recorder = keeper.recorder
            events = getattr(recorder, "events_table_name", "?")
            tracking = getattr(recorder, "tracking_table_name", "?")
            lines.append(f"event store of {keeper.name!r}: tables {events}, {tracking}")
        finally:
            keeper.close()
        view = PostgresGameStateView(datastore)
        view.create_table()
        lines.append(
            f"game-state view: tables {view.states_table_name}, {view.tracking_table_name}"
        )
        history = PostgresHistory(datastore)
        history.create_table()
        lines.append(
            f"history: table {history.table_name} partitioned by month on recorded_at,"
            f" index {history.index_name}, DEFAULT partition {history.default_partition},"
            f" tracking {history.tracking_table_name}"
        )
        this_month = (today or datetime.now(UTC).date()).replace(day=1)
        partitions = history.ensure_partitions(
            add_months(this_month, -1), add_months(this_month, 12)
        )
        lines.append(
            f"history partitions: {len(partitions)} monthly, {partitions[0]} .. {partitions[-1]}"
        )
        standings = PostgresStandingsStore(datastore)
        standings.create_table()
        lines.append(
            f"standings: tables {standings.games_table_name}, {standings.tables_table_name},"
            f" tracking {standings.tracking_table_name}"
        )
        player_stats = PostgresPlayerStatsStore(datastore)
        player_stats.create_table()
        lines.append(
            f"player stats: tables {', '.join(player_stats.table_names)},"
            f" tracking {player_stats.tracking_table_name}"
        )
        from adapters.postgres_device_registry import PostgresDeviceRegistry

        devices = PostgresDeviceRegistry(datastore)
        devices.create_table()  # not closed here: the datastore is closed below
        lines.append(f"devices: tables {', '.join(devices.table_names)}")
        from adapters.postgres_delivery_ledger import PostgresDeliveryLedger
        from adapters.postgres_notifier_store import PostgresNotifierStore

        notifier = PostgresNotifierStore(datastore)
        notifier.create_table()
        lines.append(f"notifier: tables {', '.join(notifier.table_names)}")
        ledger = PostgresDeliveryLedger(datastore)
        ledger.create_table()
        lines.append(
            "notification deliveries: tables"
            f" {ledger.deliveries_table_name}, {ledger.positions_table_name}"
        )
    finally:
        datastore.close()
    return lines


__all__ = [
    "PostgresSettings",
    "add_months",
    "ensure_schema",
    "parse_postgres_url",
    "postgres_datastore",
    "postgres_env",
    "upgrade",
]
