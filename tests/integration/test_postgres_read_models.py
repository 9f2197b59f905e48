"""PostgreSQL read models on a real server: history rows, partitions, schema upgrade.

Each test works in a schema of its own inside the run's database (``postgres_url``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from adapters.postgres_game_state_view import open_postgres_game_state_view
from adapters.postgres_history import PostgresHistory, open_postgres_history
from adapters.postgres_schema import parse_postgres_url, postgres_env, upgrade
from domain.events import GameEvent
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.follower import LogFollower
from projections.game_state import GameStateProjection
from projections.history import HistoryProjection, HistoryRow
from tests.game_events import AWAY, HOME, GameScript

UPSTREAM = "scoreline"


def fresh(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def history(postgres_url: str) -> Iterator[PostgresHistory]:
    store = open_postgres_history(postgres_url, schema=fresh("history"))
    yield store
    store.datastore.close()


def game(game_id: str) -> GameScript:
    script = GameScript(game_id)
    script.schedule()
    script.start()
    goal = script.score(EventType.GOAL, HOME, player_id="p9", clock_seconds=600, period=1)
    script.score(EventType.GOAL, AWAY)
    script.retract(goal)
    script.final()
    return script


def batch_of(keeper: Scorekeeper, start: int = 1, limit: int = 100) -> list[tuple[Any, int]]:
    notifications = keeper.recorder.select_notifications(start, limit)
    return [(keeper.mapper.to_domain_event(n), n.id) for n in notifications]


def popo_keeper(*events: GameEvent) -> Scorekeeper:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    keeper.record(list(events))
    return keeper


def count(store: PostgresHistory, where: str = "") -> int:
    with store.datastore.transaction(commit=False) as c:
        c.execute(f'SELECT count(*) AS n FROM "{store.datastore.schema}".game_events {where}')
        row = c.fetchone()
    assert row is not None
    return int(row["n"])


def test_history_rows_and_tracking_are_written_together(history: PostgresHistory) -> None:
    script = game("h1")
    keeper = popo_keeper(*script.events)
    projection = HistoryProjection(history, UPSTREAM)
    batch = batch_of(keeper)
    rows = projection.process(batch)

    assert projection.position() == batch[-1][1] == len(script.events)
    stored = history.events_of("h1")
    assert stored == rows
    assert [r.sequence_number for r in stored] == [1, 2, 3, 4, 5, 6]
    assert [r.version for r in stored] == [1, 2, 3, 4, 5, 6]
    goal = stored[2]
    assert (goal.event_type, goal.team_id, goal.player_id) == ("GOAL", HOME, "p9")
    assert (goal.period, goal.clock_seconds, goal.event_id) == (1, 600, "h1-e3")
    assert goal.event == script.events[2].to_dict()
    assert goal.recorded_at.tzinfo is not None
    recorded = keeper.recorded_events("h1")
    assert [r.recorded_at.isoformat() for r in stored] == [r.recorded_at for r in recorded]

    # A replayed batch is refused as a whole and adds nothing.
    with pytest.raises(IntegrityError):
        projection.process(batch)
    # A stale position with a new row writes neither.
    stray = replace(rows[0], game_id="h1-stray")
    with pytest.raises(IntegrityError):
        history.save([stray], Tracking(UPSTREAM, 2))
    assert history.events_of("h1-stray") == []
    # Rows already stored are skipped, not doubled, under a newer position.
    history.save(rows, Tracking(UPSTREAM, 100))
    assert count(history) == 6
    assert history.max_tracking_id(UPSTREAM) == 100


def test_rows_land_in_their_monthly_partition(history: PostgresHistory) -> None:
    schema = history.datastore.schema
    assert history.ensure_partitions(date(2024, 1, 1), date(2024, 3, 31)) == [
        "game_events_2024_01",
        "game_events_2024_02",
        "game_events_2024_03",
    ]
    row = history_row_at(datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC), version=1)
    later = history_row_at(datetime(2031, 5, 1, 0, 0, tzinfo=UTC), version=2)
    history.save([row, later], Tracking(UPSTREAM, 1))
    assert partitions_of(history) == {
        1: f"{schema}.game_events_2024_02",
        2: f"{schema}.game_events_default",  # no month made for it: never a failed insert
    }

    # Making its month later moves the row out of DEFAULT; doing it again changes nothing.
    for _ in range(2):
        history.ensure_partitions(date(2031, 5, 17), date(2031, 5, 17))
        assert partitions_of(history)[2] == f"{schema}.game_events_2031_05"
    assert [r.version for r in history.events_of("p1")] == [1, 2]
    assert count(history, "WHERE recorded_at < '2024-02-01T00:00:00+00'") == 0


def history_row_at(recorded_at: datetime, version: int) -> HistoryRow:
    return HistoryRow(
        game_id="p1",
        sequence_number=version,
        version=version,
        event_id=f"p1-e{version}",
        event_type="GOAL",
        team_id=HOME,
        player_id=None,
        period=1,
        clock_seconds=None,
        provider="test",
        recorded_at=recorded_at,
        event={"event_id": f"p1-e{version}"},
    )


def partitions_of(history: PostgresHistory) -> dict[int, str]:
    with history.datastore.transaction(commit=False) as c:
        c.execute(
            f'SELECT version, tableoid::regclass::text AS part FROM "{history.datastore.schema}"'
            ".game_events WHERE game_id = 'p1'"
        )
        return {row["version"]: row["part"] for row in c.fetchall()}


def test_game_query_uses_the_game_sequence_index(history: PostgresHistory) -> None:
    script = game("x1")
    HistoryProjection(history, UPSTREAM).process(batch_of(popo_keeper(*script.events)))
    with history.datastore.transaction(commit=False) as c:
        c.execute("SET LOCAL enable_seqscan = off")
        c.execute(
            f'EXPLAIN SELECT * FROM "{history.datastore.schema}".game_events'
            " WHERE game_id = %s ORDER BY sequence_number",
            ("x1",),
        )
        plan = "\n".join(str(row["QUERY PLAN"]) for row in c.fetchall())
    assert "Index" in plan, plan
    assert "game_id_sequence_number_idx" in plan, plan


def test_upgrade_is_idempotent(postgres_url: str) -> None:
    schema = fresh("upgrade")
    url = f"{postgres_url}?schema={schema}"
    first = upgrade(url, today=date(2025, 1, 15))
    before = tables_in(postgres_url, schema)
    second = upgrade(url, today=date(2025, 1, 15))
    assert first == second
    assert tables_in(postgres_url, schema) == before
    assert {"scoreline_events", "scoreline_tracking"} <= before
    assert {"game_states", "game_state_tracking", "game_events_tracking"} <= before
    months = sorted(t for t in before if t.startswith("game_events_20"))
    assert months[0] == "game_events_2024_12" and months[-1] == "game_events_2026_01"
    assert len(months) == 14 and "game_events_default" in before
    assert any("game_events" in line for line in first), first


def tables_in(postgres_url: str, schema: str) -> set[str]:
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        found = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
    return {name for (name,) in found}


def test_scorekeeper_on_postgres_records_and_reads_back(postgres_url: str) -> None:
    schema = fresh("keeper")
    url = f"{postgres_url}?schema={schema}"
    upgrade(url)
    game_id = f"pg-{uuid.uuid4().hex[:8]}"
    script = game(game_id)
    keeper = Scorekeeper(env=postgres_env(url, create_table=False))
    try:
        verdicts = keeper.record(script.events, Tracking("feed", 7))
        assert [v.outcome for v in verdicts] == ["recorded"] * 6
        assert [v.outcome for v in keeper.record(script.events[:2])] == ["duplicate"] * 2
        batch = batch_of(keeper)
    finally:
        keeper.close()

    again = Scorekeeper(env=postgres_env(url, create_table=False))
    history = open_postgres_history(url)
    try:
        recorded = again.recorded_events(game_id)
        assert [r.event for r in recorded] == script.events
        assert again.tracking_position("feed") == 7
        board = again.scoreboard(game_id)
        assert board is not None and (board.home_score, board.away_score) == (0, 1)
        # The log it wrote feeds the history table.
        HistoryProjection(history, again.name).process(batch)
        assert [r.event for r in history.events_of(game_id)] == [e.to_dict() for e in script.events]
    finally:
        again.close()
        history.datastore.close()


def test_url_settings() -> None:
    s = parse_postgres_url("postgresql://u%40x:p%3Aw@db.example:6543/scores?schema=s&pool_size=4")
    assert (s.user, s.password, s.host, s.port, s.dbname) == (
        "u@x",
        "p:w",
        "db.example",
        6543,
        "scores",
    )
    assert (s.schema, s.pool_size) == ("s", 4)
    env = postgres_env("postgres://u@h/d")
    assert env["POSTGRES_PORT"] == "5432" and env["POSTGRES_PASSWORD"] == ""
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    for bad in ("mysql://h/d", "postgresql://h/", "postgresql://h/d?poolsize=3"):
        with pytest.raises(ValueError):
            parse_postgres_url(bad)


async def test_log_follower_fills_the_postgres_view(postgres_url: str) -> None:
    url = f"{postgres_url}?schema={fresh('follow')}"
    upgrade(url)
    keeper = Scorekeeper(env=postgres_env(url, create_table=False))
    view = open_postgres_game_state_view(url)
    try:
        # Ids whose order differs between code points and most locales ("B" < "a").
        scripts = [game(game_id) for game_id in ("a-game", "B-game", "c-game")]
        for script in scripts:
            keeper.record(script.events[:3])
        follower = LogFollower(keeper, GameStateProjection(view, keeper.name), no_publish)
        await follower.catch_up()
        assert [s["game_id"] for s in view.states("LIVE")] == ["B-game", "a-game", "c-game"]
        for script in scripts:
            keeper.record(script.events[3:])
        await follower.catch_up()
        for script in scripts:
            board = keeper.scoreboard(script.game_id)
            assert board is not None
            assert view.state(script.game_id) == board.public()
            assert view.board(script.game_id) == board
        assert view.states("LIVE") == []
        assert len(view.states("FINAL")) == 3
        assert view.max_tracking_id(keeper.name) == 18
        assert view.game_ids() == ["B-game", "a-game", "c-game"]
    finally:
        keeper.close()
        view.datastore.close()


async def no_publish(updates: object) -> None:
    return None
