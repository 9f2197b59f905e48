"""The game-state projection: folds recorded Game events into one Scoreboard per game.

Guarantees: every recorded event is folded exactly once (the view stores its
tracking position in the same transaction as the states); the folded state equals
the Scorekeeper's own scoreboard for the same events (both use Scoreboard.apply).
Folding and telling fans are separate: :meth:`GameStateProjection.fold` changes
boards only, and fan updates (one per event, with the state after it) are built only
when asked for (``fan_updates=True``, the live projector's case; a rebuild has no fans).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

from domain.game import Game
from domain.scoreboard import Scoreboard
from domain.scorekeeper import recorded_event


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
        if not batch:
            return []
        updates: list[StateUpdate] | None = [] if self.fan_updates else None
        boards = self.fold(batch, updates)
        self.save(boards, batch[-1][1])
        return updates or []

    def fold(
        self, batch: Sequence[tuple[Any, int]], updates: list[StateUpdate] | None = None
    ) -> dict[str, Scoreboard]:
        """The boards the batch changes, folded (read from the view first); nothing is
        saved. With ``updates`` given, one fan update per Game event is appended to it."""
        events = [
            recorded_event(domain_event)
            for domain_event, _ in batch
            if isinstance(domain_event, (Game.Scheduled, Game.Recorded))
        ]
        boards = self.view.boards({r.event.game_id for r in events}) if events else {}
        for recorded in events:
            game_id = recorded.event.game_id
            board = boards.get(game_id)
            if board is None:
                board = Scoreboard.scheduled(recorded.event)
            board.apply(recorded.event, recorded.version)
            boards[game_id] = board
            if updates is not None:
                updates.append(
                    StateUpdate(
                        game_id,
                        recorded.version,
                        recorded.event.to_dict(),
                        board.public(),
                        recorded.received_at,
                    )
                )
        return boards

    def save(self, boards: Mapping[str, Scoreboard], position: int) -> None:
        """Write the folded boards and the notification id reached, in one transaction."""
        self.view.save(boards, Tracking(self.upstream, position))
