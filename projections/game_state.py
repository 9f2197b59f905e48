"""The game-state projection: folds recorded Game events into one Scoreboard per game.

Guarantees: every recorded event is folded exactly once (the view stores its
tracking position in the same transaction as the states); the folded state equals
the Scorekeeper's own scoreboard for the same events (both use Scoreboard.apply).
Folding and telling fans are separate: the fold (projections/board_fold.py, shared
with the other projections of games when they are replayed together) changes boards
only, and fan updates (one per event, with the state after it) are built only when
asked for (``fan_updates=True``, the live projector's case; a rebuild has no fans).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

from domain.recorded_event import RecordedEvent
from domain.scoreboard import Scoreboard
from projections.board_fold import fold_together


@dataclass(frozen=True)
class StateUpdate:
    """What fans are told after one event is projected."""

    game_id: str
    version: int
    event: dict[str, Any]
    state: dict[str, Any]
    received_at: float | None = None  # when ingestion took the event in


class GameStateView(Protocol):
    """Storage of the game-state read model (adapters/game_state_view.py).

    Guarantees: :meth:`save` writes the boards and the tracking position in one
    transaction and refuses a position not above the stored one (IntegrityError);
    :meth:`state` and :meth:`states` read committed public states without I/O.
    """

    def save(self, boards: Mapping[str, Scoreboard], tracking: Tracking) -> None: ...
    def board(self, game_id: str) -> Scoreboard | None: ...
    def boards(self, game_ids: Collection[str]) -> dict[str, Scoreboard]:
        """The stored boards of those of ``game_ids`` that have one (one read)."""
        ...

    def max_tracking_id(self, application_name: str) -> int | None: ...
    def state(self, game_id: str) -> dict[str, Any] | None: ...
    def states(self, status: str | None = None) -> list[dict[str, Any]]: ...


class GameStateProjection:
    name = "game_state"

    def __init__(self, view: GameStateView, upstream: str, *, fan_updates: bool = True) -> None:
        self.view = view
        self.upstream = upstream
        self.fan_updates = fan_updates

    def position(self) -> int:
        return self.view.max_tracking_id(self.upstream) or 0

    def process(self, batch: Sequence[tuple[Any, int]]) -> list[StateUpdate]:
        """Fold (domain event, notification id) pairs; save them and the last id at once.

        Returns the fan updates of the batch, in log order, if the projection was made
        with ``fan_updates=True`` (the default); otherwise none are built."""
        return list(fold_together([self], batch)[0])

    def begin(self, game_ids: Collection[str]) -> _StateFold:
        """The fold of one batch (projections/board_fold.py)."""
        return _StateFold(self, game_ids)

    def save(self, boards: Mapping[str, Scoreboard], position: int) -> None:
        """Write the folded boards and the notification id reached, in one transaction."""
        self.view.save(boards, Tracking(self.upstream, position))


class _StateFold:
    """One batch of the game-state projection: the boards, and with fan updates one
    update per Game event (the state after it)."""

    folds_boards = True

    def __init__(self, projection: GameStateProjection, game_ids: Collection[str]) -> None:
        self.projection, self.game_ids = projection, game_ids
        self.updates: list[StateUpdate] = []
        self.per_event = projection.fan_updates

    def stored_boards(self) -> dict[str, Scoreboard]:
        return self.projection.view.boards(self.game_ids)

    def step(self, recorded: RecordedEvent, notification_id: int, board: Any) -> None:
        event = recorded.event
        self.updates.append(
            StateUpdate(
                event.game_id,
                recorded.version,
                event.to_dict(),
                board.public(),
                recorded.received_at,
            )
        )

    def finish(self, boards: Mapping[str, Scoreboard], position: int) -> list[StateUpdate]:
        self.projection.save(boards, position)
        return self.updates
