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
- Followers handed the very same decoded domain events (the live followers of one
  log, projections/follower.py) share their RecordedEvents: :func:`game_events` makes
  each once for all of them (immutable, equal to one made afresh).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from domain.game import Game
from domain.recorded_event import RecordedEvent, recorded_event
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import records_shared

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


SHARED_KEPT = 10_000  # recorded Game events kept for the other followers (5 full batches)
_GAME_EVENTS = (Game.Scheduled, Game.Recorded)
_shared: dict[int, tuple[Any, RecordedEvent]] = {}  # id(domain event) -> it, its RecordedEvent
_shared_lock = threading.Lock()  # (held to add and forget, not to look up)


def game_events(batch: Sequence[tuple[Any, int]], *, shared: bool = True) -> Recorded:
    """The batch's recorded Game events, each rebuilt from its stored dict once.

    ``shared``: a domain event's RecordedEvent is made once for every caller that
    passes that very domain event (the live followers of one log are handed the same
    decoded events, projections/follower.py), the latest SHARED_KEPT of them kept;
    what is handed out is the one made first (immutable, equal to a fresh one). A
    replay of the whole log passes False: nothing else folds its events."""
    if not shared:
        return [
            (recorded_event(domain_event), notification_id)
            for domain_event, notification_id in batch
            if isinstance(domain_event, _GAME_EVENTS)
        ]
    known = _shared.get
    found: Recorded = []
    made: list[tuple[Any, RecordedEvent]] = []
    for domain_event, notification_id in batch:
        if isinstance(domain_event, _GAME_EVENTS):
            hit = known(id(domain_event))
            if hit is not None and hit[0] is domain_event:
                recorded = hit[1]
            else:
                recorded = recorded_event(domain_event)
                made.append((domain_event, recorded))
            found.append((recorded, notification_id))
    if made:
        with _shared_lock:
            for domain_event, recorded in made:
                _shared[id(domain_event)] = (domain_event, recorded)
            excess = len(_shared) - SHARED_KEPT
            if excess > 0:
                for key in list(itertools.islice(_shared, excess)):
                    del _shared[key]
    return found


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


class FoldedGroup:
    """Several projections of games followed as one (one follower, one thread): each
    batch is folded once for all the members at the same position
    (:func:`fold_together`: one board per game, each board's record made once).

    Guarantees:
    - Each member is fed exactly the notifications of the batch after its own stored
      position (members behind the others, e.g. after a crash between two members'
      saves, catch up alone), and saves them with its own tracking position, as it
      would followed alone; the group's :meth:`position` is the lowest of them.
    - Members at the same position fold together, the lowest position first; if one
      raises, those that have saved keep their part, and every member's position is
      read from its store again on the next batch.
    - :meth:`process` returns what the members returned, concatenated in order.
    """

    def __init__(self, name: str, members: Sequence[FoldingProjection]) -> None:
        self.name = name
        self.members = list(members)
        self._positions: list[int] | None = None  # the members' own, once read

    def position(self) -> int:
        self._positions = [m.position() for m in self.members]
        return min(self._positions)

    def process(self, batch: Sequence[tuple[Any, int]]) -> list[Any]:
        if not batch:
            return []
        positions = self._positions
        if positions is None:
            self.position()
            positions = self._positions
            assert positions is not None
        self._positions = None  # until every member has saved
        first, end = batch[0][1], batch[-1][1]
        parts: dict[int, list[int]] = {}  # position -> members there
        for index, after in enumerate(positions):
            if after < end:
                parts.setdefault(after, []).append(index)
        recorded = game_events(batch)
        done: list[Sequence[Any] | None] = [None] * len(self.members)
        for after, indexes in sorted(parts.items()):
            whole = after < first
            part = batch if whole else [item for item in batch if item[1] > after]
            shared = recorded if whole else [r for r in recorded if r[1] > after]
            members = [self.members[i] for i in indexes]
            for index, result in zip(indexes, fold_together(members, part, shared), strict=True):
                done[index] = result
        self._positions = [max(after, end) for after in positions]
        return [item for result in done if result is not None for item in result]


class BoardsOnly:
    """A BatchFold base for a projection that needs nothing per event."""

    folds_boards = True
    per_event = False

    def step(self, recorded: RecordedEvent, notification_id: int, board: Any) -> None:
        return None


__all__ = [
    "BatchFold",
    "BoardsOnly",
    "FoldedGroup",
    "FoldingProjection",
    "Recorded",
    "fold_together",
    "game_events",
]
