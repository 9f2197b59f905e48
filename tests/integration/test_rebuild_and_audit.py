"""``scoreline rebuild`` and ``scoreline audit`` on SQLite files and PostgreSQL tables.

Games are recorded, the live read models are built by LogFollowers, then the live
rows are corrupted by hand and the commands must name, fix and re-check them, with
readers and a live projector running alongside. PostgreSQL tests each work in a
schema of their own in the run's database (``postgres_url``).
"""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from adapters.game_state_view import open_sqlite_game_state_view
from adapters.postgres_game_state_view import open_postgres_game_state_view
from adapters.postgres_history import open_postgres_history
from adapters.postgres_schema import postgres_datastore, postgres_env, upgrade
from adapters.postgres_standings import PostgresStandingsStore
from adapters.read_model_copies import PostgresCopies, SQLiteCopies
from adapters.standings_store import open_sqlite_standings_store
from domain.events import Schedule
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from entrypoints.read_model_commands import audit, read_model_names, rebuild
from entrypoints.read_model_registry import POSTGRES_READ_MODELS, SQLITE_READ_MODELS
from entrypoints.settings import Settings
from projections.follower import LogFollower, Projection
from projections.game_state import GameStateProjection
from projections.history import HistoryProjection
from projections.read_model_comparison import compare
from projections.rebuild import RebuildError
from projections.standings import StandingsProjection
from tests.game_events import AWAY, HOME, GameScript

States = dict[str, dict[str, Any]]


def scripts(count: int, goals: int = 3, prefix: str = "g") -> list[GameScript]:
    games = []
    for n in range(count):
        game = GameScript(f"{prefix}{n}")
        game.add(
            EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, league="L1", season="2025")
        )
        game.start()
        first = game.score(EventType.GOAL, HOME, period=1, clock_seconds=60)
        for i in range(goals - 1):
            game.score(EventType.GOAL, AWAY if i % 2 else HOME, period=2, clock_seconds=i)
        if n % 2:
            game.retract(first)
        game.final()
        games.append(game)
    return games


def record(keeper: Scorekeeper, games: list[GameScript], chunk: int = 10) -> None:
    """Interleave the games' events, ``chunk`` at a time, as live feeds would."""
    for start in range(0, max(len(g.events) for g in games), chunk):
        for game in games:
            if game.events[start : start + chunk]:
                keeper.record(game.events[start : start + chunk])


@dataclass
class Deployment:
    """A recorded log and its live read models on one backend."""

    settings: Settings
    keeper: Scorekeeper
    projections: list[Projection]
    states: Callable[[], States]  # game id -> public state, in one fresh read
    execute: Callable[[str, tuple[Any, ...]], None]  # SQL on the live read models
    closers: list[Callable[[], None]]
    schema: str = ""  # PostgreSQL's
    followers: list[LogFollower] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            close()
        self.keeper.close()

    def catch_up(self) -> None:
        if not self.followers:
            self.followers = [LogFollower(self.keeper, p, batch_size=50) for p in self.projections]
        for follower in self.followers:
            asyncio.run(follower.catch_up())

    def corrupt(self, game_id: str, score: int = 99) -> None:
        if self.settings.database_url:
            sql = "UPDATE {s}game_states SET public = jsonb_set(public, '{{home_score}}', %s)"
            self.execute(sql + " WHERE game_id = %s", (json.dumps(score), game_id))
        else:
            sql = "UPDATE game_states SET public = json_set(public, '$.home_score', ?)"
            self.execute(sql + " WHERE game_id = ?", (score, game_id))

    def expected(self) -> States:
        return {
            game_id: board.public()
            for game_id in self.states()
            if (board := self.keeper.scoreboard(game_id)) is not None
        }


def run(command: Callable[..., int], *args: Any) -> tuple[int, str]:
    out = io.StringIO()
    status = command(*args, out)
    return status, out.getvalue()


