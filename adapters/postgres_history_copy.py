"""The history table of a rebuild's shadow copy, filled by COPY.

A shadow copy starts empty and is fed each notification once (the write-behind
buffer refuses a position not above its own), so no row it is given is already
stored: the ``ON CONFLICT DO NOTHING`` of :meth:`PostgresHistory.save` has nothing to
skip, and COPY, several times quicker for the server than an INSERT per row, writes
the same rows. Not for a live table (a replayed row there must be skipped, not
refused).

Guarantees: :meth:`ShadowPostgresHistory.save` writes the rows and the tracking
position in one transaction; a position not above the stored one raises
IntegrityError and writes nothing; a row already stored makes the whole save fail
(UniqueViolation) instead of being skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Identifier

from adapters.postgres_history import COLUMNS, PostgresHistory, row_values
from projections.history import HistoryRow


class ShadowPostgresHistory(PostgresHistory):
    """PostgresHistory whose :meth:`save` appends by COPY (fresh tables only)."""

    def save(self, rows: Sequence[HistoryRow], tracking: Tracking) -> None:
        copy = SQL("COPY {}.{} (" + COLUMNS + ") FROM STDIN").format(
            Identifier(self.datastore.schema), Identifier(self.table_name)
        )
        with self.datastore.transaction(commit=True) as c:
            self._insert_tracking(c, tracking)
            if rows:
                with c.copy(copy) as writer:
                    for r in rows:
                        writer.write_row(row_values(r))
