"""One contract for every player-stats store (memory, SQLite, PostgreSQL), and the
player-stats projection over each: game lines, season lines and tracking move together."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from adapters.memory_player_stats import MemoryPlayerStatsStore
from adapters.player_stats_store import open_sqlite_player_stats_store
from adapters.postgres_player_stats import open_postgres_player_stats
from domain.events import GameEvent, Schedule
from domain.player_stats import game_lines
from domain.scoreboard import Scoreboard
from domain.scorekeeper import Scorekeeper
from domain.season_lines import SeasonLine, contribution_of
from domain.sports import EventType, Sport
from projections.follower import LogFollower
from projections.player_stats import PlayerStatsGame, PlayerStatsProjection
from tests.game_events import AWAY, HOME, GameScript

Make = Callable[[], Any]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    memory = MemoryPlayerStatsStore()
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    schema = f"players_{uuid.uuid4().hex[:12]}"
    opened: list[Any] = []

    def make() -> Any:
        if request.param == "memory":
            return memory
        if request.param == "postgres":
            opened.append(open_postgres_player_stats(url, schema=schema))
            return opened[-1]
        return open_sqlite_player_stats_store(str(tmp_path / "player_stats.sqlite"))

    yield make
    for store in opened:
        store.datastore.close()


def game(
    game_id: str = "g1", scorers: tuple[str, ...] = ("p1", "p1", "p2"), *, final: bool = True
) -> GameScript:
    """A soccer game of league L, season S: each scorer scores for home (p1, p2, ...)
    or away (q...), a yellow card for q1."""
    script = GameScript(game_id, Sport.SOCCER)
    schedule = Schedule(HOME, AWAY, "Home", "Away", league="L", season="S")
    script.add(EventType.GAME_SCHEDULED, schedule=schedule)
    script.start()
    for player in scorers:
        team = HOME if player.startswith("p") else AWAY
        script.score(EventType.GOAL, team, player_id=player)
    script.add(EventType.YELLOW_CARD, team_id=AWAY, player_id="q1")
    if final:
        script.final()
    return script


def stored_game(script: GameScript) -> PlayerStatsGame:
    board = Scoreboard.scheduled(script.events[0])
    for version, event in enumerate(script.events, 1):
        board.apply(event, version)
    lines = game_lines(board)
    return PlayerStatsGame(board, lines, contribution_of(board, lines))


def season_lines(saved: PlayerStatsGame) -> list[SeasonLine]:
    assert saved.counted is not None
    return [
        SeasonLine("L", "S", line.player_id, Sport.SOCCER).plus(line, +1)
        for line in saved.counted.lines
    ]


# ------------------------------------------------------------------- store
def test_saved_games_and_season_lines_are_readable_with_their_position(make_store: Make) -> None:
    store = make_store()
    saved = stored_game(game())
    store.save({"g1": saved}, season_lines(saved), Tracking("log", 5))
    assert store.max_tracking_id("log") == 5
    assert store.game("g1") == saved
    assert store.season_line("L", "S", "p1") == SeasonLine(
        "L", "S", "p1", Sport.SOCCER, 1, {"goals": 2}, {HOME: 1}
    )
    assert store.leaders("L", "S", "goals", 10) == [("p1", HOME, 2), ("p2", HOME, 1)]
    assert store.leaders("L", "S", "goals", 1) == [("p1", HOME, 2)]
    assert store.leaders("L", "S", "games", 10) == [
        ("p1", HOME, 1),
        ("p2", HOME, 1),
        ("q1", AWAY, 1),
    ]
    assert store.leaders("L", "S", "points", 10) == []  # not a soccer stat
    assert store.leaders("L", "other", "goals", 10) == []
    player = store.player("p1", "S")
    assert player["seasons"] == [
        {"league": "L", "season": "S", "sport": "soccer", "player_id": "p1", "team_id": HOME,
         "games": 1, "stats": {"goals": 2}}
    ]  # fmt: skip
    assert player["games"] == [
        {"game_id": "g1", "player_id": "p1", "team_id": HOME, "league": "L", "season": "S",
         "sport": "soccer", "status": "FINAL", "stats": {"goals": 2}}
    ]  # fmt: skip
    assert store.player("p1") == player
    assert store.player("p1", "T") is None and store.player("nobody") is None
    assert sorted(line.player_id for line in store.team_players(HOME)) == ["p1", "p2"]
    assert store.game("nope") is None and store.season_line("L", "S", "x") is None


def test_a_position_is_never_applied_twice(make_store: Make) -> None:
    store = make_store()
    saved = stored_game(game())
    store.save({"g1": saved}, season_lines(saved), Tracking("log", 5))
    other = stored_game(game("g2", ("p3",)))
    with pytest.raises(IntegrityError):
        store.save({"g2": other}, season_lines(other), Tracking("log", 5))
    assert store.game("g2") is None and store.season_line("L", "S", "p3") is None
    assert store.leaders("L", "S", "goals", 10) == [("p1", HOME, 2), ("p2", HOME, 1)]
    assert store.max_tracking_id("log") == 5


def test_a_season_line_of_no_games_is_deleted(make_store: Make) -> None:
    store = make_store()
    saved = stored_game(game())
    store.save({"g1": saved}, season_lines(saved), Tracking("log", 5))
    assert saved.counted is not None
    gone = [
        line.plus(of, -1) for line, of in zip(season_lines(saved), saved.counted.lines, strict=True)
    ]
    store.save({}, gone, Tracking("log", 6))
    assert store.season_line("L", "S", "p1") is None
    assert store.leaders("L", "S", "goals", 10) == []
    assert store.player("p1")["seasons"] == []  # its game line stays


def test_player_stats_survive_reopening_and_reads_are_fresh(make_store: Make) -> None:
    saved = stored_game(game())
    make_store().save({"g1": saved}, season_lines(saved), Tracking("log", 5))
    again = make_store()
    assert again.game("g1") == saved
    assert again.max_tracking_id("log") == 5
    found = again.game("g1")
    found.board.apply(GameScript("g1").add(EventType.GAME_CANCELLED, sequence_number=99), 99)
    assert again.game("g1") == saved


def test_games_reads_many_games_with_their_lines_as_game_would(make_store: Make) -> None:
    store = make_store()
    saved, live = stored_game(game()), stored_game(game("g2", ("q2",), final=False))
    bare = GameScript("g3", Sport.SOCCER)  # scheduled only: no lines yet
    bare.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, "Home", "Away"))
    unplayed = stored_game(bare)
    assert not unplayed.lines
    games = {"g1": saved, "g2": live, "g3": unplayed}
    store.save(games, season_lines(saved), Tracking("log", 5))
    assert store.games([]) == {}
    # More ids than one SQLite statement binds: unknown ones are simply absent.
    ids = [f"unknown-{n}" for n in range(1200)] + ["g3", "g2", "g1"]
    found = store.games(ids)
    assert found == {g: store.game(g) for g in games}
    assert found == games
    found["g1"].board.apply(GameScript("g1").add(EventType.GAME_CANCELLED, sequence_number=99), 99)
    assert store.games({"g1"}) == {"g1": saved}  # fresh objects


# -------------------------------------------------------------- projection
def keeper_with(*scripts: GameScript) -> Scorekeeper:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    record(keeper, *(e for s in scripts for e in s.events))
    return keeper


def record(keeper: Scorekeeper, *events: GameEvent) -> None:
    verdicts = keeper.record(list(events))
    assert [v.outcome for v in verdicts] == ["recorded"] * len(events), verdicts


async def follow(keeper: Scorekeeper, store: Any, batch_size: int = 3) -> LogFollower:
    follower = LogFollower(keeper, PlayerStatsProjection(store, keeper.name), batch_size=batch_size)
    await follower.catch_up()
    return follower


def goals(store: Any) -> dict[str, int]:
    return {p: v for p, _, v in store.leaders("L", "S", "goals", 100)}


async def test_lines_are_live_and_seasons_follow_the_final(make_store: Make) -> None:
    store = make_store()
    live = game("g1", ("p1",), final=False)
    keeper = keeper_with(live)
    await follow(keeper, store)
    assert store.player("p1")["games"][0]["stats"] == {"goals": 1}
    assert store.player("p1")["games"][0]["status"] == "LIVE"
    assert store.player("p1")["seasons"] == [] and goals(store) == {}
    record(keeper, live.final())
    await follow(keeper, store)
    assert goals(store) == {"p1": 1}
    assert store.season_line("L", "S", "q1").stats == {"yellow_cards": 1}


async def test_corrections_after_final_re_aggregate_the_game(make_store: Make) -> None:
    store = make_store()
    script = game("g1", ("p1", "p1"))
    keeper = keeper_with(script, game("g2", ("p1", "p2")))
    await follow(keeper, store)
    assert goals(store) == {"p1": 3, "p2": 1}
    first = next(e for e in script.events if e.event_type == EventType.GOAL)
    record(keeper, script.correct(first, player_id="p2"))
    await follow(keeper, store)
    assert goals(store) == {"p1": 2, "p2": 2}
    record(keeper, script.correct(first, event_type=EventType.OWN_GOAL, team_id=HOME))
    await follow(keeper, store)
    assert goals(store) == {"p1": 2, "p2": 1}
    assert store.season_line("L", "S", "p2").stats == {"goals": 1, "own_goals": 1}
    record(keeper, script.retract(first))
    await follow(keeper, store)
    assert store.season_line("L", "S", "p2").stats == {"goals": 1}
    record(keeper, script.add(EventType.GAME_CANCELLED))  # an annulled game leaves
    await follow(keeper, store)
    assert goals(store) == {"p1": 1, "p2": 1}
    assert store.season_line("L", "S", "p1").games == 1


async def test_a_replayed_batch_is_not_counted_twice(make_store: Make) -> None:
    store = make_store()
    keeper = keeper_with(game("g1"))
    follower = await follow(keeper, store)
    notifications = keeper.recorder.select_notifications(1, 100)
    batch = [(keeper.mapper.to_domain_event(n), n.id) for n in notifications]
    with pytest.raises(IntegrityError):
        follower.projection.process(batch)
    assert goals(store) == {"p1": 2, "p2": 1}


async def test_a_rebuild_in_other_batches_gives_the_same_rows(make_store: Make) -> None:
    first = make_store()
    script = game("g1", ("p1", "q2", "p2"))
    keeper = keeper_with(script, game("g2", ("p1",), final=False))
    record(
        keeper, script.retract(script.events[2]), script.correct(script.events[3], player_id="q3")
    )
    await follow(keeper, first, batch_size=2)
    rebuilt = MemoryPlayerStatsStore()
    await follow(keeper, rebuilt, batch_size=500)
    for player in ("p1", "p2", "q1", "q2", "q3"):
        assert rebuilt.player(player) == first.player(player), player
    assert rebuilt.leaders("L", "S", "games", 10) == first.leaders("L", "S", "games", 10)


# ------------------------------------------------------------------- names
def test_names_are_saved_with_the_batch_and_read_back(make_store: Make) -> None:
    store = make_store()
    saved = stored_game(game())
    names = {"p1": "Pia Ölund", "q1": "Quinn"}
    store.save({"g1": saved}, season_lines(saved), Tracking("log", 5), names=names)
    assert store.player("p1")["name"] == "Pia Ölund"
    assert store.player("p2")["name"] is None  # a line, but no event named them
    assert store.player("nobody") is None
    ids = [f"unknown-{n}" for n in range(1200)] + ["q1", "p1", "p2"]
    assert store.player_names(ids) == names
    assert store.player_names([]) == {}
    with pytest.raises(IntegrityError):  # a stale batch writes no name either
        store.save({}, [], Tracking("log", 5), names={"p1": "Stale", "p2": "Stale"})
    store.save({}, [], Tracking("log", 6), names={"p1": "Pia Olund"})
    store.save({}, [], Tracking("log", 7))  # (no names: they stay)
    assert make_store().player_names(ids) == {"p1": "Pia Olund", "q1": "Quinn"}
    assert make_store().player("p1", "S")["name"] == "Pia Olund"


def named_game(game_id: str, names: dict[str, str], *, final: bool = True) -> GameScript:
    """A soccer game of league L, season S: a goal by each named player (p... home)."""
    script = GameScript(game_id, Sport.SOCCER)
    schedule = Schedule(HOME, AWAY, "Home", "Away", league="L", season="S")
    script.add(EventType.GAME_SCHEDULED, schedule=schedule)
    script.start()
    for player, name in names.items():
        team = HOME if player.startswith("p") else AWAY
        script.score(EventType.GOAL, team, player_id=player, player_name=name)
    if final:
        script.final()
    return script


async def test_a_player_s_name_is_the_latest_in_log_order(make_store: Make) -> None:
    store = make_store()
    first = named_game("g1", {"p1": "P. One", "p2": "P. Two"}, final=False)
    keeper = keeper_with(first, named_game("g2", {"p1": "Pia One"}))
    await follow(keeper, store, batch_size=2)
    assert store.player("p1")["name"] == "Pia One"  # g2's goal came later in the log
    assert store.player("p2")["name"] == "P. Two"
    record(keeper, first.final())
    goal = next(e for e in first.events if e.player_id == "p1")
    record(keeper, first.correct(goal, player_name="Pia O."))  # names the play's player
    await follow(keeper, store)
    assert store.player("p1")["name"] == "Pia O."
    record(keeper, first.correct(goal, player_id="q5"))  # another player, no name given
    await follow(keeper, store)
    assert store.player("q5")["name"] is None and store.player("p1")["name"] == "Pia O."
    record(keeper, first.correct(goal, player_id="q6", player_name="Quinn Six"))
    await follow(keeper, store)
    assert store.player("q6")["name"] == "Quinn Six"
    rebuilt = MemoryPlayerStatsStore()
    await follow(keeper, rebuilt, batch_size=500)
    for player in ("p1", "p2", "q5", "q6"):
        assert rebuilt.player(player) == store.player(player), player