def sqlite_deployment(data_dir: Path, games: list[GameScript]) -> Deployment:
    keeper = Scorekeeper(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(data_dir / "events.sqlite"),
        }
    )
    record(keeper, games)
    views = data_dir / "views.sqlite"
    view = open_sqlite_game_state_view(str(views))
    standings = open_sqlite_standings_store(str(data_dir / "standings.sqlite"))

    def states() -> States:
        with sqlite3.connect(views) as conn:
            rows = conn.execute("SELECT game_id, public FROM game_states").fetchall()
        return {game_id: json.loads(public) for game_id, public in rows}

    def execute(sql: str, params: tuple[Any, ...]) -> None:
        database = data_dir / ("standings.sqlite" if "standings" in sql else "views.sqlite")
        with sqlite3.connect(database) as conn:
            conn.execute(sql.format(s=""), params)

    return Deployment(
        Settings(data_dir=data_dir),
        keeper,
        [GameStateProjection(view, keeper.name), StandingsProjection(standings, keeper.name)],
        states,
        execute,
        [view.datastore.close, standings.datastore.close],
    )


def postgres_deployment(postgres_url: str, data_dir: Path, games: list[GameScript]) -> Deployment:
    schema = f"rebuild_{uuid.uuid4().hex[:10]}"
    url = f"{postgres_url}?schema={schema}"
    upgrade(url)
    keeper = Scorekeeper(env=postgres_env(url, create_table=False))
    record(keeper, games)
    view = open_postgres_game_state_view(url)
    history = open_postgres_history(url)
    standings = PostgresStandingsStore(postgres_datastore(url))

    def states() -> States:
        with psycopg.connect(postgres_url) as conn:
            rows = conn.execute(f'SELECT game_id, public FROM "{schema}".game_states').fetchall()
        return {game_id: public for game_id, public in rows}

    def execute(sql: str, params: tuple[Any, ...]) -> None:
        with psycopg.connect(postgres_url) as conn:
            conn.execute(sql.format(s=f'"{schema}".').encode(), params)

    return Deployment(
        Settings(data_dir=data_dir, database_url=url),
        keeper,
        [
            GameStateProjection(view, keeper.name),
            HistoryProjection(history, keeper.name),
            StandingsProjection(standings, keeper.name),
        ],
        states,
        execute,
        [view.datastore.close, history.datastore.close, standings.datastore.close],
        schema,
    )


Deploy = Callable[[list[GameScript]], Deployment]


@pytest.fixture(params=["sqlite", "postgres"])
def deploy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deploy]:
    """Record games on the backend and build its live read models."""
    made: list[Deployment] = []

    def make(games: list[GameScript]) -> Deployment:
        if request.param == "sqlite":
            found = sqlite_deployment(tmp_path, games)
        else:
            found = postgres_deployment(request.getfixturevalue("postgres_url"), tmp_path, games)
        made.append(found)
        found.catch_up()
        return found

    yield make
    for found in made:
        found.close()


def test_audit_names_a_corrupted_row_and_rebuild_fixes_it(deploy: Deploy) -> None:
    deployment = deploy(scripts(6))
    settings = deployment.settings
    status, report = run(audit, settings)
    assert status == 0, report
    assert "game_state: equal" in report

    deployment.corrupt("g2")
    status, report = run(audit, settings)
    assert status == 1, report
    assert "game_state: DIFFERENT" in report
    assert "1 rows differ" in report and "game_state game_states g2\n" in report
    assert "game_states g1\n" not in report

    # A dry run builds and compares, and changes nothing.
    status, output = run(rebuild, settings, "game_state", True)
    assert status == 0, output
    assert "game_state game_states g2" in output and "dry run" in output
    assert deployment.states()["g2"]["home_score"] == 99
    assert run(audit, settings)[0] == 1

    head = deployment.keeper.recorder.max_notification_id() or 0
    status, output = run(rebuild, settings, "all", False)
    assert status == 0, output
    assert "\r" in output and "events/s" in output and "left" in output
    # One reading of the log for every model (one bar), then each swapped in on its own.
    names = read_model_names(settings)
    assert f"all: {head:,}/{head:,} events" in output and "replayed into" in output
    assert output.count("swapped in at notification") == len(names)
    for line in output.split("\n")[:-1]:  # a model's last frame: its live position
        name, _, frame = line.rpartition("\r")[2].partition(": ")
        assert name in ("all", *names) and ("swapped in" in frame or "replayed" in frame), line
    assert deployment.states() == deployment.expected()
    status, report = run(audit, settings)
    assert status == 0, report
    leftovers = settings.data_dir.glob("*.rebuild.sqlite*")
    assert [p.name for p in leftovers if not p.name.endswith(".lock")] == []

    # The live projectors carry on over the swapped copies: nothing skipped or doubled.
    more = GameScript("g-late")
    more.schedule()
    more.start()
    more.score(EventType.GOAL, AWAY)
    deployment.keeper.record(more.events)
    deployment.catch_up()
    assert deployment.states() == deployment.expected()
    assert run(audit, settings)[0] == 0


