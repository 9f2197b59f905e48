"""The notification workers' DeliveryLedger in PostgreSQL, shared by every worker.

See domain.notification_ports.DeliveryLedger for the guarantees; how this keeps them:

- Deliveries are keyed by (notification_id, token) and inserted ``ON CONFLICT DO
  NOTHING``, so recording again is harmless. Up to :data:`COPY_ABOVE` tokens go in
  as one array parameter (``unnest``); more are streamed with ``COPY`` into a
  temporary table and inserted from it, in the same transaction.
- A position is written in the same transaction as the deliveries it comes with,
  and ``GREATEST``-ed in: whatever order concurrent workers commit in, it never
  moves back.
- Everything :meth:`record` wrote is committed when it returns.
"""

from __future__ import annotations

from collections.abc import Collection

from eventsourcing.postgres import PostgresDatastore, PostgresRecorder
from psycopg.sql import SQL, Identifier

from adapters.postgres_schema import ensure_schema, postgres_datastore

COPY_ABOVE = 20_000  # tokens per record() beyond which COPY beats one array parameter
READ_CHUNK = 20_000  # tokens per delivered() query


class PostgresDeliveryLedger(PostgresRecorder):
    """Tables ``notification_deliveries`` and ``notification_positions`` (names
    configurable, in the datastore's schema)."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        deliveries_table_name: str = "notification_deliveries",
        positions_table_name: str = "notification_positions",
        queue: str = "notifications",
    ) -> None:
        super().__init__(datastore)
        self.queue = queue  # positions are the positions of this queue's partitions
        self.check_identifier_length(deliveries_table_name)
        self.check_identifier_length(positions_table_name)
        self.deliveries_table_name = deliveries_table_name
        self.positions_table_name = positions_table_name
        schema = Identifier(datastore.schema)
        deliveries = Identifier(deliveries_table_name)
        positions = Identifier(positions_table_name)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{deliveries} ("
                    " notification_id text NOT NULL,"
                    " token text NOT NULL,"
                    " delivered_at timestamptz NOT NULL DEFAULT now(),"
                    " PRIMARY KEY (notification_id, token))"
                ).format(schema=schema, deliveries=deliveries),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{positions} ("
                    " queue text NOT NULL,"
                    " partition integer NOT NULL,"
                    " position bigint NOT NULL,"
                    " PRIMARY KEY (queue, partition))"
                ).format(schema=schema, positions=positions),
            ]
        )
        self._insert_array = SQL(
            "INSERT INTO {schema}.{deliveries} (notification_id, token)"
            " SELECT %s, unnest(%s::text[]) ON CONFLICT DO NOTHING"
        ).format(schema=schema, deliveries=deliveries)
        self._create_staging = SQL(
            "CREATE TEMPORARY TABLE delivery_tokens (token text NOT NULL) ON COMMIT DROP"
        )
        self._copy_staging = SQL("COPY delivery_tokens (token) FROM STDIN")
        self._insert_staged = SQL(
            "INSERT INTO {schema}.{deliveries} (notification_id, token)"
            " SELECT %s, token FROM delivery_tokens ON CONFLICT DO NOTHING"
        ).format(schema=schema, deliveries=deliveries)
        self._upsert_position = SQL(
            "INSERT INTO {schema}.{positions} (queue, partition, position) VALUES (%s, %s, %s)"
            " ON CONFLICT (queue, partition) DO UPDATE"
            " SET position = GREATEST({schema}.{positions}.position, excluded.position)"
        ).format(schema=schema, positions=positions)
        self._select_delivered = SQL(
            "SELECT token FROM {schema}.{deliveries}"
            " WHERE notification_id = %s AND token = ANY(%s::text[])"
        ).format(schema=schema, deliveries=deliveries)
        self._select_positions = SQL(
            "SELECT partition, position FROM {schema}.{positions}"
            " WHERE queue = %s AND partition = ANY(%s::integer[])"
        ).format(schema=schema, positions=positions)
        self._count = SQL(
            "SELECT count(*) AS n FROM {schema}.{deliveries} WHERE notification_id = %s"
        ).format(schema=schema, deliveries=deliveries)

    def delivered(self, notification_id: str, tokens: Collection[str]) -> set[str]:
        wanted = list(tokens)
        found: set[str] = set()
        if not wanted:
            return found
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(wanted), READ_CHUNK):
                c.execute(
                    self._select_delivered, (notification_id, wanted[start : start + READ_CHUNK])
                )
                found.update(row["token"] for row in c.fetchall())
        return found

    def record(
        self,
        notification_id: str,
        tokens: Collection[str],
        position: tuple[int, int] | None = None,
    ) -> None:
        if not tokens and position is None:
            return
        with self.datastore.transaction(commit=True) as c:
            if len(tokens) > COPY_ABOVE:
                c.execute(self._create_staging)
                with c.copy(self._copy_staging) as copy:
                    for token in tokens:
                        copy.write_row((token,))
                c.execute(self._insert_staged, (notification_id,))
            elif tokens:
                c.execute(self._insert_array, (notification_id, list(tokens)))
            if position is not None:
                c.execute(self._upsert_position, (self.queue, *position))

    def positions(self, partitions: Collection[int]) -> dict[int, int]:
        found = dict.fromkeys(partitions, 0)
        if not found:
            return found
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_positions, (self.queue, list(found)))
            found.update({int(row["partition"]): int(row["position"]) for row in c.fetchall()})
        return found

    def count(self, notification_id: str) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._count, (notification_id,))
            row = c.fetchone()
        return int(row["n"]) if row else 0

    def close(self) -> None:
        self.datastore.close()


def open_postgres_delivery_ledger(
    database_url: str,
    *,
    schema: str | None = None,
    pool_size: int | None = None,
    queue: str = "notifications",
) -> PostgresDeliveryLedger:
    """The ledger in the database the URL names (``schema`` overrides the URL's); its
    tables (and the schema) are created if missing."""
    datastore = postgres_datastore(database_url, schema=schema, pool_size=pool_size)
    ensure_schema(datastore)
    ledger = PostgresDeliveryLedger(datastore, queue=queue)
    ledger.create_table()
    return ledger


__all__ = ["PostgresDeliveryLedger", "open_postgres_delivery_ledger"]
