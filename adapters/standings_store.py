"""Storage for the standings read model, with its tracking position: memory and SQLite.

Guarantees (both implementations; the StandingsStore contract of projections/standings.py):
- :meth:`save` writes the games (board and counted result), the changed tables and the
  tracking position in one transaction; a position not above the stored one raises
  IntegrityError and nothing of the batch is written, so a replayed batch is never
  counted twice.
- :meth:`game` and :meth:`table` return fresh objects, decoded from what is stored;
  :meth:`games` returns what :meth:`game` would for many ids (unknown ids absent), in
  one statement per 500 ids on SQLite (the projector's read of a batch).
- Reads see committed tables only. Public tables are mirrored in memory, so
  :meth:`standings` does no I/O (the serving path).
- SQLite: a game's board is stored as compact JSON text (adapters/board_texts.py: made
  from the game's last text, only new or changed plays encoded; a row read back as this
  store wrote it is a copy, not a decoding). Any JSON text of the record is read.
- The SQLite store lives in a file of its own (eventsourcing's SQLite tracking table is
  named ``tracking`` in every file); delete it to rebuild the standings from the log.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from adapters.board_texts import BoardText, WrittenTexts, board_text
from adapters.sqlite_connection import rows_in
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_from_record, scoreboard_to_record
from domain.standings import GameResult, Table
from projections.standings import StandingsGame


def game_record(game: StandingsGame) -> dict[str, Any]:
    """A stored game as JSON-ready data (the board and the counted result)."""
    counted = game.counted.to_record() if game.counted else None
    return {"board": scoreboard_to_record(game.board), "counted": counted}


def standings_game(board: Scoreboard, counted: Mapping[str, Any] | None) -> StandingsGame:
    """A stored game from its board and its counted result's record (None: none)."""
    return StandingsGame(board, GameResult.from_record(counted) if counted else None)


def game_from_record(data: Mapping[str, Any]) -> StandingsGame:
    return standings_game(scoreboard_from_record(data["board"]), data.get("counted"))


