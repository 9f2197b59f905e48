"""The player-stats projection: each game's player lines, live, and season lines that
follow each game's FINAL result and its corrections.

It folds each game's events into the game's own Scoreboard (projections/board_fold.py:
the fold the game-state and standings projections run too, once for all of them when
they are replayed together) and, once per batch for each game the batch
touched, derives the game's lines from the board (``domain.player_stats.game_lines``)
and compares the contribution its season holds (``counted``) with the one the board
now gives (``contribution_of``): if they differ, the old one is taken away from the
season lines and the new one added. So a game enters its season with the batch that
records its GAME_FINAL; a correction or retraction after FINAL, a new schedule or a
status leaving FINAL re-aggregates that game's part of the season.

Guarantees:
- The boards, each game's lines and counted contribution, the changed season lines
  and the tracking position are saved in one transaction (:meth:`PlayerStatsStore.save`):
  a replayed batch is refused (IntegrityError) instead of being counted twice.
- A batch reads its games' stored rows at once (:meth:`PlayerStatsGames.games`, one
  query per batch) when the store has that read; otherwise one game at a time.
- A game's lines are a function of its effective events only; a season line equals the
  sum of the lines of its FINAL games, whatever the corrections on the way and however
  the log is cut into batches, so rebuilding from the log gives the same rows.
- Events of other aggregates are skipped, but their notifications advance the position.
- Players' names (``domain.player_stats.named_player``): each event of the batch that
  names a player, in log order, sets that player's name (the latest wins); they are
  saved with the batch (``names`` of :meth:`PlayerStatsStore.save`, same transaction),
  so a rebuild from the log, cut into any batches, gives every player the same name.
- A game's lines are derived again only when its credited plays
  (``domain.player_stats.credited_plays``) differ from those of the lines last derived
  for it (most events, a clock update or a play credited to nobody, change none).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from eventsourcing.persistence import Tracking

from domain.player_stats import CreditedPlays, PlayerLine, credited_plays, lines_of, named_player
from domain.recorded_event import RecordedEvent
from domain.scoreboard import Scoreboard
from domain.season_lines import Contribution, SeasonLine, contribution_of
from domain.sports import Sport
from projections.board_fold import BoardsOnly, fold_together


@dataclass(frozen=True)
class PlayerStatsGame:
    """One game as the player stats keep it: its board, its players' lines (live) and
    the contribution its season holds (``None`` unless FINAL with a league and season)."""

    board: Scoreboard
    lines: Mapping[str, PlayerLine] = field(default_factory=dict)
    counted: Contribution | None = None


class PlayerStatsStore(Protocol):
    """Storage of the player-stats read model (adapters/player_stats_store.py,
    adapters/postgres_player_stats.py).

    Guarantees: :meth:`save` writes the games (board, lines, counted contribution), the
    season lines, the players' ``names`` (player id -> name; a name, once saved, is
    replaced only by another) and the tracking position in one transaction, deletes a
    season line whose ``games`` is 0, and refuses a position not above the stored one
    (IntegrityError, nothing written). :meth:`game` and :meth:`season_line` return
    fresh objects. The queries read committed rows only:
    - :meth:`player`: ``{"player_id", "name", "seasons": [SeasonLine.public()...], "games":
      [game lines...]}`` (seasons by league then season; games by league, season, game
      id), both limited to ``season`` when given; ``None`` if the player has no line.
      ``name`` is the stored name, None when unknown.
    - :meth:`player_names`: the stored names of those of ``player_ids`` that have one.
    - :meth:`leaders`: the top ``limit`` (player_id, team_id, value) by ``stat`` in a
      league's season, in ``domain.player_stats.ranked`` order (values above zero only).
    - :meth:`team_players`: the season lines whose ``team_id`` is the team.
    """

    def save(
        self,
        games: Mapping[str, PlayerStatsGame],
        seasons: Sequence[SeasonLine],
        tracking: Tracking,
        *,
        names: Mapping[str, str] | None = None,
    ) -> None: ...
    def game(self, game_id: str) -> PlayerStatsGame | None: ...
    def player_names(self, player_ids: Collection[str]) -> dict[str, str]: ...
    def season_line(self, league: str, season: str, player_id: str) -> SeasonLine | None: ...
    def player(self, player_id: str, season: str | None = None) -> dict[str, Any] | None: ...
    def leaders(
        self, league: str, season: str, stat: str, limit: int
    ) -> list[tuple[str, str | None, int]]: ...
    def team_players(self, team_id: str) -> list[SeasonLine]: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...


@runtime_checkable
class PlayerStatsGames(Protocol):
    """The bulk read of a PlayerStatsStore (every store in adapters/ has it).

    Guarantees: :meth:`games` returns, for the ids that have a stored game, the same
    fresh objects :meth:`PlayerStatsStore.game` would (board, lines, counted; unknown
    ids are absent), read from committed rows in one query per batch (one dict lookup
    per game in memory).
    """

    def games(self, game_ids: Collection[str]) -> dict[str, PlayerStatsGame]: ...


@runtime_checkable
class PlayerStatsCounted(Protocol):
    """The read of what the games' seasons hold, alone (no boards, no lines).

    Guarantees: :meth:`counted` returns, for the ids that have a stored game, the
    ``counted`` of the game :meth:`PlayerStatsStore.game` would return (unknown ids are
    absent), from committed rows, in one query per batch.
    """

    def counted(self, game_ids: Collection[str]) -> dict[str, Contribution | None]: ...


def stored_counted(
    store: PlayerStatsStore, game_ids: Collection[str]
) -> dict[str, Contribution | None]:
    """The stored games' ``counted`` among ``game_ids``: by :meth:`PlayerStatsCounted.counted`
    if the store has it, else from :func:`stored_games`."""
    if isinstance(store, PlayerStatsCounted):
        return store.counted(game_ids)
    return {game_id: game.counted for game_id, game in stored_games(store, game_ids).items()}


def stored_games(store: PlayerStatsStore, game_ids: Collection[str]) -> dict[str, PlayerStatsGame]:
    """The stored games among ``game_ids``: in one read if the store has
    :meth:`PlayerStatsGames.games`, else one :meth:`PlayerStatsStore.game` per id."""
    if isinstance(store, PlayerStatsGames):
        return store.games(game_ids)
    found = {game_id: store.game(game_id) for game_id in game_ids}
    return {game_id: game for game_id, game in found.items() if game is not None}


def game_line_rows(game: PlayerStatsGame) -> list[dict[str, Any]]:
    """The game's lines as the per-game rows the stores keep (and the endpoint shows)."""
    board, s = game.board, game.board.schedule
    return [
        {
            "game_id": board.game_id,
            "player_id": line.player_id,
            "team_id": line.team_id,
            "league": s.league,
            "season": s.season,
            "sport": board.sport.value,
            "status": board.status,
            "stats": dict(line.stats),
        }
        for line in game.lines.values()
    ]


