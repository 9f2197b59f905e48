"""The read models each backend keeps: their stores, projections and compared columns.

One entry per read model: a new read model is one entry in each registry (its store,
its projection, the columns to compare, key columns first; never a write time such as
``updated_at``). ``scoreline rebuild`` and ``scoreline audit`` go through them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from adapters.game_state_view import SQLiteGameStateView, open_sqlite_game_state_view
from adapters.player_stats_store import SQLitePlayerStatsStore, open_sqlite_player_stats_store
from adapters.postgres_game_state_view import PostgresGameStateView
from adapters.postgres_history import PostgresHistory
from adapters.postgres_history_copy import ShadowPostgresHistory
from adapters.postgres_player_stats import PostgresPlayerStatsStore
from adapters.postgres_standings import PostgresStandingsStore
from adapters.read_model_copies import PostgresReadModel, Rows, SQLiteReadModel, same_partitions
from adapters.standings_store import SQLiteStandingsStore, open_sqlite_standings_store
from projections.buffered_stores import (
    BufferedGameStateView,
    BufferedHistoryStore,
    BufferedPlayerStatsStore,
    BufferedStandingsStore,
)
from projections.game_state import GameStateProjection
from projections.history import HistoryProjection
from projections.player_stats import PlayerStatsProjection
from projections.standings import StandingsProjection

GAME_STATES = ("status", "version")
HISTORY = ("sequence_number", "event_id", "event_type", "team_id", "player_id", "period")
STANDINGS_GAMES = ("league", "season", "status", "counted", "board")
STANDINGS_TABLES = ("sport", "version", "record", "public")
PLAYER_GAMES = ("league", "season", "status", "counted", "board")
PLAYER_LINES = ("team_id", "league", "season", "sport", "status", "stats")
PLAYER_SEASONS = ("sport", "team_id", "games", "record")
PLAYER_LEADERS = ("team_id", "value")
PLAYER_KEYS = {
    "player_stats_games": ("game_id",),
    "player_game_stats": ("game_id", "player_id"),
    "player_season_stats": ("league", "season", "player_id"),
    "player_season_leaders": ("league", "season", "stat", "player_id"),
    "player_names": ("player_id",),
}


# One entry per read model the backend keeps: its store, its projection, and the
# columns compared (key columns first; never a write time such as ``updated_at``).
SQLITE_READ_MODELS: dict[str, SQLiteReadModel[Any]] = {
    "game_state": SQLiteReadModel[SQLiteGameStateView](
        "game_state",
        "views.sqlite",
        open_sqlite_game_state_view,
        partial(GameStateProjection, fan_updates=False),  # a rebuild has no fans
        (
            Rows(
                "game_states", ("game_id",), (*GAME_STATES, "public", "board"), ("public", "board")
            ),
        ),
        buffer=BufferedGameStateView,
    ),
    "standings": SQLiteReadModel[SQLiteStandingsStore](
        "standings",
        "standings.sqlite",
        open_sqlite_standings_store,
        StandingsProjection,
        (
            Rows("standings_games", ("game_id",), STANDINGS_GAMES, ("counted", "board")),
            Rows("standings_tables", ("league", "season"), STANDINGS_TABLES, ("record", "public")),
        ),
        buffer=BufferedStandingsStore,
    ),
    "player_stats": SQLiteReadModel[SQLitePlayerStatsStore](
        "player_stats",
        "player_stats.sqlite",
        open_sqlite_player_stats_store,
        PlayerStatsProjection,
        (
            Rows(
                "player_stats_games",
                PLAYER_KEYS["player_stats_games"],
                PLAYER_GAMES,
                ("counted", "board"),
            ),
            Rows("player_game_stats", PLAYER_KEYS["player_game_stats"], PLAYER_LINES, ("stats",)),
            Rows(
                "player_season_stats",
                PLAYER_KEYS["player_season_stats"],
                PLAYER_SEASONS,
                ("record",),
            ),
            Rows("player_season_leaders", PLAYER_KEYS["player_season_leaders"], PLAYER_LEADERS),
            Rows("player_names", PLAYER_KEYS["player_names"], ("name",)),
        ),
        buffer=BufferedPlayerStatsStore,
    ),
}

POSTGRES_READ_MODELS: dict[str, PostgresReadModel[Any]] = {
    "game_state": PostgresReadModel[PostgresGameStateView](
        "game_state",
        PostgresGameStateView,
        partial(GameStateProjection, fan_updates=False),  # a rebuild has no fans
        (
            Rows(
                "game_states",
                ("game_id",),
                (*GAME_STATES, "start_time", "public", "board"),
                json=("board",),  # text (adapters/postgres_board_column.py)
                text_key=("game_id",),
            ),
        ),
        tracking_table="game_state_tracking",
        buffer=partial(BufferedGameStateView, background=True),
    ),
    "history": PostgresReadModel[PostgresHistory](
        "history",
        PostgresHistory,
        HistoryProjection,
        (
            Rows(
                "game_events",
                ("game_id", "version", "recorded_at"),
                (*HISTORY, "clock_seconds", "provider", "event"),
                text_key=("game_id",),
            ),
        ),
        tracking_table="game_events_tracking",
        prepare_shadow=same_partitions,
        buffer=partial(BufferedHistoryStore, background=True),
        shadow_store=ShadowPostgresHistory,  # COPY into the fresh shadow table
    ),
    "standings": PostgresReadModel[PostgresStandingsStore](
        "standings",
        PostgresStandingsStore,
        StandingsProjection,
        (
            Rows(
                "standings_games",
                ("game_id",),
                STANDINGS_GAMES,
                json=("board",),
                text_key=("game_id",),
            ),
            Rows(
                "standings_tables",
                ("league", "season"),
                STANDINGS_TABLES,
                text_key=("league", "season"),
            ),
        ),
        tracking_table="standings_tracking",
        buffer=partial(BufferedStandingsStore, background=True),
    ),
    "player_stats": PostgresReadModel[PostgresPlayerStatsStore](
        "player_stats",
        PostgresPlayerStatsStore,
        PlayerStatsProjection,
        (
            Rows(
                "player_stats_games",
                PLAYER_KEYS["player_stats_games"],
                PLAYER_GAMES,
                json=("board",),
                text_key=PLAYER_KEYS["player_stats_games"],
            ),
            Rows(
                "player_game_stats",
                PLAYER_KEYS["player_game_stats"],
                PLAYER_LINES,
                text_key=PLAYER_KEYS["player_game_stats"],
            ),
            Rows(
                "player_season_stats",
                PLAYER_KEYS["player_season_stats"],
                PLAYER_SEASONS,
                text_key=PLAYER_KEYS["player_season_stats"],
            ),
            Rows(
                "player_season_leaders",
                PLAYER_KEYS["player_season_leaders"],
                PLAYER_LEADERS,
                text_key=PLAYER_KEYS["player_season_leaders"],
            ),
            Rows(
                "player_names",
                PLAYER_KEYS["player_names"],
                ("name",),
                text_key=PLAYER_KEYS["player_names"],
            ),
        ),
        tracking_table="player_stats_tracking",
        buffer=partial(BufferedPlayerStatsStore, background=True),
    ),
}
