"""The PostgreSQL process recorder of the Scorekeeper: several upstream positions
with one transaction's events (see adapters/partitioned_recorders.py), and the
events sent as four binary arrays.

Guarantees: those of eventsourcing's ``PostgresProcessRecorder`` (events and positions
in one transaction, under the table lock that orders notification ids as commits; a
position not above the stored one is an IntegrityError and nothing is written), and
the same rows: only how the events reach the server differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


class PostgresPartitionedProcessRecorder(PostgresProcessRecorder):
    """PostgreSQL: the positions go first in the transaction's pipeline, as the
    library's one does, then the events (under the table lock).

    Several positions go in one statement (each upserted only if above the stored one,
    as the library's single-row tracking does), not one each: the library reads back
    each position's row to check it, and in a pipeline every such read is a round trip
    to the server before the next statement (a poll's commit held up to a dozen). On
    this machine's loopback that did not show in the fleet's figures (BENCHMARKS.md,
    2026-12-04 20:03); across a network each is a round trip of the recorder's loop.

    The library sends a transaction's events as one array of its composite type,
    which psycopg can only write as text, in Python: 20.6 ms of client CPU for a batch
    of 500 against 2.5 ms for four binary arrays (ids, versions, topics, states)
    unnested into the same columns (``bench.event_insert``; BENCHMARKS.md, "the
    recorder's events as binary arrays")."""

    records_many_positions = True

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._insert_columns = SQL(
            "INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[])"
            " RETURNING notification_id"
        ).format(
            schema=Identifier(datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(datastore.originator_id_type),
        )
        tracking_table = Identifier(datastore.schema), Identifier(self.tracking_table_name)
        self._upsert_positions = SQL(
            "INSERT INTO {0}.{1} AS t (application_name, notification_id)"
            " SELECT * FROM unnest(%s::text[], %s::bigint[])"
            " ON CONFLICT (application_name) DO UPDATE"
            " SET notification_id = excluded.notification_id"
            " WHERE t.notification_id < excluded.notification_id"
            " RETURNING application_name"
        ).format(*tracking_table)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        trackings: Sequence[Tracking] = kwargs.get("trackings", ())
        self._insert_positions(curs, trackings)
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_positions(self, curs: Cursor[DictRow], trackings: Sequence[Tracking]) -> None:
        """Store every position, or raise IntegrityError (a position not above the one
        stored for its upstream: the transaction is then rolled back)."""
        names = [t.application_name for t in trackings]
        if (
            len(trackings) < 2
            or not self.datastore.single_row_tracking
            or len(set(names)) < len(names)
        ):
            for tracking in trackings:  # the library's way, one position at a time
                self._insert_tracking(curs, tracking=tracking)
            return
        self._check_has_multi_row_tracking_table(curs)
        ordered = sorted(trackings, key=lambda t: t.application_name)  # one lock order
        curs.execute(
            self._upsert_positions,
            ([t.application_name for t in ordered], [t.notification_id for t in ordered]),
            prepare=True,
        )
        stored = {row["application_name"] for row in curs.fetchall()}
        if len(stored) < len(names):
            stale = ", ".join(
                f"{t.application_name} {t.notification_id}"
                for t in trackings
                if t.application_name not in stored
            )
            raise IntegrityError(f"Failed to record tracking for {stale}")

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        """As the library's (the table lock, the NOTIFY, then the rows, returning their
        notification ids in the order given), with the rows as column arrays."""
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self._insert_columns,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
            prepare=True,
        )


__all__ = ["PostgresPartitionedProcessRecorder"]
