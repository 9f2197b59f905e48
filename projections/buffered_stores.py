"""The write-behind buffers of each shadow read model while it is rebuilt: game states,
standings, player stats and history, each over the mechanism and with the guarantees of
:mod:`projections.write_behind` (each implements its store's Protocol, for one writer).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Tracking

from domain.scoreboard import Scoreboard
from domain.season_lines import SeasonLine
from domain.standings import Table
from projections.game_state import GameStateView
from projections.history import HistoryRow, HistoryStore
from projections.log_fills import FlushedFirst, LogFill, store_fill
from projections.player_stats import PlayerStatsGame, PlayerStatsStore
from projections.standings import StandingsGame, StandingsStore
from projections.write_behind import FLUSH_EVERY, MAX_CACHED, PendingWrites, WriteBehindBuffer


class BufferedGameStateView(WriteBehindBuffer):
    """A GameStateView buffered in memory (see the module docstring)."""

    def __init__(
        self,
        view: Any,
        *,
        flush_every: int = FLUSH_EVERY,
        max_cached: int = MAX_CACHED,
        fresh: bool = False,
        background: bool = False,
    ) -> None:
        super().__init__(view, flush_every, max_cached, fresh, background)
        self.view: GameStateView = view
        self._boards: PendingWrites[str, Scoreboard] = PendingWrites(fresh)

    def save(self, boards: Mapping[str, Scoreboard], tracking: Tracking) -> None:
        self.check(tracking)
        for game_id, board in boards.items():
            self._boards.put(game_id, board)
        if self.due():
            self._flush(behind=True)

    def board(self, game_id: str) -> Scoreboard | None:
        found = self._boards.get(game_id, lambda: self._settled(self.view.board, game_id))
        return found.copy() if found is not None else None

    def boards(self, game_ids: Collection[str]) -> dict[str, Scoreboard]:
        unknown = self._boards.unknown(game_ids)
        if unknown:
            stored = self._settled(self.view.boards, unknown)
            for game_id in unknown:
                self._boards.known[game_id] = stored.get(game_id)
        found = {g: self._boards.known[g] for g in game_ids}
        return {g: board.copy() for g, board in found.items() if board is not None}

    def state(self, game_id: str) -> dict[str, Any] | None:
        board = self.board(game_id)
        return board.public() if board is not None else None

    def states(self, status: str | None = None) -> list[dict[str, Any]]:
        self.flush()
        return self.view.states(status)

    def _take(self) -> Callable[[Tracking], None]:
        boards = self._boards.flushed(self.max_cached)
        return lambda tracking: self.view.save(boards, tracking)


class BufferedStandingsStore(WriteBehindBuffer):
    """A StandingsStore buffered in memory (see the module docstring)."""

    def __init__(
        self,
        store: Any,
        *,
        flush_every: int = FLUSH_EVERY,
        max_cached: int = MAX_CACHED,
        fresh: bool = False,
        background: bool = False,
    ) -> None:
        super().__init__(store, flush_every, max_cached, fresh, background)
        self.store: StandingsStore = store
        self._games: PendingWrites[str, StandingsGame] = PendingWrites(fresh)
        self._tables: PendingWrites[tuple[str, str], Table] = PendingWrites(fresh)

    def save(
        self, games: Mapping[str, StandingsGame], tables: Sequence[Table], tracking: Tracking
    ) -> None:
        self.check(tracking)
        for game_id, game in games.items():
            self._games.put(game_id, game)
        for table in tables:
            self._tables.put((table.league, table.season), table)
        if self.due():
            self._flush(behind=True)

    def game(self, game_id: str) -> StandingsGame | None:
        found = self._games.get(game_id, lambda: self._settled(self.store.game, game_id))
        return StandingsGame(found.board.copy(), found.counted) if found is not None else None

    def table(self, league: str, season: str) -> Table | None:
        key = (league, season)
        return self._tables.get(key, lambda: self._settled(self.store.table, *key))

    def standings(self, league: str, season: str) -> dict[str, Any] | None:
        self.flush()
        return self.store.standings(league, season)

    def _take(self) -> Callable[[Tracking], None]:
        games = self._games.flushed(self.max_cached)
        tables = list(self._tables.flushed(self.max_cached).values())
        return lambda tracking: self.store.save(games, tables, tracking)


class BufferedPlayerStatsStore(WriteBehindBuffer):
    """A PlayerStatsStore buffered in memory (see the module docstring); a season line
    saved with no games is gone, as the store deletes it."""

    def __init__(
        self,
        store: Any,
        *,
        flush_every: int = FLUSH_EVERY,
        max_cached: int = MAX_CACHED,
        fresh: bool = False,
        background: bool = False,
    ) -> None:
        super().__init__(store, flush_every, max_cached, fresh, background)
        self.store: PlayerStatsStore = store
        self._games: PendingWrites[str, PlayerStatsGame] = PendingWrites(fresh)
        self._seasons: PendingWrites[tuple[str, str, str], SeasonLine] = PendingWrites(fresh)
        self._names: dict[str, str] = {}  # saved since the last flush, the latest each

    def save(
        self,
        games: Mapping[str, PlayerStatsGame],
        seasons: Sequence[SeasonLine],
        tracking: Tracking,
        *,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.check(tracking)
        if names:
            self._names.update(names)
        for game_id, game in games.items():
            self._games.put(game_id, game)
        for line in seasons:
            self._seasons.put(line.key, line)
        if self.due():
            self._flush(behind=True)

    def game(self, game_id: str) -> PlayerStatsGame | None:
        found = self._games.get(game_id, lambda: self._settled(self.store.game, game_id))
        if found is None:
            return None
        return PlayerStatsGame(found.board.copy(), dict(found.lines), found.counted)

    def season_line(self, league: str, season: str, player_id: str) -> SeasonLine | None:
        key = (league, season, player_id)
        found = self._seasons.get(key, lambda: self._settled(self.store.season_line, *key))
        return found if found is not None and found.games else None

    def player(self, player_id: str, season: str | None = None) -> dict[str, Any] | None:
        self.flush()
        return self.store.player(player_id, season)

    def player_names(self, player_ids: Collection[str]) -> dict[str, str]:
        self.flush()
        return self.store.player_names(player_ids)

    def leaders(
        self, league: str, season: str, stat: str, limit: int
    ) -> list[tuple[str, str | None, int]]:
        self.flush()
        return self.store.leaders(league, season, stat, limit)

    def team_players(self, team_id: str) -> list[SeasonLine]:
        self.flush()
        return self.store.team_players(team_id)

    def _take(self) -> Callable[[Tracking], None]:
        games = self._games.flushed(self.max_cached)
        seasons = list(self._seasons.flushed(self.max_cached).values())
        names, self._names = self._names, {}
        return lambda tracking: self.store.save(games, seasons, tracking, names=names)


class BufferedHistoryStore(WriteBehindBuffer):
    """A HistoryStore buffered in memory: rows are appended, written at each flush."""

    def __init__(
        self,
        store: Any,
        *,
        flush_every: int = 50_000,
        max_cached: int = MAX_CACHED,
        fresh: bool = False,
        background: bool = False,
    ) -> None:
        super().__init__(store, flush_every, max_cached, fresh, background)
        self.store: HistoryStore = store
        self._rows: list[HistoryRow] = []

    def save(self, rows: Sequence[HistoryRow], tracking: Tracking) -> None:
        self.check(tracking)
        self._rows.extend(rows)
        if self.due():
            self._flush(behind=True)

    def _take(self) -> Callable[[Tracking], None]:
        rows, self._rows = self._rows, []
        return lambda tracking: self.store.save(rows, tracking)

    def log_fill(self, recorder: Any, mapper: Any, upstream: str) -> LogFill | None:
        """The store's fill from the log (projections/log_fills.py), if it offers one:
        what is buffered is flushed first, and the fill's position becomes the
        buffer's (nothing left to flush at it)."""
        fill = store_fill(self.store, recorder, mapper, upstream)
        return FlushedFirst(fill, self.flush, self._filled(upstream)) if fill else None

    def _filled(self, upstream: str) -> Callable[[int], None]:
        def filled(position: int) -> None:
            self.tracking, self.flushed_at = Tracking(upstream, position), position

        return filled


if TYPE_CHECKING:  # each buffer is its store's Protocol (mypy checks these)

    def _views(buffer: BufferedGameStateView) -> GameStateView:
        return buffer

    def _standings(buffer: BufferedStandingsStore) -> StandingsStore:
        return buffer

    def _player_stats(buffer: BufferedPlayerStatsStore) -> PlayerStatsStore:
        return buffer

    def _history(buffer: BufferedHistoryStore) -> HistoryStore:
        return buffer