def test_postgres_history_rows_are_audited_and_rebuilt(postgres_url: str, tmp_path: Path) -> None:
    found = postgres_deployment(postgres_url, tmp_path, scripts(4))
    found.catch_up()
    schema = found.schema
    before = tables_in(postgres_url, schema)
    found.execute(
        "UPDATE {s}game_events SET event_type = 'PENALTY' WHERE game_id = %s AND version = 3",
        ("g1",),
    )
    found.execute("DELETE FROM {s}game_events WHERE game_id = %s AND version = 2", ("g3",))
    status, report = run(audit, found.settings)
    assert status == 1, report
    assert "game_state: equal" in report and "history: DIFFERENT" in report
    assert "history game_events g1/3/" in report
    assert "1 rows missing from the live copy" in report and "history game_events g3/2/" in report

    status, output = run(rebuild, found.settings, "history", False)
    assert status == 0, output
    assert run(audit, found.settings)[0] == 0
    assert tables_in(postgres_url, schema) == before  # same partitions, in the live schema
    assert tables_in(postgres_url, f"{schema}_shadow") == set()
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(f'SELECT count(*) FROM "{schema}".game_events_default').fetchone()
    assert rows == (0,)  # every row in its monthly partition
    found.close()


def tables_in(postgres_url: str, schema: str) -> set[str]:
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
    return {name for (name,) in rows}


def test_readers_never_see_a_half_built_model(deploy: Deploy) -> None:
    found = deploy(scripts(30, goals=20))
    expected = found.expected()
    for game_id in ("g3", "g17"):  # two rows: a half-done swap would fix one of them
        found.corrupt(game_id)
    before = {
        game_id: {**state, "home_score": 99} if game_id in ("g3", "g17") else state
        for game_id, state in expected.items()
    }
    assert found.states() == before
    seen: list[States] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen.append(found.states())

    reader = threading.Thread(target=poll)
    reader.start()
    while not seen:
        time.sleep(0.001)
    try:
        status, output = run(rebuild, found.settings, "game_state", False)
    finally:
        stop.set()
        reader.join()
    assert status == 0, output
    seen.append(found.states())
    assert seen[0] == before and seen[-1] == expected
    assert all(states in (before, expected) for states in seen), "a reader saw a mix"


def test_rebuild_while_games_are_recorded_and_projected(
    deploy: Deploy, request: pytest.FixtureRequest
) -> None:
    """Events recorded and projected during the rebuild are neither lost nor doubled."""
    # Enough log for the rebuild to overlap the live rounds (SQLite's is the quicker).
    embedded = request.node.callspec.params["deploy"] == "sqlite"
    deployment = deploy(scripts(20, goals=150) if embedded else scripts(10, goals=60))
    late = scripts(8, goals=100, prefix="late") if embedded else scripts(6, goals=40, prefix="late")
    rebuilding, stop = threading.Event(), threading.Event()
    rounds_during: list[int] = []
    errors: list[BaseException] = []

    def live() -> None:
        try:
            for start in range(0, len(late[0].events), 2):
                for game in late:
                    deployment.keeper.record(game.events[start : start + 2])
                deployment.catch_up()
                if rebuilding.is_set():
                    rounds_during.append(start)
                if stop.is_set():
                    break
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=live)
    worker.start()
    rebuilding.set()
    try:
        status, output = run(rebuild, deployment.settings, "all", False)
    finally:
        rebuilding.clear()
        stop.set()
        worker.join()
    assert not errors, errors
    assert status == 0, output
    assert rounds_during, "the live projector did not run during the rebuild"
    deployment.catch_up()
    assert deployment.states() == deployment.expected()
    status, report = run(audit, deployment.settings)
    assert status == 0, report


