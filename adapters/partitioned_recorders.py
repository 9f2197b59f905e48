"""Process recorders that store several upstream positions with one transaction's events.

eventsourcing's process recorders store one ``Tracking`` with the events they insert.
The recorder consumes a partitioned log, and one poll brings records of several
partitions, each with its own position. One transaction per partition put a commit
(and the store's table lock) under every partition of every poll: at a live pace a poll
of 12 partitions took 12 sequential commits, and each event waited for all of them.

These subclasses also take ``trackings=[Tracking, ...]`` (distinct upstream names) with
``insert_events``, and store every one in the same transaction as the events, each
checked as the library checks one: ``IntegrityError`` unless it is above the stored
position, and then nothing of the transaction is stored. ``records_many_positions``
tells ``Scorekeeper.commit`` that they do. They are chosen the library's way, through
``PROCESS_RECORDER_TOPIC`` (:func:`process_recorder_env`). (POPO's factory ignores that
setting; its recorder is the in-memory twin, where nothing outlives the process anyway:
``Scorekeeper.commit`` stores the other positions right after the events there.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteProcessRecorder


class SQLitePartitionedProcessRecorder(SQLiteProcessRecorder):
    """SQLite: the positions after the events, in the same transaction."""

    records_many_positions = True

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        trackings: Sequence[Tracking] = kwargs.get("trackings", ())
        for tracking in trackings:
            self._insert_tracking(c, tracking)
        return returning


# Topics (module:class), so that naming the PostgreSQL one imports no psycopg here.
_TOPICS = {
    "eventsourcing.postgres": (
        "adapters.postgres_partitioned_recorder:PostgresPartitionedProcessRecorder"
    ),
    "eventsourcing.sqlite": "adapters.partitioned_recorders:SQLitePartitionedProcessRecorder",
}


def process_recorder_env(persistence_module: str) -> dict[str, str]:
    """The eventsourcing setting that makes a factory of ``persistence_module`` build
    the partitioned process recorder (none for a module without one, such as POPO)."""
    topic = _TOPICS.get(persistence_module)
    return {"PROCESS_RECORDER_TOPIC": topic} if topic else {}


__all__ = [
    "SQLitePartitionedProcessRecorder",
    "process_recorder_env",
]
