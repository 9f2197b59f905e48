"""Storage for the player-stats read model in SQLite, with its tracking position (its
memory twin: adapters/memory_player_stats.py).

Guarantees (both implementations; the PlayerStatsStore contract of
projections/player_stats.py):
- :meth:`save` writes the games (board, lines, counted contribution), the changed
  season lines (and their leaderboard entries) and the tracking position in one
  transaction, with the players' ``names`` given (table ``player_names``); a
  position not above the stored one raises IntegrityError and nothing of the batch is
  written, so a replayed batch is never counted twice.
- :meth:`game` and :meth:`season_line` return fresh objects, decoded from what is stored;
  :meth:`games` returns what :meth:`game` would for many ids (unknown ids absent), on
  SQLite in one transaction of two statements per 500 ids (the projector's read of a
  batch).
- SQLite: a game's board is stored as compact JSON text (adapters/board_texts.py: made
  from the game's last text, only new or changed plays encoded; a row read back as this
  store wrote it is a copy, not a decoding), and of its line rows only those that
  changed are written when the store knows what its rows hold
  (adapters/sqlite_player_lines.py).
- The SQLite store lives in a file of its own (``player_stats.sqlite``); delete it to
  rebuild the player stats from the log. Its queries read the file (run them in a
  worker thread); the leaderboard read is an index range scan.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from adapters.board_texts import BoardText, WrittenTexts, board_text
from adapters.player_stats_records import (
    game_from_rows,
    game_order,
    leader_entries,
    player_answer,
)
from adapters.sqlite_connection import rows_in
from adapters.sqlite_player_lines import SQLiteGameLines
from domain.season_lines import Contribution, SeasonLine
from projections.player_stats import PlayerStatsGame


class SQLitePlayerStatsStore(SQLiteTrackingRecorder):
    """Tables ``player_stats_games``, ``player_game_stats``, ``player_season_stats``,
    ``player_season_leaders``, ``player_names`` and the library's ``tracking``."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)
        self._texts = WrittenTexts()  # a board read back as written is copied, not decoded
        self._lines = SQLiteGameLines()  # each game's line rows: what changed is written

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements += [
            "CREATE TABLE IF NOT EXISTS player_stats_games ("
            " game_id TEXT PRIMARY KEY, league TEXT, season TEXT, status TEXT NOT NULL,"
            " counted TEXT, board TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS player_game_stats ("
            " game_id TEXT NOT NULL, player_id TEXT NOT NULL, team_id TEXT, league TEXT,"
            " season TEXT, sport TEXT NOT NULL, status TEXT NOT NULL, stats TEXT NOT NULL,"
            " PRIMARY KEY (game_id, player_id))",
            "CREATE INDEX IF NOT EXISTS player_game_stats_player_idx"
            " ON player_game_stats (player_id, season)",
            "CREATE TABLE IF NOT EXISTS player_season_stats ("
            " league TEXT NOT NULL, season TEXT NOT NULL, player_id TEXT NOT NULL,"
            " sport TEXT NOT NULL, team_id TEXT, games INTEGER NOT NULL, record TEXT NOT NULL,"
            " PRIMARY KEY (league, season, player_id))",
            "CREATE INDEX IF NOT EXISTS player_season_stats_player_season_idx"
            " ON player_season_stats (player_id, season)",
            "CREATE INDEX IF NOT EXISTS player_season_stats_team_idx"
            " ON player_season_stats (team_id)",
            "CREATE TABLE IF NOT EXISTS player_season_leaders ("
            " league TEXT NOT NULL, season TEXT NOT NULL, stat TEXT NOT NULL,"
            " player_id TEXT NOT NULL, team_id TEXT, value INTEGER NOT NULL,"
            " PRIMARY KEY (league, season, stat, player_id))",
            "CREATE INDEX IF NOT EXISTS player_season_leaders_rank_idx"
            " ON player_season_leaders (league, season, stat, value DESC, player_id)",
            # (a table of its own: a data dir from before names gains it, no ALTER)
            "CREATE TABLE IF NOT EXISTS player_names ("
            " player_id TEXT PRIMARY KEY, name TEXT NOT NULL)",
        ]
        return statements

    def save(
        self,
        games: Mapping[str, PlayerStatsGame],
        seasons: Sequence[SeasonLine],
        tracking: Tracking,
        *,
        names: Mapping[str, str] | None = None,
    ) -> None:
        texts = {game_id: board_text(g.board) for game_id, g in games.items()}
        with self.datastore.transaction(commit=True) as c:
            # Tracking first: a stale batch fails before anything is written.
            self._insert_tracking(c, tracking)
            remember_lines = self._lines.write(c, games, texts)  # (before the boards)
            self._write_games(c, games, texts)
            self._write_seasons(c, seasons)
            if names:
                c.executemany(
                    "INSERT INTO player_names (player_id, name) VALUES (?, ?)"
                    " ON CONFLICT (player_id) DO UPDATE SET name = excluded.name",
                    list(names.items()),
                )
        for text in texts.values():
            self._texts.wrote(text)
        remember_lines()

    def _write_games(
        self,
        c: SQLiteCursor,
        games: Mapping[str, PlayerStatsGame],
        texts: Mapping[str, BoardText],
    ) -> None:
        c.executemany(
            "INSERT INTO player_stats_games (game_id, league, season, status, counted, board)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (game_id) DO UPDATE SET"
            " league = excluded.league, season = excluded.season, status = excluded.status,"
            " counted = excluded.counted, board = excluded.board",
            [
                (
                    game_id,
                    g.board.schedule.league,
                    g.board.schedule.season,
                    g.board.status,
                    json.dumps(g.counted.to_record()) if g.counted else None,
                    texts[game_id].text,
                )
                for game_id, g in games.items()
            ],
        )

    def _write_seasons(self, c: SQLiteCursor, seasons: Sequence[SeasonLine]) -> None:
        keys = [line.key for line in seasons]
        c.executemany(
            "DELETE FROM player_season_stats WHERE league = ? AND season = ? AND player_id = ?",
            keys,
        )
        c.executemany(
            "DELETE FROM player_season_leaders WHERE league = ? AND season = ? AND player_id = ?",
            keys,
        )
        kept = [line for line in seasons if line.games]
        c.executemany(
            "INSERT INTO player_season_stats (league, season, player_id, sport, team_id, games,"
            " record) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    *line.key,
                    line.sport.value,
                    line.team_id,
                    line.games,
                    json.dumps(line.to_record()),
                )
                for line in kept
            ],
        )
        c.executemany(
            "INSERT INTO player_season_leaders (league, season, stat, player_id, team_id, value)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (line.league, line.season, stat, line.player_id, line.team_id, value)
                for line in kept
                for stat, value in leader_entries(line)
            ],
        )

    def _all(self, query: str, params: tuple[Any, ...]) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(query, params)
            return list(c.fetchall())

    def game(self, game_id: str) -> PlayerStatsGame | None:
        found = self._all(
            "SELECT board, counted FROM player_stats_games WHERE game_id = ?", (game_id,)
        )
        if not found:
            return None
        lines = self._all(
            "SELECT player_id, team_id, stats FROM player_game_stats WHERE game_id = ?",
            (game_id,),
        )
        board, counted = found[0]
        return game_from_rows(
            self._texts.decode(game_id, board),
            json.loads(counted) if counted else None,
            [{"player_id": p, "team_id": t, "stats": json.loads(s)} for p, t, s in lines],
        )

    def games(self, game_ids: Collection[str]) -> dict[str, PlayerStatsGame]:
        ids = list(game_ids)
        rows: dict[str, tuple[str, str | None]] = {}
        lines: dict[str, list[dict[str, Any]]] = {}
        with self.datastore.transaction(commit=False) as c:
            query = (
                "SELECT game_id, board, counted FROM player_stats_games WHERE game_id IN ({marks})"
            )
            rows.update((g, (board, counted)) for g, board, counted in rows_in(c, query, ids))
            query = (
                "SELECT game_id, player_id, team_id, stats FROM player_game_stats"
                " WHERE game_id IN ({marks})"
            )
            for g, p, t, stats in rows_in(c, query, ids):
                lines.setdefault(g, []).append(
                    {"player_id": p, "team_id": t, "stats": json.loads(stats)}
                )
        return {
            g: game_from_rows(
                self._texts.decode(g, board),
                json.loads(counted) if counted else None,
                lines.get(g, []),
            )
            for g, (board, counted) in rows.items()
        }

    def counted(self, game_ids: Collection[str]) -> dict[str, Contribution | None]:
        ids, found = list(game_ids), dict[str, str | None]()
        with self.datastore.transaction(commit=False) as c:
            query = "SELECT game_id, counted FROM player_stats_games WHERE game_id IN ({marks})"
            found.update(rows_in(c, query, ids))
        return {g: Contribution.from_record(json.loads(c)) if c else None for g, c in found.items()}

    def player_names(self, player_ids: Collection[str]) -> dict[str, str]:
        ids, found = list(dict.fromkeys(player_ids)), dict[str, str]()
        with self.datastore.transaction(commit=False) as c:
            query = "SELECT player_id, name FROM player_names WHERE player_id IN ({marks})"
            found.update(rows_in(c, query, ids))
        return found

    def season_line(self, league: str, season: str, player_id: str) -> SeasonLine | None:
        found = self._all(
            "SELECT record FROM player_season_stats"
            " WHERE league = ? AND season = ? AND player_id = ?",
            (league, season, player_id),
        )
        return SeasonLine.from_record(json.loads(found[0][0])) if found else None

    def player(self, player_id: str, season: str | None = None) -> dict[str, Any] | None:
        params: tuple[str, ...]
        where, params = "player_id = ?", (player_id,)
        if season is not None:
            where, params = "player_id = ? AND season = ?", (player_id, season)
        seasons = self._all(
            f"SELECT record FROM player_season_stats WHERE {where} ORDER BY league, season",
            params,
        )
        games = self._all(
            "SELECT game_id, player_id, team_id, league, season, sport, status, stats"
            f" FROM player_game_stats WHERE {where}",
            params,
        )
        columns = ("game_id", "player_id", "team_id", "league", "season", "sport", "status")
        game_rows = [
            {**dict(zip(columns, row[:7], strict=True)), "stats": json.loads(row[7])}
            for row in games
        ]
        game_rows.sort(key=game_order)
        public = [SeasonLine.from_record(json.loads(r[0])).public() for r in seasons]
        name = self.player_names([player_id]).get(player_id) if public or game_rows else None
        return player_answer(player_id, public, game_rows, name)

    def leaders(
        self, league: str, season: str, stat: str, limit: int
    ) -> list[tuple[str, str | None, int]]:
        found = self._all(
            "SELECT player_id, team_id, value FROM player_season_leaders"
            " WHERE league = ? AND season = ? AND stat = ?"
            " ORDER BY value DESC, player_id LIMIT ?",
            (league, season, stat, limit),
        )
        return [(p, t, int(v)) for p, t, v in found]

    def team_players(self, team_id: str) -> list[SeasonLine]:
        found = self._all("SELECT record FROM player_season_stats WHERE team_id = ?", (team_id,))
        return [SeasonLine.from_record(json.loads(r[0])) for r in found]


def open_sqlite_player_stats_store(path: str) -> SQLitePlayerStatsStore:
    """The store in the SQLite file ``path`` (created if missing)."""
    store = SQLitePlayerStatsStore(SQLiteDatastore(path))
    store.create_table()
    return store


__all__ = [
    "IntegrityError",
    "SQLitePlayerStatsStore",
    "open_sqlite_player_stats_store",
]
