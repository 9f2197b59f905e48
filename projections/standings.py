"""The standings projection: league tables kept up to date from recorded Game events.

It folds each game's events into the game's own Scoreboard (projections/board_fold.py:
the fold the game-state and player-stats projections run too, once for all of them
when they are replayed together) and, after every event, compares the result the game's table
holds (``counted``) with the result the board now gives (``domain.standings.result_of``):
if they differ, the old one is taken away and the new one added. So a game enters its
table in the batch that records its GAME_FINAL, and a correction or retraction after
FINAL, a move to another league or season (a new schedule) or a status leaving FINAL
moves the table with it.

Guarantees:
- The boards, each game's counted result, the changed tables and the tracking position
  are saved in one transaction (:meth:`StandingsStore.save`): a game's FINAL transition
  and its place in the table are never seen apart, and a replayed batch is refused
  (IntegrityError) instead of being counted twice.
- A batch reads its games' stored rows at once (:meth:`StandingsGames.games`, one
  query per batch) when the store has that read; otherwise one game at a time.
- A table equals the sum of the results of its games that are FINAL now, whatever the
  corrections on the way; rebuilding from the log gives the same tables.
- Teams are entered in their table when a game of theirs is scheduled (a table lists a
  team from its first scheduled game on, with zero games played), and stay listed.
- A table's ``version`` is the notification id of the latest event that changed it, so
  it only grows and is the same after a rebuild.
- A table belongs to one sport, the sport of the first game scheduled in it; games of
  another sport claiming the same league and season are left out (and logged).
- Events of other aggregates are skipped, but their notifications advance the position.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from eventsourcing.persistence import Tracking

from domain.recorded_event import RecordedEvent
from domain.scoreboard import Scoreboard
from domain.sports import EventType
from domain.standings import GameResult, Table, result_of, table_key
from projections.board_fold import fold_together

log = logging.getLogger("scoreline.standings")


@dataclass(frozen=True)
class StandingsGame:
    """One game as the standings keep it: its board and the result its table holds."""

    board: Scoreboard
    counted: GameResult | None = None


class StandingsStore(Protocol):
    """Storage of the standings read model (adapters/standings_store.py,
    adapters/postgres_standings.py).

    Guarantees: :meth:`save` writes the games, the tables and the tracking position in
    one transaction and refuses a position not above the stored one (IntegrityError,
    nothing written); :meth:`game` and :meth:`table` return fresh objects the caller
    may change; :meth:`standings` returns a committed table's public JSON or ``None``.
    """

    def save(
        self, games: Mapping[str, StandingsGame], tables: Sequence[Table], tracking: Tracking
    ) -> None: ...
    def game(self, game_id: str) -> StandingsGame | None: ...
    def table(self, league: str, season: str) -> Table | None: ...
    def standings(self, league: str, season: str) -> dict[str, Any] | None: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...


@runtime_checkable
class StandingsGames(Protocol):
    """The bulk read of a StandingsStore (every store in adapters/ has it).

    Guarantees: :meth:`games` returns, for the ids that have a stored game, the same
    fresh objects :meth:`StandingsStore.game` would (unknown ids are absent), read from
    committed rows in one query per batch (one dict lookup per game in memory).
    """

    def games(self, game_ids: Collection[str]) -> dict[str, StandingsGame]: ...


def stored_games(store: StandingsStore, game_ids: Collection[str]) -> dict[str, StandingsGame]:
    """The stored games among ``game_ids``: in one read if the store has
    :meth:`StandingsGames.games`, else one :meth:`StandingsStore.game` per id."""
    if isinstance(store, StandingsGames):
        return store.games(game_ids)
    found = {game_id: store.game(game_id) for game_id in game_ids}
    return {game_id: game for game_id, game in found.items() if game is not None}


class StandingsProjection:
    name = "standings"

    def __init__(self, store: StandingsStore, upstream: str) -> None:
        self.store = store
        self.upstream = upstream

    def position(self) -> int:
        return self.store.max_tracking_id(self.upstream) or 0

    def process(self, batch: Sequence[tuple[Any, int]]) -> list[Table]:
        """Fold (domain event, notification id) pairs; save games, changed tables and
        the last id at once. Returns the tables that changed."""
        return list(fold_together([self], batch)[0])

    def begin(self, game_ids: Collection[str]) -> _StandingsFold:
        """The fold of one batch (projections/board_fold.py): its games read at once."""
        return _StandingsFold(self, stored_games(self.store, game_ids))


class _StandingsFold:
    """The games and tables one batch reads and changes, read from the store once
    (``stored``: the batch's games as stored before it)."""

    folds_boards = True
    per_event = True

    def __init__(
        self, projection: StandingsProjection, stored: Mapping[str, StandingsGame]
    ) -> None:
        self.projection, self.store = projection, projection.store
        self.stored = stored
        self.counted: dict[str, GameResult | None] = {}
        self.tables: dict[tuple[str, str], Table | None] = {}
        self.changed: dict[tuple[str, str], Table] = {}

    def stored_boards(self) -> dict[str, Scoreboard]:
        return {game_id: game.board for game_id, game in self.stored.items()}

    def table(self, key: tuple[str, str]) -> Table | None:
        if key not in self.tables:
            self.tables[key] = self.store.table(*key)
        return self.tables[key]

    def put(self, table: Table, notification_id: int) -> None:
        key = (table.league, table.season)
        table = replace(table, version=notification_id)
        self.tables[key] = self.changed[key] = table

    def step(self, recorded: RecordedEvent, notification_id: int, board: Any) -> None:
        """The game's result after this event (its board), and the tables it moves."""
        event = recorded.event
        game_id = event.game_id
        if game_id in self.counted:
            old = self.counted[game_id]
        else:
            stored = self.stored.get(game_id)
            old = stored.counted if stored else None
        key = table_key(board)
        new: GameResult | None = None
        if key is not None:
            known = self.table(key)
            table = known or Table(key[0], key[1], board.sport)
            scheduled = event.event_type == EventType.GAME_SCHEDULED
            if table.sport == board.sport:
                if scheduled or known is None:
                    self._enter(table, board, notification_id)
                new = result_of(board)
            elif scheduled:
                log.warning(
                    "game %s is %s, table %s/%s is %s: the game is left out",
                    board.game_id,
                    board.sport.value,
                    *key,
                    table.sport.value,
                )
        if new != old:
            if old is not None:
                holder = self.table(old.key)
                assert holder is not None, f"table {old.key} holds game {old.game_id}"
                self.put(holder.applied(old, -1), notification_id)
            if new is not None:
                holder = self.table(new.key)
                assert holder is not None
                self.put(holder.applied(new, +1), notification_id)
        self.counted[game_id] = new

    def _enter(self, table: Table, board: Scoreboard, notification_id: int) -> None:
        s = board.schedule
        entered = table.entered(s.home_team_id, s.home_team_name).entered(
            s.away_team_id, s.away_team_name
        )
        if entered is not table or self.table((table.league, table.season)) is None:
            self.put(entered, notification_id)

    def finish(self, boards: Mapping[str, Scoreboard], position: int) -> list[Table]:
        games = {
            game_id: StandingsGame(board, self.counted[game_id])
            for game_id, board in boards.items()
        }
        tables = list(self.changed.values())
        self.store.save(games, tables, Tracking(self.projection.upstream, position))
        return tables
