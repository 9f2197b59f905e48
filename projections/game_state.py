"""The game-state projection: folds recorded Game events into one Scoreboard per game.

Guarantees: every recorded event is folded exactly once (the view stores its
tracking position in the same transaction as the states); the folded state equals
the Scorekeeper's own scoreboard for the same events (both use Scoreboard.apply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    def max_tracking_id(self, application_name: str) -> int | None: ...
    def state(self, game_id: str) -> dict[str, Any] | None: ...
    def states(self, status: str | None = None) -> list[dict[str, Any]]: ...


class GameStateProjection:
    name = "game_state"

    def __init__(self, view: GameStateView, upstream: str) -> None:
        self.view = view
        self.upstream = upstream

    def position(self) -> int:
        return self.view.max_tracking_id(self.upstream) or 0

    def process(self, batch: Sequence[tuple[Any, int]]) -> list[StateUpdate]:
        """Fold (domain event, notification id) pairs; save them and the last id at once."""
        if not batch:
            return []
        boards: dict[str, Scoreboard] = {}
        updates: list[StateUpdate] = []
        for domain_event, _ in batch:
            if not isinstance(domain_event, (Game.Scheduled, Game.Recorded)):
                continue
            recorded = recorded_event(domain_event)
            game_id = recorded.event.game_id
            board = boards.get(game_id) or self.view.board(game_id)
            if board is None:
                board = Scoreboard.scheduled(recorded.event)
            board.apply(recorded.event, recorded.version)
            boards[game_id] = board
            updates.append(
                StateUpdate(
                    game_id,
                    recorded.version,
                    recorded.event.to_dict(),
                    board.public(),
                    recorded.received_at,
                )
            )
        self.view.save(boards, Tracking(self.upstream, batch[-1][1]))
        return updates
