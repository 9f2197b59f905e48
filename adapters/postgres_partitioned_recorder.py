"""The PostgreSQL process recorder that stores several upstream positions with one
transaction's events (see adapters/partitioned_recorders.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow


class PostgresPartitionedProcessRecorder(PostgresProcessRecorder):
    """PostgreSQL: the positions go first in the transaction's pipeline, as the
    library's one does, then the events (under the table lock)."""

    records_many_positions = True

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        trackings: Sequence[Tracking] = kwargs.get("trackings", ())
        for tracking in trackings:
            self._insert_tracking(curs, tracking=tracking)
        super()._insert_events(curs, stored_events, **kwargs)


__all__ = ["PostgresPartitionedProcessRecorder"]
