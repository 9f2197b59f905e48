"""``scoreline rebuild`` and ``scoreline audit`` cover the player-stats read model, on
SQLite files and on PostgreSQL tables: a corrupted row is named, a rebuild fixes it."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from adapters.player_stats_store import open_sqlite_player_stats_store
from adapters.postgres_player_stats import PostgresPlayerStatsStore
from adapters.postgres_schema import postgres_datastore, postgres_env, upgrade
from domain.events import Schedule
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from entrypoints.read_model_commands import audit, rebuild
from entrypoints.settings import Settings
from projections.follower import LogFollower
from projections.player_stats import PlayerStatsProjection
from tests.game_events import AWAY, HOME, GameScript


def games(count: int) -> list[GameScript]:
    made = []
    for n in range(count):
        game = GameScript(f"g{n}")
        game.add(
            EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, league="L1", season="2025")
        )
        game.start()
        first = game.score(EventType.GOAL, HOME, player_id="p1", player_name="Pia One")
        game.score(EventType.GOAL, AWAY, player_id=f"q{n % 3}", player_name=f"Quinn {n % 3}")
        game.add(EventType.YELLOW_CARD, team_id=AWAY, player_id="q9", player_name=f"Q9 ({n})")
        if n % 2:
            game.correct(first, player_id="p2", player_name="Pat Two")
        game.final()
        made.append(game)
    return made


Execute = Callable[[str, tuple[Any, ...]], None]


@pytest.fixture(params=["sqlite", "postgres"])
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Settings, Execute, Any]]:
    """(settings, SQL on the live player-stats tables, the live store) after projecting."""
    if request.param == "sqlite":
        settings = Settings(data_dir=tmp_path)
        keeper = Scorekeeper(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(tmp_path / "events.sqlite"),
            }
        )
        store: Any = open_sqlite_player_stats_store(str(tmp_path / "player_stats.sqlite"))

        def execute(sql: str, params: tuple[Any, ...]) -> None:
            with sqlite3.connect(tmp_path / "player_stats.sqlite") as conn:
                conn.execute(sql.format(s="").replace("%s", "?"), params)
    else:
        base = request.getfixturevalue("postgres_url")
        schema = f"pstats_{uuid.uuid4().hex[:10]}"
        url = f"{base}?schema={schema}"
        upgrade(url)
        settings = Settings(data_dir=tmp_path, database_url=url)
        keeper = Scorekeeper(env=postgres_env(url, create_table=False))
        store = PostgresPlayerStatsStore(postgres_datastore(url))

        def execute(sql: str, params: tuple[Any, ...]) -> None:
            with psycopg.connect(base) as conn:
                conn.execute(sql.format(s=f'"{schema}".').encode(), params)

    for game in games(6):
        keeper.record(game.events)
    follower = LogFollower(keeper, PlayerStatsProjection(store, keeper.name), batch_size=4)
    asyncio.run(follower.catch_up())
    yield settings, execute, store
    store.datastore.close()
    keeper.close()


def run(command: Callable[..., int], *args: Any) -> tuple[int, str]:
    out = io.StringIO()
    return command(*args, out), out.getvalue()


def test_audit_names_a_corrupted_player_stats_row_and_rebuild_fixes_it(
    deployment: tuple[Settings, Execute, Any],
) -> None:
    settings, execute, store = deployment
    top = [(p, v) for p, _, v in store.leaders("L1", "2025", "goals", 10)]
    assert top == [("p1", 3), ("p2", 3), ("q0", 2), ("q1", 2), ("q2", 2)]
    status, report = run(audit, settings)
    assert status == 0, report
    assert "player_stats: equal" in report
    assert store.player("q9")["name"] == "Q9 (5)"  # the latest in log order
    assert store.player("p2")["name"] == "Pat Two"

    execute("UPDATE {s}player_names SET name = %s WHERE player_id = %s", ("Wrong", "q1"))
    execute(
        "UPDATE {s}player_season_leaders SET value = 99"
        " WHERE league = %s AND season = %s AND stat = %s AND player_id = %s",
        ("L1", "2025", "goals", "p2"),
    )
    execute("DELETE FROM {s}player_game_stats WHERE game_id = %s AND player_id = %s", ("g4", "q9"))
    status, report = run(audit, settings)
    assert status == 1, report
    assert "player_stats: DIFFERENT" in report
    assert "player_stats player_season_leaders L1/2025/goals/p2\n" in report
    assert "player_stats player_game_stats g4/q9\n" in report
    assert "player_stats player_names q1\n" in report
    assert "player_names q0\n" not in report
    assert "L1/2025/goals/p1\n" not in report
    assert store.leaders("L1", "2025", "goals", 1) == [("p2", HOME, 99)]

    status, output = run(rebuild, settings, "player_stats", False)
    assert status == 0, output
    assert "swapped in at notification" in output
    status, report = run(audit, settings)
    assert status == 0, report
    assert store.leaders("L1", "2025", "goals", 2) == [("p1", HOME, 3), ("p2", HOME, 3)]
    assert store.player("q9", "2025")["seasons"][0]["stats"] == {"yellow_cards": 6}
    assert store.player("q1")["name"] == "Quinn 1"
