"""The player-stats read model in PostgreSQL, with its tracking position.

Tables and their access paths (the queries of the fan endpoints):
- ``player_stats_games``: one row per game (board, counted contribution).
- ``player_game_stats``: one row per (game, player), the live per-game lines; index
  ``player_game_stats_player_idx`` on (player_id, season) for a player's games.
- ``player_season_stats``: one row per (league, season, player); index
  ``player_season_stats_player_season_idx`` on (player_id, season), the path of
  ``GET /players/{id}/stats?season=S``; index on team_id for a team's players.
- ``player_season_leaders``: one row per (league, season, stat, player) with a value
  above zero; index ``player_season_leaders_rank_idx`` on (league, season, stat,
  value DESC, player_id COLLATE "C"), so a leaderboard is the first N entries of an
  index range, in :func:`domain.player_stats.ranked` order.
- ``player_names``: one row per named player (player_id primary key, name), upserted
  by :meth:`PostgresPlayerStatsStore.save` with the batch.

Guarantees (the PlayerStatsStore contract of projections/player_stats.py, as
adapters/player_stats_store.py): :meth:`PostgresPlayerStatsStore.save` writes games,
lines, season lines, leaderboard entries and the tracking position in one transaction;
a position not above the stored one raises IntegrityError and nothing is written, also
with several writers (the tracking row is written first, so they queue on it). Reads
see committed rows only; no memory mirror (the projector writes, gateways read).
:meth:`PostgresPlayerStatsStore.games` reads a batch's games with their lines in one
query (unknown ids absent). A board is stored as text (adapters/postgres_board_column.py);
one read back as this store last committed it is a copy, not a decoding.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Jsonb

from adapters.board_texts import board_text
from adapters.player_stats_records import game_from_rows, leader_entries, player_answer
from adapters.postgres_board_column import board_column_as_text, stored_board, written_texts
from adapters.postgres_schema import ensure_schema, postgres_datastore
from domain.season_lines import SeasonLine
from projections.player_stats import PlayerStatsGame, game_line_rows

GAMES, LINES = "player_stats_games", "player_game_stats"
SEASONS, LEADERS = "player_season_stats", "player_season_leaders"
NAMES = "player_names"
SEASON_INDEX = "player_season_stats_player_season_idx"
LEADERS_INDEX = "player_season_leaders_rank_idx"

_TABLES = (
    "CREATE TABLE IF NOT EXISTS {s}.player_stats_games (game_id text PRIMARY KEY,"
    " league text, season text, status text NOT NULL, counted jsonb, board text NOT NULL,"
    " updated_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS {s}.player_game_stats (game_id text NOT NULL,"
    " player_id text NOT NULL, team_id text, league text, season text, sport text NOT NULL,"
    " status text NOT NULL, stats jsonb NOT NULL, PRIMARY KEY (game_id, player_id))",
    "CREATE INDEX IF NOT EXISTS player_game_stats_player_idx"
    " ON {s}.player_game_stats (player_id, season)",
    "CREATE TABLE IF NOT EXISTS {s}.player_season_stats (league text NOT NULL,"
    " season text NOT NULL, player_id text NOT NULL, sport text NOT NULL, team_id text,"
    " games integer NOT NULL, record jsonb NOT NULL,"
    " updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (league, season, player_id))",
    "CREATE INDEX IF NOT EXISTS player_season_stats_player_season_idx"
    " ON {s}.player_season_stats (player_id, season)",
    "CREATE INDEX IF NOT EXISTS player_season_stats_team_idx ON {s}.player_season_stats (team_id)",
    "CREATE TABLE IF NOT EXISTS {s}.player_season_leaders (league text NOT NULL,"
    " season text NOT NULL, stat text NOT NULL, player_id text NOT NULL, team_id text,"
    " value integer NOT NULL, PRIMARY KEY (league, season, stat, player_id))",
    "CREATE INDEX IF NOT EXISTS player_season_leaders_rank_idx ON {s}.player_season_leaders"
    ' (league, season, stat, value DESC, player_id COLLATE "C")',
    "CREATE TABLE IF NOT EXISTS {s}.player_names (player_id text PRIMARY KEY, name text NOT NULL)",
)
SEASON_QUERY = (
    "SELECT record FROM {s}.player_season_stats WHERE player_id = %s AND season = %s"
    ' ORDER BY league COLLATE "C"'
)
GAMES_QUERY = (
    "SELECT g.game_id, g.board, g.counted, COALESCE((SELECT jsonb_agg(jsonb_build_object("
    "'player_id', l.player_id, 'team_id', l.team_id, 'stats', l.stats))"
    " FROM {s}.player_game_stats l WHERE l.game_id = g.game_id), '[]'::jsonb) AS lines"
    " FROM {s}.player_stats_games g WHERE g.game_id = ANY(%s)"
)
LEADERS_QUERY = (
    "SELECT player_id, team_id, value FROM {s}.player_season_leaders"
    ' WHERE league = %s AND season = %s AND stat = %s ORDER BY value DESC, player_id COLLATE "C"'
    " LIMIT %s"
)


class PostgresPlayerStatsStore(PostgresTrackingRecorder):
    """The five tables above and ``player_stats_tracking``."""

    def __init__(
        self, datastore: PostgresDatastore, *, tracking_table_name: str = "player_stats_tracking"
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name)
        self.table_names = (GAMES, LINES, SEASONS, LEADERS, NAMES)
        self.sql_create_statements.extend(self._sql(text) for text in _TABLES)
        self.sql_create_statements.append(board_column_as_text(datastore.schema, GAMES))
        self._texts = written_texts()  # a board read back as written is copied, not decoded

    def _sql(self, text: str) -> Composed:
        return SQL(text).format(s=Identifier(self.datastore.schema))

    def save(
        self,
        games: Mapping[str, PlayerStatsGame],
        seasons: Sequence[SeasonLine],
        tracking: Tracking,
        *,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Upsert games, lines, season lines and the players' ``names`` and record
        ``tracking``, atomically (IntegrityError if the position is stale)."""
        texts = {game_id: board_text(g.board) for game_id, g in games.items()}
        game_rows = [
            (game_id, g.board.schedule.league, g.board.schedule.season, g.board.status,
             Jsonb(g.counted.to_record()) if g.counted else None,
             texts[game_id].text)
            for game_id, g in games.items()
        ]  # fmt: skip
        line_rows = [
            (r["game_id"], r["player_id"], r["team_id"], r["league"], r["season"], r["sport"],
             r["status"], Jsonb(r["stats"]))
            for g in games.values()
            for r in game_line_rows(g)
        ]  # fmt: skip
        keys = [line.key for line in seasons]
        kept = [line for line in seasons if line.games]
        season_rows = [
            (*line.key, line.sport.value, line.team_id, line.games, Jsonb(line.to_record()))
            for line in kept
        ]
        leader_rows = [
            (line.league, line.season, stat, line.player_id, line.team_id, value)
            for line in kept
            for stat, value in leader_entries(line)
        ]
        with self.datastore.transaction(commit=True) as c:
            # Tracking first: it locks the position row, so concurrent writers of
            # this store queue here, and a stale batch fails before writing anything.
            self._insert_tracking(c, tracking)
            if game_rows:
                c.executemany(
                    self._sql(
                        "INSERT INTO {s}.player_stats_games (game_id, league, season, status,"
                        " counted, board) VALUES (%s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT (game_id) DO UPDATE SET league = excluded.league,"
                        " season = excluded.season, status = excluded.status,"
                        " counted = excluded.counted, board = excluded.board, updated_at = now()"
                    ),
                    game_rows,
                )
                c.execute(
                    self._sql("DELETE FROM {s}.player_game_stats WHERE game_id = ANY(%s)"),
                    (list(games),),
                )
            if line_rows:
                c.executemany(
                    self._sql(
                        "INSERT INTO {s}.player_game_stats (game_id, player_id, team_id, league,"
                        " season, sport, status, stats) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                    ),
                    line_rows,
                )
            for table in ("player_season_stats", "player_season_leaders"):
                if keys:
                    c.executemany(
                        self._sql(
                            f"DELETE FROM {{s}}.{table}"
                            " WHERE league = %s AND season = %s AND player_id = %s"
                        ),
                        keys,
                    )
            if season_rows:
                c.executemany(
                    self._sql(
                        "INSERT INTO {s}.player_season_stats (league, season, player_id, sport,"
                        " team_id, games, record) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    ),
                    season_rows,
                )
            if leader_rows:
                c.executemany(
                    self._sql(
                        "INSERT INTO {s}.player_season_leaders (league, season, stat, player_id,"
                        " team_id, value) VALUES (%s, %s, %s, %s, %s, %s)"
                    ),
                    leader_rows,
                )
            if names:
                c.executemany(
                    self._sql(
                        "INSERT INTO {s}.player_names (player_id, name) VALUES (%s, %s)"
                        " ON CONFLICT (player_id) DO UPDATE SET name = excluded.name"
                    ),
                    sorted(names.items()),  # (one order for every writer: no deadlock)
                )
        for text in texts.values():
            self._texts.wrote(text)

    def _all(self, query: str, params: tuple[Any, ...]) -> list[DictRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._sql(query), params)
            return c.fetchall()

    def game(self, game_id: str) -> PlayerStatsGame | None:
        found = self._all(
            "SELECT board, counted FROM {s}.player_stats_games WHERE game_id = %s", (game_id,)
        )
        if not found:
            return None
        lines = self._all(
            "SELECT player_id, team_id, stats FROM {s}.player_game_stats WHERE game_id = %s",
            (game_id,),
        )
        board = stored_board(self._texts, game_id, found[0]["board"])
        return game_from_rows(board, found[0]["counted"], lines)

    def games(self, game_ids: Collection[str]) -> dict[str, PlayerStatsGame]:
        """The stored games among ``game_ids``, with their lines, in one round trip."""
        if not game_ids:
            return {}
        found = self._all(GAMES_QUERY, (list(game_ids),))
        return {
            r["game_id"]: game_from_rows(
                stored_board(self._texts, r["game_id"], r["board"]), r["counted"], r["lines"]
            )
            for r in found
        }

    def player_names(self, player_ids: Collection[str]) -> dict[str, str]:
        if not player_ids:
            return {}
        found = self._all(
            "SELECT player_id, name FROM {s}.player_names WHERE player_id = ANY(%s)",
            (list(player_ids),),
        )
        return {r["player_id"]: r["name"] for r in found}

    def season_line(self, league: str, season: str, player_id: str) -> SeasonLine | None:
        found = self._all(
            "SELECT record FROM {s}.player_season_stats"
            " WHERE league = %s AND season = %s AND player_id = %s",
            (league, season, player_id),
        )
        return SeasonLine.from_record(found[0]["record"]) if found else None

    def player(self, player_id: str, season: str | None = None) -> dict[str, Any] | None:
        params: tuple[str, ...]
        if season is None:
            where, params = "player_id = %s", (player_id,)
            seasons = self._all(
                "SELECT record FROM {s}.player_season_stats WHERE player_id = %s"
                ' ORDER BY league COLLATE "C", season COLLATE "C"',
                params,
            )
        else:
            where, params = "player_id = %s AND season = %s", (player_id, season)
            seasons = self._all(SEASON_QUERY, params)
        games = self._all(
            "SELECT game_id, player_id, team_id, league, season, sport, status, stats"
            f" FROM {{s}}.player_game_stats WHERE {where}"
            ' ORDER BY league COLLATE "C" NULLS FIRST, season COLLATE "C" NULLS FIRST,'
            ' game_id COLLATE "C"',
            params,
        )
        public = [SeasonLine.from_record(r["record"]).public() for r in seasons]
        name = self.player_names([player_id]).get(player_id) if public or games else None
        return player_answer(player_id, public, [dict(r) for r in games], name)

    def leaders(
        self, league: str, season: str, stat: str, limit: int
    ) -> list[tuple[str, str | None, int]]:
        found = self._all(LEADERS_QUERY, (league, season, stat, limit))
        return [(r["player_id"], r["team_id"], int(r["value"])) for r in found]

    def team_players(self, team_id: str) -> list[SeasonLine]:
        found = self._all(
            "SELECT record FROM {s}.player_season_stats WHERE team_id = %s", (team_id,)
        )
        return [SeasonLine.from_record(r["record"]) for r in found]


def open_postgres_player_stats(
    database_url: str, *, schema: str | None = None
) -> PostgresPlayerStatsStore:
    """The store in the database the URL names (``schema`` overrides the URL's); tables
    (and the schema) are created if missing."""
    datastore = postgres_datastore(database_url, schema=schema)
    ensure_schema(datastore)
    store = PostgresPlayerStatsStore(datastore)
    store.create_table()
    return store


__all__ = [
    "GAMES_QUERY",
    "LEADERS_QUERY",
    "SEASON_QUERY",
    "IntegrityError",
    "PostgresPlayerStatsStore",
    "open_postgres_player_stats",
]
