"""WriterBoards: a live game-state view's boards kept in memory by its one writer.

The live game-state follower folds each batch onto the stored boards of the games it
touches. At a live provider's pace a batch is one event, so reading the game's board
back (a round trip, a JSON decode, a Scoreboard rebuilt) cost as much as the fold and
the save together. The projector that holds the view's writer lock (PostgreSQL
advisory lock, entrypoints/composition) is the only one that writes it, so the boards
it has saved itself are the stored ones: this view answers :meth:`boards` from them
and reads only the games it has not seen.

Guarantees (a :class:`~projections.game_state.GameStateView`, for one writer):
- :meth:`boards` returns what the store would: a board kept here is the one last
  saved by this writer and committed (kept only after :meth:`save` returned), handed
  out as a fresh copy the caller may change.
- Anything that may mean another writer has written (a failed save, reading the
  stored position: the follower does on becoming the writer and after an
  IntegrityError) drops every kept board; the next reads go to the store.
- A rebuild's swap (projections/rebuild.py) puts another table in the view's place
  at this writer's position, possibly with other boards (that is what a rebuild is
  for). The view's :meth:`~GenerationalView.generation` names the table: it is read
  before the first board is read from the store, and every save is refused
  (IntegrityError, nothing written) if the table is no longer that one, which drops
  the kept boards; the follower then reads its position and the boards again.
- At most ``max_kept`` boards are kept, the least recently saved dropped first.
- Everything else (``state``, ``states``, ``board``, ...) is the store's own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

from domain.scoreboard import Scoreboard
from projections.game_state import GameStateView

MAX_KEPT = 20_000  # boards (live games of a busy day, several times over)


class GenerationalView(GameStateView, Protocol):
    """A GameStateView whose table a rebuild may swap for another."""

    def generation(self) -> int:
        """Which table the view is now (any swap changes it)."""
        ...

    def save(
        self, boards: Mapping[str, Scoreboard], tracking: Tracking, *, generation: int | None = None
    ) -> None:
        """As GameStateView's; IntegrityError, writing nothing, if ``generation`` is
        given and the table is no longer that one."""
        ...


class WriterBoards:
    def __init__(self, view: GenerationalView, *, max_kept: int = MAX_KEPT) -> None:
        self.view = view
        self.max_kept = max_kept
        self._kept: OrderedDict[str, Scoreboard] = OrderedDict()
        self._generation: int | None = None  # of the table the kept boards are from

    def _forget(self) -> None:
        self._kept.clear()
        self._generation = None

    def save(self, boards: Mapping[str, Scoreboard], tracking: Tracking) -> None:
        if self._generation is None:
            self._generation = self.view.generation()
        try:
            self.view.save(boards, tracking, generation=self._generation)
        except BaseException:
            self._forget()
            raise
        kept = self._kept
        for game_id, board in boards.items():
            kept[game_id] = board  # the folds never change a board once saved
            kept.move_to_end(game_id)
        while len(kept) > self.max_kept:
            kept.popitem(last=False)

    def boards(self, game_ids: Collection[str]) -> dict[str, Scoreboard]:
        kept = self._kept
        missing = [g for g in game_ids if g not in kept]
        if self._generation is None:
            self._generation = self.view.generation()  # before reading any board
        found = self.view.boards(missing) if missing else {}
        for game_id in game_ids:
            board = kept.get(game_id)
            if board is not None:
                found[game_id] = board.copy()
        return found

    def max_tracking_id(self, application_name: str) -> int | None:
        self._forget()
        return self.view.max_tracking_id(application_name)

    def board(self, game_id: str) -> Scoreboard | None:
        return self.view.board(game_id)

    def state(self, game_id: str) -> dict[str, Any] | None:
        return self.view.state(game_id)

    def states(self, status: str | None = None) -> list[dict[str, Any]]:
        return self.view.states(status)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)  # the store's other methods (game_ids, ...)