class _PublicMirror:
    """The committed public tables, by (league, season)."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def put(self, tables: Iterable[Table]) -> None:
        public = {(t.league, t.season): t.public() for t in tables}
        with self._lock:
            self._tables.update(public)

    def get(self, league: str, season: str) -> dict[str, Any] | None:
        with self._lock:
            return self._tables.get((league, season))


class MemoryStandingsStore(POPOTrackingRecorder):
    """The standings in this process only (tests, ``build_in_memory``)."""

    def __init__(self) -> None:
        super().__init__()
        self._games: dict[str, dict[str, Any]] = {}
        self._tables: dict[tuple[str, str], dict[str, Any]] = {}
        self._mirror = _PublicMirror()

    def save(
        self, games: Mapping[str, StandingsGame], tables: Sequence[Table], tracking: Tracking
    ) -> None:
        game_rows = {game_id: game_record(g) for game_id, g in games.items()}
        table_rows = {(t.league, t.season): t.to_record() for t in tables}
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            self._games.update(game_rows)
            self._tables.update(table_rows)
            self._insert_tracking(tracking)
        self._mirror.put(tables)

    def game(self, game_id: str) -> StandingsGame | None:
        with self._database_lock:
            record = self._games.get(game_id)
        return game_from_record(record) if record else None

    def games(self, game_ids: Collection[str]) -> dict[str, StandingsGame]:
        with self._database_lock:
            records = {g: self._games.get(g) for g in game_ids}
        return {g: game_from_record(r) for g, r in records.items() if r}

    def table(self, league: str, season: str) -> Table | None:
        with self._database_lock:
            record = self._tables.get((league, season))
        return Table.from_record(record) if record else None

    def standings(self, league: str, season: str) -> dict[str, Any] | None:
        return self._mirror.get(league, season)


class SQLiteStandingsStore(SQLiteTrackingRecorder):
    """Tables ``standings_games``, ``standings_tables`` and the library's ``tracking``."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)
        self._mirror = _PublicMirror()
        self._texts = WrittenTexts()  # a board read back as written is copied, not decoded

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements += [
            "CREATE TABLE IF NOT EXISTS standings_games ("
            " game_id TEXT PRIMARY KEY, league TEXT, season TEXT, status TEXT NOT NULL,"
            " counted TEXT, board TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS standings_tables ("
            " league TEXT NOT NULL, season TEXT NOT NULL, sport TEXT NOT NULL,"
            " version INTEGER NOT NULL, record TEXT NOT NULL, public TEXT NOT NULL,"
            " PRIMARY KEY (league, season))",
        ]
        return statements

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT record FROM standings_tables")
            tables = [Table.from_record(json.loads(row[0])) for row in c.fetchall()]
        self._mirror.put(tables)

    def save(
        self, games: Mapping[str, StandingsGame], tables: Sequence[Table], tracking: Tracking
    ) -> None:
        texts = {game_id: board_text(g.board) for game_id, g in games.items()}
        with self.datastore.transaction(commit=True) as c:
            # Tracking first: a stale batch fails before anything is written.
            self._insert_tracking(c, tracking)
            self._write_games(c, games, texts)
            self._write_tables(c, tables)
        for text in texts.values():
            self._texts.wrote(text)
        self._mirror.put(tables)

    def _write_games(
        self, c: SQLiteCursor, games: Mapping[str, StandingsGame], texts: Mapping[str, BoardText]
    ) -> None:
        c.executemany(
            "INSERT INTO standings_games (game_id, league, season, status, counted, board)"
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

    def _write_tables(self, c: SQLiteCursor, tables: Sequence[Table]) -> None:
        c.executemany(
            "INSERT INTO standings_tables (league, season, sport, version, record, public)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (league, season) DO UPDATE SET"
            " sport = excluded.sport, version = excluded.version,"
            " record = excluded.record, public = excluded.public",
            [
                (
                    t.league,
                    t.season,
                    t.sport.value,
                    t.version,
                    json.dumps(t.to_record()),
                    json.dumps(t.public()),
                )
                for t in tables
            ],
        )

    def game(self, game_id: str) -> StandingsGame | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT board, counted FROM standings_games WHERE game_id = ?", (game_id,))
            row = c.fetchone()
        if row is None:
            return None
        return self._game_from_row(game_id, row[0], row[1])

    def games(self, game_ids: Collection[str]) -> dict[str, StandingsGame]:
        found: dict[str, StandingsGame] = {}
        ids = list(game_ids)
        with self.datastore.transaction(commit=False) as c:
            query = "SELECT game_id, board, counted FROM standings_games WHERE game_id IN ({marks})"
            for game_id, board, counted in rows_in(c, query, ids):
                found[game_id] = self._game_from_row(game_id, board, counted)
        return found

    def table(self, league: str, season: str) -> Table | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT record FROM standings_tables WHERE league = ? AND season = ?",
                (league, season),
            )
            row = c.fetchone()
        return Table.from_record(json.loads(row[0])) if row else None

    def standings(self, league: str, season: str) -> dict[str, Any] | None:
        return self._mirror.get(league, season)

    def _game_from_row(self, game_id: str, board: str, counted: str | None) -> StandingsGame:
        """A game from the JSON text of its SQLite row (= :func:`game_from_record`)."""
        return standings_game(
            self._texts.decode(game_id, board), json.loads(counted) if counted else None
        )


def open_sqlite_standings_store(path: str) -> SQLiteStandingsStore:
    """The store in the SQLite file ``path`` (created if missing), its mirror loaded."""
    store = SQLiteStandingsStore(SQLiteDatastore(path))
    store.create_table()
    return store


__all__ = [
    "IntegrityError",
    "MemoryStandingsStore",
    "SQLiteStandingsStore",
    "game_from_record",
    "game_record",
    "open_sqlite_standings_store",
    "standings_game",
]