class GameLines:
    """``game_lines(board)``, remembered per game with the credited plays it was
    derived from (the last ``kept`` games): derived again only when those differ
    (compared play by play; the same play object is the same play)."""

    def __init__(self, kept: int = 10_000) -> None:
        self.kept = kept
        self._known: dict[str, tuple[Sport, CreditedPlays, dict[str, PlayerLine]]] = {}

    def of(self, board: Scoreboard) -> dict[str, PlayerLine]:
        """The board's lines (a new dict; the lines in it are shared, and frozen)."""
        plays = credited_plays(board)
        known = self._known.pop(board.game_id, None)
        if known is not None and known[0] == board.sport and known[1] == plays:
            lines = known[2]
        else:
            lines = lines_of(board.sport, plays)
        self._known[board.game_id] = (board.sport, plays, lines)
        if len(self._known) > self.kept:
            del self._known[next(iter(self._known))]
        return dict(lines)


class PlayerStatsProjection:
    name = "player_stats"

    def __init__(self, store: PlayerStatsStore, upstream: str) -> None:
        self.store = store
        self.upstream = upstream
        self.game_lines = GameLines()

    def position(self) -> int:
        return self.store.max_tracking_id(self.upstream) or 0

    def process(self, batch: Sequence[tuple[Any, int]]) -> list[SeasonLine]:
        """Fold (domain event, notification id) pairs; save games, changed season lines
        and the last id at once. Returns the season lines that changed."""
        return list(fold_together([self], batch)[0])

    def begin(self, game_ids: Collection[str]) -> _PlayerStatsFold:
        """The fold of one batch (projections/board_fold.py): its games' stored boards
        are read only if it is asked for them (folded with others, another projection
        gives them), and then with what their seasons hold, at once."""
        return _PlayerStatsFold(self, game_ids)


class _PlayerStatsFold(BoardsOnly):
    """One batch of the player stats: per event, the names it gives (most give none);
    at the end, each touched game's lines and contribution from its board."""

    per_event = True

    def __init__(self, projection: PlayerStatsProjection, game_ids: Collection[str]) -> None:
        self.projection, self.game_ids = projection, game_ids
        self.counted: dict[str, Contribution | None] | None = None
        self.names: dict[str, str] = {}

    def step(self, recorded: RecordedEvent, notification_id: int, board: Any) -> None:
        event = recorded.event
        if event.player_name is None and event.correction is None:
            return  # (names nobody: most events)
        named = named_player(event, board)
        if named is not None:
            self.names[named[0]] = named[1]

    def stored_boards(self) -> dict[str, Scoreboard]:
        stored = stored_games(self.projection.store, self.game_ids)
        self.counted = {game_id: game.counted for game_id, game in stored.items()}
        return {game_id: game.board for game_id, game in stored.items()}

    def finish(self, boards: Mapping[str, Scoreboard], position: int) -> list[SeasonLine]:
        store, counted = self.projection.store, self.counted
        if counted is None:
            counted = stored_counted(store, self.game_ids) if boards else {}
        seasons = _Seasons(store)
        games: dict[str, PlayerStatsGame] = {}
        for game_id, board in boards.items():
            lines = self.projection.game_lines.of(board)
            new = contribution_of(board, lines)
            old = counted.get(game_id)
            if new != old:
                if old is not None:
                    seasons.apply(old, -1)
                if new is not None:
                    seasons.apply(new, +1)
            games[game_id] = PlayerStatsGame(board, lines, new)
        changed = list(seasons.changed.values())
        tracking = Tracking(self.projection.upstream, position)
        store.save(games, changed, tracking, names=self.names)
        return changed


class _Seasons:
    """The season lines one batch reads and changes, read from the store once."""

    def __init__(self, store: PlayerStatsStore) -> None:
        self.store = store
        self.changed: dict[tuple[str, str, str], SeasonLine] = {}

    def apply(self, contribution: Contribution, sign: int) -> None:
        for line in contribution.lines:
            key = (contribution.league, contribution.season, line.player_id)
            known = self.changed.get(key) or self.store.season_line(*key)
            if known is None:
                known = SeasonLine(*key, sport=contribution.sport)
            self.changed[key] = known.plus(line, sign)
