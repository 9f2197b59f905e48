"""One fold of a batch of notifications for one projection or several at once.

Every read model of games folds the same thing: each recorded Game event, rebuilt from
its stored dict into a :class:`~domain.scorekeeper.RecordedEvent`, applied to its
game's :class:`~domain.scoreboard.Scoreboard`. :func:`fold_together` does that once per
event for a whole group of projections: the RecordedEvent is built once, one board per
game is folded once, and each projection's :class:`BatchFold` is shown every event
with the board just after it, then asked to save. A projection's own ``process`` is
``fold_together([itself], batch)``: alone or in a group, it runs the same code.

Guarantees:
- Events are shown in batch order, each once, to every fold of the group; events of
  other aggregates are skipped (their notifications still end the batch: ``position``
  is the batch's last notification id).
- The board a fold is shown is the fold of the game's stored board (the source's:
  the first fold that keeps boards) with the batch's events of that game so far; a
  game with no stored board starts from ``Scoreboard.scheduled`` of its first event.
  ``boards`` given to :meth:`BatchFold.finish` holds every game the batch touched, in
  the order of their first event, each at its state after the batch.
- Folding a group together equals folding each alone, provided the group's
  projections hold equal boards (they do when they have folded the same notifications:
  a board is a function of the game's events; tests/unit/test_board_fold.py).
- The boards are shared: a fold must not change one, and a store that keeps one in
  memory must hand out copies (every store in adapters/ does). The folds save them
  inside ``records_shared`` (domain/scoreboard_record.py), so that a board saved by
  several read models is turned into its stored record once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from domain.game import Game
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import records_shared
from domain.scorekeeper import RecordedEvent, recorded_event

Recorded = list[tuple[RecordedEvent, int]]  # (recorded Game event, notification id)


class BatchFold(Protocol):
    """What one projection does with one batch."""

    folds_boards: bool  # whether it reads the boards (and can give its stored ones)
    per_event: bool  # whether :meth:`step` does anything (if not, it is not called)

    def stored_boards(self) -> dict[str, Scoreboard]:
        """The stored boards of the batch's games that have one (fresh copies)."""
        ...

    def step(self, recorded: RecordedEvent, notification_id: int, board: Any) -> None:
        """One event, with its game's board after it (None if no fold keeps boards)."""
        ...

    def finish(self, boards: Mapping[str, Scoreboard], position: int) -> Sequence[Any]:
        """Save what the batch changed, with ``position``; what the projection returns."""
        ...


@runtime_checkable
class FoldingProjection(Protocol):
    """A projection whose batches :func:`fold_together` can fold with others'."""

    name: str

    def position(self) -> int: ...
    def begin(self, game_ids: Collection[str]) -> BatchFold:
        """A fold of one batch touching ``game_ids`` (its stored rows read here)."""
        ...


def game_events(batch: Sequence[tuple[Any, int]]) -> Recorded:
    """The batch's recorded Game events, each rebuilt from its stored dict once."""
    return [
        (recorded_event(domain_event), notification_id)
        for domain_event, notification_id in batch
        if isinstance(domain_event, (Game.Scheduled, Game.Recorded))
    ]


def fold_together(
    projections: Sequence[FoldingProjection],
    batch: Sequence[tuple[Any, int]],
    recorded: Recorded | None = None,
) -> list[Sequence[Any]]:
    """Fold one batch of (domain event, notification id) pairs for every projection
    (``recorded``: the batch's :func:`game_events`, if already built); what each
    projection's ``process`` returns, in order. An empty batch changes nothing."""
    if not batch:
        return [[] for _ in projections]
    if recorded is None:
        recorded = game_events(batch)
    game_ids = dict.fromkeys(r.event.game_id for r, _ in recorded)
    folds = [p.begin(game_ids) for p in projections]
    source = next((f for f in folds if f.folds_boards), None)
    boards: dict[str, Scoreboard] = {}
    steps = [f.step for f in folds if f.per_event]
    if source is None:
        for r, notification_id in recorded:
            for step in steps:
                step(r, notification_id, None)
    else:
        stored = source.stored_boards() if game_ids else {}
        for r, notification_id in recorded:
            event = r.event
            board = boards.get(event.game_id)
            if board is None:
                board = stored.get(event.game_id) or Scoreboard.scheduled(event)
                boards[event.game_id] = board
            board.apply(event, r.version)
            for step in steps:
                step(r, notification_id, board)
    position = batch[-1][1]
    with records_shared():  # every fold saves these same boards, unchanged from here
        return [f.finish(boards, position) for f in folds]


class BoardsOnly:
    """A BatchFold base for a projection that needs nothing per event."""

    folds_boards = True
    per_event = False

    def step(self, recorded: RecordedEvent, notification_id: int, board: Any) -> None:
        return None


__all__ = [
    "BatchFold",
    "BoardsOnly",
    "FoldingProjection",
    "Recorded",
    "fold_together",
    "game_events",
]
