"""The history projection: one queryable row per recorded Game event.

The eventsourcing tables stay the source of truth; this is a derived copy shaped
for queries (adapters/postgres_history.py keeps it in a partitioned table).

Guarantees: every recorded Game event becomes exactly one row (the store saves its
tracking position in the same transaction and ignores a row it already holds);
a row is a pure function of the stored event, so rebuilding from the log gives
the same rows; events of other aggregates (provider aliases) are skipped, but
their notifications still advance the position.

A store may also offer its rows filled by the database itself from the log
(``log_fill``, projections/log_fills.py: the rows this projection would fold, e.g.
adapters/postgres_history_fill.py); :meth:`HistoryProjection.log_fill` passes it on to
the rebuild's replay, which then leaves this projection out of its Python fold.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

from domain.recorded_event import RecordedEvent
from domain.scoreboard import Scoreboard
from projections.board_fold import fold_together
from projections.log_fills import LogFill, store_fill


@dataclass(frozen=True)
class HistoryRow:
    """One recorded GameEvent, flattened; ``event`` is the whole GameEvent as a dict."""

    game_id: str
    sequence_number: int
    version: int
    event_id: str
    event_type: str
    team_id: str | None
    player_id: str | None
    period: int | None
    clock_seconds: int | None
    provider: str
    recorded_at: datetime
    event: dict[str, Any]


def history_row(recorded: RecordedEvent) -> HistoryRow:
    """The row of one recorded event (``recorded_at`` is timezone-aware, UTC if unsaid)."""
    event = recorded.event
    recorded_at = recorded.timestamp
    if recorded_at.tzinfo is None:
        recorded_at = recorded_at.replace(tzinfo=UTC)
    return HistoryRow(
        game_id=event.game_id,
        sequence_number=event.sequence_number,
        version=recorded.version,
        event_id=event.event_id,
        event_type=event.event_type.value,
        team_id=event.team_id,
        player_id=event.player_id,
        period=event.period,
        clock_seconds=event.clock_seconds,
        provider=event.provider,
        recorded_at=recorded_at,
        event=event.to_dict(),
    )


class HistoryStore(Protocol):
    """Storage of history rows (adapters/postgres_history.py).

    Guarantees: :meth:`save` writes the rows and the tracking position in one
    transaction, refuses a position not above the stored one (IntegrityError) and
    skips rows already stored (same game, version and recorded_at).
    """

    def save(self, rows: Sequence[HistoryRow], tracking: Tracking) -> None: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...


class HistoryProjection:
    name = "history"

    def __init__(self, store: HistoryStore, upstream: str) -> None:
        self.store = store
        self.upstream = upstream

    def position(self) -> int:
        return self.store.max_tracking_id(self.upstream) or 0

    def process(self, batch: Sequence[tuple[Any, int]]) -> list[HistoryRow]:
        """Turn (domain event, notification id) pairs into rows; save them and the
        last id at once. Returns the rows saved (nothing for an empty batch)."""
        return list(fold_together([self], batch)[0])

    def log_fill(self, recorder: Any, mapper: Any) -> LogFill | None:
        """The store's fill of its rows from this event store's log, if it offers one
        (projections/log_fills.py); None: fold in Python."""
        return store_fill(self.store, recorder, mapper, self.upstream)

    def begin(self, game_ids: Collection[str]) -> _HistoryFold:
        """The fold of one batch (projections/board_fold.py): one row per event."""
        return _HistoryFold(self)


class _HistoryFold:
    """One batch of history rows; no boards."""

    folds_boards = False
    per_event = True

    def __init__(self, projection: HistoryProjection) -> None:
        self.projection = projection
        self.rows: list[HistoryRow] = []

    def stored_boards(self) -> dict[str, Scoreboard]:
        return {}

    def step(self, recorded: RecordedEvent, notification_id: int, board: Any) -> None:
        self.rows.append(history_row(recorded))

    def finish(self, boards: Mapping[str, Scoreboard], position: int) -> list[HistoryRow]:
        self.projection.store.save(self.rows, Tracking(self.projection.upstream, position))
        return self.rows
