"""One contract for every standings store (memory, SQLite, PostgreSQL), and the
standings projection over each: tables, games and tracking move together."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from adapters.postgres_standings import open_postgres_standings
from adapters.standings_store import MemoryStandingsStore, open_sqlite_standings_store
from domain.events import GameEvent, Schedule
from domain.scoreboard import Scoreboard
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType, Sport
from domain.standings import Table, result_of
from projections.follower import LogFollower
from projections.standings import StandingsGame, StandingsProjection
from tests.game_events import AWAY, HOME, GameScript

Make = Callable[[], Any]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    memory = MemoryStandingsStore()
    # PostgreSQL: the run's database, a schema of this test's own.
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    schema = f"standings_{uuid.uuid4().hex[:12]}"
    opened: list[Any] = []

    def make() -> Any:
        if request.param == "memory":
            return memory
        if request.param == "postgres":
            opened.append(open_postgres_standings(url, schema=schema))
            return opened[-1]
        return open_sqlite_standings_store(str(tmp_path / "standings.sqlite"))

    yield make
    for store in opened:
        store.datastore.close()


def game(
    game_id: str = "g1",
    score: tuple[int, int] = (1, 0),
    *,
    season: str = "S",
    sport: Sport = Sport.SOCCER,
    final: bool = True,
) -> GameScript:
    script = GameScript(game_id, sport)
    schedule = Schedule(HOME, AWAY, "Home", "Away", league="L", season=season)
    script.add(EventType.GAME_SCHEDULED, schedule=schedule)
    script.start()
    kind = EventType.GOAL if sport != Sport.BASKETBALL else EventType.TWO_POINTER
    for team, goals in ((HOME, score[0]), (AWAY, score[1])):
        for _ in range(goals):
            script.score(kind, team)
    if final:
        script.final()
    return script


def stored_game(script: GameScript) -> StandingsGame:
    board = Scoreboard.scheduled(script.events[0])
    for version, event in enumerate(script.events, 1):
        board.apply(event, version)
    return StandingsGame(board, result_of(board))


def one_table(counted: StandingsGame) -> Table:
    assert counted.counted is not None
    table = Table("L", "S", Sport.SOCCER).entered(HOME, "Home").entered(AWAY, "Away")
    return Table.from_record({**table.applied(counted.counted).to_record(), "version": 5})


# ------------------------------------------------------------------- store
def test_saved_games_and_tables_are_readable_with_their_position(make_store: Make) -> None:
    store = make_store()
    saved = stored_game(game())
    table = one_table(saved)
    store.save({"g1": saved}, [table], Tracking("log", 5))
    assert store.max_tracking_id("log") == 5
    assert store.game("g1") == saved
    assert store.table("L", "S") == table
    public = store.standings("L", "S")
    assert public == table.public()
    assert [(r["team_id"], r["points"]) for r in public["rows"]] == [(HOME, 3), (AWAY, 0)]
    assert public["version"] == 5
    assert store.game("nope") is None
    assert store.table("L", "other") is None
    assert store.standings("L", "other") is None


def test_a_position_is_never_applied_twice(make_store: Make) -> None:
    store = make_store()
    saved = stored_game(game())
    store.save({"g1": saved}, [one_table(saved)], Tracking("log", 5))
    other = stored_game(game("g2", (0, 3)))
    changed = Table.from_record({**one_table(other).to_record(), "version": 9})
    with pytest.raises(IntegrityError):
        store.save({"g2": other}, [changed], Tracking("log", 5))
    assert store.game("g2") is None
    assert store.table("L", "S") == one_table(saved)
    assert store.standings("L", "S") == one_table(saved).public()
    assert store.max_tracking_id("log") == 5


def test_standings_survive_reopening(make_store: Make) -> None:
    saved = stored_game(game())
    make_store().save({"g1": saved}, [one_table(saved)], Tracking("log", 5))
    again = make_store()
    assert again.standings("L", "S") == one_table(saved).public()
    assert again.game("g1") == saved
    assert again.max_tracking_id("log") == 5


def test_reads_are_fresh_objects(make_store: Make) -> None:
    store = make_store()
    saved = stored_game(game())
    store.save({"g1": saved}, [one_table(saved)], Tracking("log", 5))
    found = store.game("g1")
    found.board.apply(GameScript("g1").add(EventType.GAME_CANCELLED, sequence_number=99), 99)
    assert store.game("g1") == saved


def test_games_reads_many_games_at_once_as_game_would(make_store: Make) -> None:
    store = make_store()
    first, second = stored_game(game()), stored_game(game("g2", (0, 2), final=False))
    store.save({"g1": first, "g2": second}, [one_table(first)], Tracking("log", 5))
    assert store.games([]) == {}
    # More ids than one SQLite statement binds: unknown ones are simply absent.
    ids = [f"unknown-{n}" for n in range(1200)] + ["g2", "g1"]
    found = store.games(ids)
    assert found == {"g1": store.game("g1"), "g2": store.game("g2")}
    assert found == {"g1": first, "g2": second}
    found["g1"].board.apply(GameScript("g1").add(EventType.GAME_CANCELLED, sequence_number=99), 99)
    assert store.games({"g1"}) == {"g1": first}  # fresh objects


# -------------------------------------------------------------- projection
def keeper_with(*scripts: GameScript) -> Scorekeeper:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    record(keeper, *(e for s in scripts for e in s.events))
    return keeper


def record(keeper: Scorekeeper, *events: GameEvent) -> None:
    verdicts = keeper.record(list(events))
    assert [v.outcome for v in verdicts] == ["recorded"] * len(events), verdicts


async def follow(keeper: Scorekeeper, store: Any) -> LogFollower:
    follower = LogFollower(keeper, StandingsProjection(store, keeper.name), batch_size=7)
    await follower.catch_up()
    return follower


def points(store: Any, season: str = "S") -> dict[str, tuple[int, int]]:
    table = store.standings("L", season)
    return {r["team_id"]: (r["played"], r["points"]) for r in table["rows"]}


async def test_a_game_enters_its_table_with_its_final(make_store: Make) -> None:
    store = make_store()
    live = game("g1", (2, 1), final=False)
    keeper = keeper_with(live)
    await follow(keeper, store)
    assert points(store) == {HOME: (0, 0), AWAY: (0, 0)}  # listed from the schedule
    assert store.game("g1").counted is None
    record(keeper, live.final())
    await follow(keeper, store)
    assert points(store) == {HOME: (1, 3), AWAY: (1, 0)}
    assert store.standings("L", "S")["version"] == keeper.recorder.max_notification_id()
    assert store.game("g1").counted.home_score == 2


async def test_corrections_after_final_move_the_table(make_store: Make) -> None:
    store = make_store()
    script = game("g1", (1, 0))
    keeper = keeper_with(script, game("g2", (0, 0)))
    await follow(keeper, store)
    assert points(store) == {HOME: (2, 4), AWAY: (2, 1)}
    goal = next(e for e in script.events if e.event_type == EventType.GOAL)
    record(keeper, script.correct(goal, team_id=AWAY))
    await follow(keeper, store)
    assert points(store) == {HOME: (2, 1), AWAY: (2, 4)}
    record(keeper, script.correct(goal, team_id=HOME))
    await follow(keeper, store)
    assert points(store) == {HOME: (2, 4), AWAY: (2, 1)}
    record(keeper, script.retract(goal))
    await follow(keeper, store)
    assert points(store) == {HOME: (2, 2), AWAY: (2, 2)}
    record(keeper, script.add(EventType.GAME_CANCELLED))  # an annulled result leaves
    await follow(keeper, store)
    assert points(store) == {HOME: (1, 1), AWAY: (1, 1)}


async def test_a_new_schedule_moves_the_result_to_its_season(make_store: Make) -> None:
    store = make_store()
    script = game("g1", (3, 0))
    keeper = keeper_with(script)
    await follow(keeper, store)
    moved = Schedule(HOME, AWAY, "Home FC", "Away", league="L", season="T")
    record(keeper, script.add(EventType.GAME_SCHEDULED, schedule=moved))
    await follow(keeper, store)
    assert points(store, "S") == {HOME: (0, 0), AWAY: (0, 0)}
    assert points(store, "T") == {HOME: (1, 3), AWAY: (1, 0)}
    assert store.standings("L", "T")["rows"][0]["team_name"] == "Home FC"


async def test_a_replayed_batch_is_not_counted_twice(make_store: Make) -> None:
    store = make_store()
    keeper = keeper_with(game("g1", (1, 0)))
    follower = await follow(keeper, store)
    notifications = keeper.recorder.select_notifications(1, 100)
    batch = [(keeper.mapper.to_domain_event(n), n.id) for n in notifications]
    with pytest.raises(IntegrityError):
        follower.projection.process(batch)
    assert points(store) == {HOME: (1, 3), AWAY: (1, 0)}


async def test_a_game_of_another_sport_is_left_out_of_a_table(make_store: Make) -> None:
    store = make_store()
    keeper = keeper_with(game("g1", (1, 0)), game("g2", (1, 0), sport=Sport.BASKETBALL))
    await follow(keeper, store)
    assert store.standings("L", "S")["sport"] == "soccer"
    assert points(store) == {HOME: (1, 3), AWAY: (1, 0)}
    assert store.game("g2").counted is None


async def test_a_rebuild_from_the_log_gives_the_same_tables(make_store: Make) -> None:
    first = make_store()
    script = game("g1", (2, 2))
    keeper = keeper_with(script, game("g2", (0, 1)))
    record(keeper, script.retract(script.events[2]))
    await follow(keeper, first)
    rebuilt = MemoryStandingsStore()
    await follow(keeper, rebuilt)
    assert rebuilt.standings("L", "S") == first.standings("L", "S")
