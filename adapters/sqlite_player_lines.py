"""The per-game player lines of the SQLite player-stats store (``player_game_stats``),
written as what changed since the store last wrote them.

A batch touches many live games, but most of their events (a clock update, a play
credited to nobody) change none of the game's lines: deleting every row of the game
and inserting them all again, each batch, writes what is already there.

Guarantees:
- After :meth:`SQLiteGameLines.write` (and whatever the transaction writes), the table
  holds for each game given exactly the rows of its lines
  (``projections.player_stats.game_line_rows``): what deleting the game's rows and
  inserting them all would leave.
- Only the rows that differ are written, for a game whose stored board text, read in
  the same transaction and before the board is written, is the text this writer last
  committed with its lines: the game's rows are then the ones it wrote with that text
  (a game's board and lines are written in one transaction, and any other writer's rows
  under the same text are the same rows: a game's rows are a function of its board).
  Any other game's rows are all deleted and inserted. So rows written by another
  writer, or swapped in by a rebuild, are never taken for what this writer wrote.
- What was written is remembered only when the caller, after the commit, calls what
  :meth:`SQLiteGameLines.write` returns. At most ``kept`` games are remembered.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from eventsourcing.sqlite import SQLiteCursor

from adapters.board_texts import BoardText
from adapters.sqlite_connection import rows_in
from projections.player_stats import PlayerStatsGame

# A player's row but its keys: team_id, league, season, sport, status, stats.
_Fields = tuple[str | None, str | None, str | None, str, str, Mapping[str, int]]
_Rows = dict[str, _Fields]  # player id -> fields


def _rows(game: PlayerStatsGame) -> _Rows:
    """The game's rows (as ``game_line_rows`` gives them), by player id."""
    board, s = game.board, game.board.schedule
    sport, status = board.sport.value, board.status
    return {
        line.player_id: (line.team_id, s.league, s.season, sport, status, line.stats)
        for line in game.lines.values()
    }


class SQLiteGameLines:
    """The rows one store wrote last for each game, with the board text they went with."""

    def __init__(self, kept: int = 10_000) -> None:
        self.kept = kept
        self._written: dict[str, tuple[str, _Rows]] = {}
        self._lock = threading.Lock()

    def write(
        self,
        c: SQLiteCursor,
        games: Mapping[str, PlayerStatsGame],
        texts: Mapping[str, BoardText],
    ) -> Callable[[], None]:
        """Write the games' rows in ``c``'s transaction, before their boards; what to
        call once it is committed."""
        rows = {game_id: _rows(g) for game_id, g in games.items()}
        held = self._held(c, games)
        c.executemany(
            "DELETE FROM player_game_stats WHERE game_id = ?",
            [(game_id,) for game_id in games if game_id not in held],
        )
        gone: list[tuple[str, str]] = []
        changed: list[tuple[Any, ...]] = []
        for game_id, new in rows.items():
            old = held.get(game_id, {})
            for player_id, fields in new.items():
                if old.get(player_id) != fields:
                    changed.append((game_id, player_id, *fields[:5], json.dumps(fields[5])))
            gone += [(game_id, player_id) for player_id in old if player_id not in new]
        c.executemany("DELETE FROM player_game_stats WHERE game_id = ? AND player_id = ?", gone)
        c.executemany(
            "INSERT INTO player_game_stats (game_id, player_id, team_id, league, season, sport,"
            " status, stats) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (game_id, player_id)"
            " DO UPDATE SET team_id = excluded.team_id, league = excluded.league,"
            " season = excluded.season, sport = excluded.sport, status = excluded.status,"
            " stats = excluded.stats",
            changed,
        )
        return lambda: self._remember({g: (texts[g].text, found) for g, found in rows.items()})

    def _held(self, c: SQLiteCursor, games: Mapping[str, PlayerStatsGame]) -> dict[str, _Rows]:
        """The rows stored for those of the games whose stored board text is the one
        this writer last committed with its rows."""
        with self._lock:
            known = {g: self._written[g] for g in games if g in self._written}
        held: dict[str, _Rows] = {}
        ids = list(known)
        query = "SELECT game_id, board FROM player_stats_games WHERE game_id IN ({marks})"
        for game_id, text in rows_in(c, query, ids):
            if known[game_id][0] == text:
                held[game_id] = known[game_id][1]
        return held

    def _remember(self, written: Mapping[str, tuple[str, _Rows]]) -> None:
        with self._lock:
            for game_id, found in written.items():
                self._written.pop(game_id, None)
                self._written[game_id] = found
            while len(self._written) > self.kept:
                del self._written[next(iter(self._written))]


__all__ = ["SQLiteGameLines"]