def test_compare_reports_every_kind_of_difference() -> None:
    live = [(("t", "a"), "1"), (("t", "b"), "2"), (("t", "c"), "3")]
    rebuilt = [(("t", "b"), "2"), (("t", "c"), "x"), (("t", "d"), "4")]
    found = compare("m", live, rebuilt, positions=(5, 5), limit=10)
    assert not found.equal
    assert found.differing == {
        "differ": ["t c"],
        "only in the live copy": ["t a"],
        "missing from the live copy": ["t d"],
    }
    assert found.sizes == (3, 3)
    same = compare("m", live, list(live), positions=(5, 5))
    assert same.equal and same.checksums[0] == same.checksums[1]
    assert not compare("m", live, list(live), positions=(5, 4)).equal
    with pytest.raises(RebuildError, match="order"):
        compare("m", list(reversed(live)), live, positions=(5, 5))


def test_standings_tables_are_audited_and_rebuilt(deploy: Deploy) -> None:
    found = deploy(scripts(4))
    if found.settings.database_url:
        sql = "UPDATE {s}standings_tables SET public = jsonb_set(public, '{{league}}', %s)"
        found.execute(sql, ('"L9"',))
    else:
        found.execute(
            "UPDATE {s}standings_tables SET public = json_set(public, '$.league', ?)", ("L9",)
        )
    status, report = run(audit, found.settings)
    assert status == 1, report
    assert "standings: DIFFERENT" in report and "standings standings_tables L1/2025\n" in report
    assert "game_state: equal" in report
    status, output = run(rebuild, found.settings, "standings", False)
    assert status == 0, output
    status, report = run(audit, found.settings)
    assert status == 0, report
    assert "standings: equal" in report and "rows" in report


def test_a_live_position_beyond_the_log_is_reported_not_swapped(deploy: Deploy) -> None:
    found = deploy(scripts(2))
    head = found.keeper.recorder.max_notification_id()
    table = "{s}game_state_tracking" if found.settings.database_url else "tracking"
    mark = "%s" if found.settings.database_url else "?"
    sql = f"UPDATE {table} SET notification_id = 10000 WHERE application_name = {mark}"
    found.execute(sql, (found.keeper.name,))
    status, report = run(audit, found.settings)
    assert status == 1, report
    assert f"game_state: DIFFERENT at notification 10000 of {head}" in report
    assert f"(the rebuilt copy reached {head})" in report
    status, output = run(rebuild, found.settings, "game_state", False)
    assert status == 1 and "log replays only to" in output and "nothing was swapped" in output


def test_one_rebuild_or_audit_of_a_model_at_a_time(deploy: Deploy) -> None:
    found = deploy(scripts(2))
    settings, upstream = found.settings, found.keeper.name
    holder: SQLiteCopies[Any] | PostgresCopies[Any]
    if settings.database_url:
        holder = PostgresCopies(POSTGRES_READ_MODELS["game_state"], settings.database_url, upstream)
    else:
        holder = SQLiteCopies(SQLITE_READ_MODELS["game_state"], settings.data_dir, upstream)
    try:
        status, output = run(audit, settings)
        assert status == 2 and "another rebuild or audit is running" in output
        status, output = run(rebuild, settings, "game_state", False)
        assert status == 1 and "another rebuild or audit is running" in output
    finally:
        holder.close()
    assert run(audit, settings)[0] == 0


def test_unknown_read_model_and_missing_store(tmp_path: Path) -> None:
    status, output = run(rebuild, Settings(data_dir=tmp_path), "nope", False)
    assert status == 2 and "no read model 'nope'" in output and "game_state" in output
    status, output = run(audit, Settings(data_dir=tmp_path))
    assert status == 2 and "no event store" in output
