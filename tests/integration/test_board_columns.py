"""The PostgreSQL read models' board columns: text, and an older jsonb one upgraded.

A board is saved whole every batch; stored as text, PostgreSQL does not parse it on
every save (adapters/postgres_board_column.py). Each test has a schema of its own.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from eventsourcing.persistence import Tracking

from adapters.postgres_game_state_view import PostgresGameStateView, open_postgres_game_state_view
from adapters.postgres_player_stats import open_postgres_player_stats
from adapters.postgres_schema import postgres_datastore, postgres_env, upgrade
from adapters.postgres_standings import open_postgres_standings
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.follower import LogFollower
from projections.game_state import GameStateProjection
from projections.player_stats import PlayerStatsProjection
from projections.standings import StandingsProjection
from tests.game_events import AWAY, HOME, GameScript

FILLED = ("game_states", "standings_games", "player_stats_games")  # by the test's followers
BOARD_TABLES = (*FILLED, "notifier_games")


def played(game_id: str, *, final: bool) -> GameScript:
    script = GameScript(game_id)
    script.schedule()
    script.start()
    goal = script.score(EventType.GOAL, HOME, player_id="p9", clock_seconds=600, period=1)
    script.score(EventType.GOAL, AWAY, player_id="p4")
    script.correct(goal, player_id="p7")
    if final:
        script.final()
    return script


def board_types(postgres_url: str, schema: str) -> dict[str, str]:
    with psycopg.connect(postgres_url) as conn:
        found = conn.execute(
            "SELECT table_name, data_type FROM information_schema.columns"
            " WHERE table_schema = %s AND column_name = 'board'",
            (schema,),
        ).fetchall()
    return {table: kind for table, kind in found if table in BOARD_TABLES}


def as_before_the_upgrade(postgres_url: str, schema: str) -> None:
    """The board columns as an older release made them: jsonb, rows and all."""
    with psycopg.connect(postgres_url) as conn:
        for table in BOARD_TABLES:
            conn.execute(
                f'ALTER TABLE "{schema}"."{table}" ALTER COLUMN board TYPE jsonb USING board::jsonb'
            )


def opened_stores(url: str) -> list[Any]:
    """The game-state view, the standings and the player stats (opening upgrades them)."""
    return [
        open_postgres_game_state_view(url),
        open_postgres_standings(url),
        open_postgres_player_stats(url),
    ]


async def no_publish(updates: object) -> None:
    return None


async def test_boards_are_text_and_an_older_jsonb_column_is_upgraded_keeping_them(
    postgres_url: str,
) -> None:
    schema = f"boards_{uuid.uuid4().hex[:10]}"
    url = f"{postgres_url}?schema={schema}"
    upgrade(url)
    assert board_types(postgres_url, schema) == dict.fromkeys(BOARD_TABLES, "text")
    keeper = Scorekeeper(env=postgres_env(url, create_table=False))
    stores = opened_stores(url)
    view, standings, player_stats = stores
    followers = [
        LogFollower(keeper, GameStateProjection(view, keeper.name), no_publish),
        LogFollower(keeper, StandingsProjection(standings, keeper.name), no_publish),
        LogFollower(keeper, PlayerStatsProjection(player_stats, keeper.name), no_publish),
    ]
    try:
        scripts = [played("g-final", final=True), played("g-live", final=False)]
        for script in scripts:
            keeper.record(script.events)
        for follower in followers:
            await follower.catch_up()
        ids = [s.game_id for s in scripts]

        def stored() -> list[Any]:
            return [view.boards(ids), standings.games(ids), player_stats.games(ids)]

        written = stored()
        for script in scripts:
            board = keeper.scoreboard(script.game_id)
            assert view.board(script.game_id) == board
            assert standings.game(script.game_id).board == board
            assert player_stats.game(script.game_id).board == board

        as_before_the_upgrade(postgres_url, schema)
        assert board_types(postgres_url, schema) == dict.fromkeys(BOARD_TABLES, "jsonb")
        # Fresh stores (nothing remembered of what was written): read from jsonb.
        for store in stores:
            store.datastore.close()
        stores[:] = opened_stores(url)
        # Opening a store upgrades its tables, as `scoreline db upgrade` does.
        assert board_types(postgres_url, schema) == {
            **dict.fromkeys(FILLED, "text"),
            "notifier_games": "jsonb",
        }
        view, standings, player_stats = stores
        assert stored() == written
        assert upgrade(url) == upgrade(url)  # idempotent, nothing left to change
        assert board_types(postgres_url, schema) == dict.fromkeys(BOARD_TABLES, "text")
        assert stored() == written
    finally:
        keeper.close()
        for store in stores:
            store.datastore.close()


def test_a_store_reads_a_board_column_not_yet_upgraded(postgres_url: str) -> None:
    """New code on an older table (a rolling upgrade): its jsonb boards are read, and
    text written to it is stored as jsonb (PostgreSQL casts the untyped parameter)."""
    schema = f"boards_{uuid.uuid4().hex[:10]}"
    url = f"{postgres_url}?schema={schema}"
    upgrade(url)
    keeper = Scorekeeper(env=postgres_env(url, create_table=False))
    view = open_postgres_game_state_view(url)
    try:
        as_before_the_upgrade(postgres_url, schema)
        script = played("g-old", final=True)
        keeper.record(script.events)
        board = keeper.scoreboard("g-old")
        assert board is not None
        view.save({"g-old": board}, Tracking(keeper.name, 1))
        assert board_types(postgres_url, schema)["game_states"] == "jsonb"
        view.datastore.close()
        view = _unupgraded_view(url)
        assert view.board("g-old") == board
        assert view.boards(["g-old"]) == {"g-old": board}
    finally:
        keeper.close()
        view.datastore.close()


def _unupgraded_view(url: str) -> PostgresGameStateView:
    """A game-state view opened without creating (so without upgrading) its tables."""
    return PostgresGameStateView(postgres_datastore(url))
