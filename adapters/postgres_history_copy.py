"""The history table of a rebuild's shadow copy, filled by COPY.

A shadow copy starts empty and is fed each notification once (the write-behind
buffer refuses a position not above its own), so no row it is given is already
stored: the ``ON CONFLICT DO NOTHING`` of :meth:`PostgresHistory.save` has nothing to
skip, and COPY, several times quicker for the server than an INSERT per row, writes
the same rows. Not for a live table (a replayed row there must be skipped, not
refused).

The COPY's text is made here (:func:`copy_text`), not by psycopg's per-value
dumpers: each row one line, text fields escaped as COPY's text format wants
(backslash, tab, newline, carriage return), NULL as ``\\N``, the instant in ISO 8601
with its offset, the event as JSON by msgspec (the same JSON value as the json module
gives: jsonb keeps the value, not the text).

Guarantees: :meth:`ShadowPostgresHistory.save` writes the rows and the tracking
position in one transaction, the same rows as :meth:`PostgresHistory.save` would
(tests/integration/test_history_copy.py); a position not above the stored one raises
IntegrityError and writes nothing; a row already stored makes the whole save fail
(UniqueViolation) instead of being skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Identifier

from adapters.postgres_history import COLUMNS, PostgresHistory
from adapters.postgres_history_fill import PostgresHistoryFill, history_fill
from projections.history import HistoryRow

ROWS_PER_WRITE = 5_000  # lines handed to the connection at once
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_encode = msgspec.json.Encoder().encode


def _text(value: str | None) -> str:
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def _number(value: int | None) -> str:
    return "\\N" if value is None else str(value)


def copy_line(r: HistoryRow) -> str:
    """One row of :data:`COLUMNS` in COPY's text format (with its newline)."""
    event = _encode(r.event).decode()  # JSON escapes control characters: only "\\" left
    return (
        "\t".join(
            (
                _text(r.game_id),
                str(r.sequence_number),
                str(r.version),
                _text(r.event_id),
                _text(r.event_type),
                _text(r.team_id),
                _text(r.player_id),
                _number(r.period),
                _number(r.clock_seconds),
                _text(r.provider),
                r.recorded_at.isoformat(),
                event.replace("\\", "\\\\") if "\\" in event else event,
            )
        )
        + "\n"
    )


def copy_text(rows: Sequence[HistoryRow]) -> Iterator[str]:
    """The COPY text of ``rows``, ROWS_PER_WRITE lines a piece."""
    for start in range(0, len(rows), ROWS_PER_WRITE):
        yield "".join([copy_line(r) for r in rows[start : start + ROWS_PER_WRITE]])


class ShadowPostgresHistory(PostgresHistory):
    """PostgresHistory whose :meth:`save` appends by COPY (fresh tables only), and
    whose rows the server can fill from the log itself (:meth:`log_fill`)."""

    _fill: tuple[Any, PostgresHistoryFill | None] | None = None  # (recorder, its fill)

    def log_fill(self, recorder: Any, mapper: Any, upstream: str) -> PostgresHistoryFill | None:
        """The fill of these tables from the recorder's log by the server
        (adapters/postgres_history_fill.py), None where it would not be exact."""
        if self._fill is None or self._fill[0] is not recorder:
            self._fill = (recorder, history_fill(self, recorder, mapper, upstream))
        return self._fill[1]

    def save(self, rows: Sequence[HistoryRow], tracking: Tracking) -> None:
        copy = SQL("COPY {}.{} (" + COLUMNS + ") FROM STDIN").format(
            Identifier(self.datastore.schema), Identifier(self.table_name)
        )
        with self.datastore.transaction(commit=True) as c:
            self._insert_tracking(c, tracking)
            if rows:
                with c.copy(copy) as writer:
                    for piece in copy_text(rows):
                        writer.write(piece)
