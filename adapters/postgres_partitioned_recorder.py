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

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


class PostgresPartitionedProcessRecorder(PostgresProcessRecorder):
    """PostgreSQL: the positions go first in the transaction's pipeline, as the
    library's one does, then the events (under the table lock).

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

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        trackings: Sequence[Tracking] = kwargs.get("trackings", ())
        for tracking in trackings:
            self._insert_tracking(curs, tracking=tracking)
        super()._insert_events(curs, stored_events, **kwargs)

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
