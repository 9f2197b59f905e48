"""adapters.simulator: scripted demo games that the real Scorekeeper records cleanly."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters.simulator import (
    DEMO_LEAGUE,
    DEMO_SEASON,
    ScriptedEvent,
    demo_slate,
    simulate_game,
)
from domain.events import GameEvent
from domain.scoreboard import Scoreboard
from domain.scorekeeper import Scorekeeper
from domain.sports import RULES, EventType, Sport

NATIVE_KEYS = {
    "event_id",
    "game_id",
    "sport",
    "sequence_number",
    "event_type",
    "team_id",
    "player_id",
    "clock_seconds",
    "period",
    "description",
    "created_at",
    "references_event_id",
}
LIFECYCLE = {
    EventType.GAME_SCHEDULED,
    EventType.GAME_STARTED,
    EventType.PERIOD_START,
    EventType.PERIOD_END,
    EventType.GAME_FINAL,
}
PERIOD_SECONDS = {
    Sport.SOCCER: (2700, 900),
    Sport.BASKETBALL: (720, 300),
    Sport.AMERICAN_FOOTBALL: (900, 600),
    Sport.ICE_HOCKEY: (1200, 1200),
}
CLOCK_FREE = (EventType.GAME_SCHEDULED, EventType.GAME_STARTED, EventType.GAME_FINAL)

# Seeds known to need overtime (and two overtimes), so those paths are always tested.
OVERTIME_SEEDS = [
    (Sport.BASKETBALL, 8),
    (Sport.BASKETBALL, 419),
    (Sport.AMERICAN_FOOTBALL, 26),
    (Sport.AMERICAN_FOOTBALL, 28),
    (Sport.ICE_HOCKEY, 0),
    (Sport.ICE_HOCKEY, 107),
]

sports = st.sampled_from(list(Sport))
seeds = st.integers(min_value=0, max_value=2**32 - 1)
durations = st.floats(min_value=20.0, max_value=600.0, allow_nan=False, allow_infinity=False)


# ----------------------------------------------------------------- helpers


def _types(script: Sequence[ScriptedEvent]) -> list[EventType]:
    return [EventType(s.event["event_type"]) for s in script]


def _retracted(script: Sequence[ScriptedEvent]) -> set[str]:
    return {
        s.event["references_event_id"]
        for s in script
        if s.event["event_type"] == EventType.EVENT_RETRACTED.value
    }


def _score(
    sport: Sport, script: Sequence[ScriptedEvent], *, up_to_period: int | None = None
) -> tuple[int, int]:
    """(home, away) from the script alone: points of the non-retracted scoring events."""
    rules = RULES[sport]
    home_id = script[0].event["schedule"]["home_team_id"]
    gone = _retracted(script)
    home = away = 0
    for s in script:
        e = s.event
        kind = EventType(e["event_type"])
        if kind not in rules.points or e["event_id"] in gone:
            continue
        if up_to_period is not None and e["period"] > up_to_period:
            continue
        for_home = e["team_id"] == home_id
        if kind in rules.scores_for_opponent:
            for_home = not for_home
        if for_home:
            home += rules.points[kind]
        else:
            away += rules.points[kind]
    return home, away


def _record(script: Sequence[ScriptedEvent], keeper: Scorekeeper | None = None) -> Scoreboard:
    """Feed a script in order to a (fresh) POPO Scorekeeper; every event must be recorded."""
    keeper = keeper or Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    verdicts = keeper.record([GameEvent.from_dict(dict(s.event)) for s in script])
    problems = [
        f"{v.event_id}: {v.outcome} {v.reason}" for v in verdicts if v.outcome != "recorded"
    ]
    assert problems == []
    board = keeper.scoreboard(script[0].event["game_id"])
    assert board is not None
    return board


def _last_period(script: Sequence[ScriptedEvent]) -> int:
    return max(s.event["period"] or 0 for s in script)


# -------------------------------------------------------- recorded cleanly


@settings(max_examples=40, deadline=None)
@given(sport=sports, seed=seeds, duration=durations)
@example(sport=Sport.SOCCER, seed=27, duration=180.0)  # a penalty and a goal ruled out
@example(sport=Sport.BASKETBALL, seed=419, duration=180.0)  # double overtime
def test_every_scripted_game_records_cleanly_and_its_score_adds_up(
    sport: Sport, seed: int, duration: float
) -> None:
    script = simulate_game(sport, f"g-{seed}", seed=seed, duration=duration)
    board = _record(script)
    state = board.public()
    assert state["status"] == "FINAL"
    assert (state["home_score"], state["away_score"]) == _score(sport, script)
    assert state["current_period"] == _last_period(script)
    assert state["league"] == DEMO_LEAGUE and state["season"] == DEMO_SEASON


@pytest.mark.parametrize(("sport", "seed"), OVERTIME_SEEDS)
def test_known_overtime_games_record_cleanly(sport: Sport, seed: int) -> None:
    script = simulate_game(sport, "ot", seed=seed)
    assert _last_period(script) > RULES[sport].regulation_periods
    state = _record(script).public()
    assert state["status"] == "FINAL"
    assert (state["home_score"], state["away_score"]) == _score(sport, script)
    assert state["home_score"] != state["away_score"]


# ------------------------------------------------------------------ shape


@settings(max_examples=40, deadline=None)
@given(sport=sports, seed=seeds, duration=durations)
def test_script_shape(sport: Sport, seed: int, duration: float) -> None:
    game_id = "shape-1"
    script = simulate_game(sport, game_id, seed=seed, duration=duration)
    ats = [s.at for s in script]
    assert ats == sorted(ats)
    assert all(0.0 <= at <= duration for at in ats)
    assert ats[0] == 0.0 and ats[-1] == duration

    events = [s.event for s in script]
    assert [e["sequence_number"] for e in events] == list(range(1, len(events) + 1))
    assert [e["event_id"] for e in events] == [f"{game_id}-{n}" for n in range(1, len(events) + 1)]
    assert json.loads(json.dumps(events)) == events
    for e in events:
        extra = {"schedule"} if e["event_type"] == EventType.GAME_SCHEDULED.value else set()
        if e["player_id"] is not None:  # every simulated player has a name
            extra.add("player_name")
            assert e["player_name"].strip()
        assert set(e) == NATIVE_KEYS | extra
        assert e["game_id"] == game_id and e["sport"] == sport.value
        assert e["created_at"] is None
        assert (e["references_event_id"] is not None) == (
            e["event_type"] == EventType.EVENT_RETRACTED.value
        )

    types = _types(script)
    assert types[0] == EventType.GAME_SCHEDULED and types[1] == EventType.GAME_STARTED
    assert types[-1] == EventType.GAME_FINAL
    assert types.count(EventType.GAME_SCHEDULED) == types.count(EventType.GAME_STARTED) == 1
    assert types.count(EventType.GAME_FINAL) == 1

    # Periods run 1, 2, ... each opened and closed once, in order, and nothing in play
    # happens outside a period.
    boundaries = [
        (kind, e["period"])
        for kind, e in zip(types, events, strict=True)
        if kind in (EventType.PERIOD_START, EventType.PERIOD_END)
    ]
    last = _last_period(script)
    assert last >= RULES[sport].regulation_periods
    assert boundaries == [
        (kind, n)
        for n in range(1, last + 1)
        for kind in (EventType.PERIOD_START, EventType.PERIOD_END)
    ]
    current: int | None = None
    for kind, e in zip(types, events, strict=True):
        if kind == EventType.PERIOD_START:
            current = e["period"]
        elif kind == EventType.PERIOD_END:
            current = None
        elif kind not in LIFECYCLE:
            assert current is not None and e["period"] == current, e

    # The clock reads as the sport shows it and only ever runs one way within a period.
    regulation, overtime = PERIOD_SECONDS[sport]
    for period, group in groupby(
        (e for kind, e in zip(types, events, strict=True) if kind not in CLOCK_FREE),
        key=lambda e: e["period"],
    ):
        clocks = [e["clock_seconds"] for e in group]
        assert all(isinstance(c, int) for c in clocks)
        if sport == Sport.SOCCER:
            start = regulation * (period - 1)
            assert clocks == sorted(clocks) and clocks[0] == start
            assert clocks[-1] <= start + regulation + 8 * 60  # stoppage time
        else:
            full = regulation if period <= RULES[sport].regulation_periods else overtime
            assert clocks == sorted(clocks, reverse=True) and clocks[0] == full
            assert clocks[-1] >= 0
    for kind, e in zip(types, events, strict=True):
        if kind in CLOCK_FREE:
            assert e["clock_seconds"] is None and e["period"] is None

    teams = {events[0]["schedule"]["home_team_id"], events[0]["schedule"]["away_team_id"]}
    for kind, e in zip(types, events, strict=True):
        if kind in RULES[sport].points:
            assert e["team_id"] in teams and e["player_id"]
        if e["player_id"] is not None:
            assert e["team_id"] in teams
            assert e["player_id"].startswith(f"{e['team_id']}-")


# --------------------------------------------------------------- overtime


@settings(max_examples=40, deadline=None)
@given(sport=sports, seed=seeds)
@example(sport=Sport.BASKETBALL, seed=8)
@example(sport=Sport.AMERICAN_FOOTBALL, seed=26)
@example(sport=Sport.ICE_HOCKEY, seed=0)
def test_a_game_tied_after_regulation_goes_to_overtime(sport: Sport, seed: int) -> None:
    script = simulate_game(sport, "ot", seed=seed)
    regulation = RULES[sport].regulation_periods
    home, away = _score(sport, script, up_to_period=regulation)
    final_home, final_away = _score(sport, script)
    last = _last_period(script)
    if sport == Sport.SOCCER:
        assert last == regulation  # a league game: a draw stays a draw
    elif home == away:
        assert last > regulation
        assert final_home != final_away
        # Overtime lasts only until someone leads: every overtime but the last ends level.
        for period in range(regulation + 1, last):
            level = _score(sport, script, up_to_period=period)
            assert level[0] == level[1]
    else:
        assert last == regulation
        assert (final_home, final_away) == (home, away)
    if sport in (Sport.AMERICAN_FOOTBALL, Sport.ICE_HOCKEY) and last > regulation:
        # Sudden death: the overtime's only score is the game's last play.
        overtime = [
            e
            for e in (s.event for s in script)
            if (e["period"] or 0) > regulation and EventType(e["event_type"]) in RULES[sport].points
        ]
        assert len(overtime) == 1
        assert script[-3].event == overtime[0]  # then PERIOD_END, GAME_FINAL


# ---------------------------------------------------------- sport details


@settings(max_examples=40, deadline=None)
@given(seed=seeds)
@example(seed=26)  # a walk-off touchdown in overtime
def test_football_touchdowns_are_followed_by_a_try(seed: int) -> None:
    script = simulate_game(Sport.AMERICAN_FOOTBALL, "nfl", seed=seed)
    events = [s.event for s in script]
    tries = (EventType.EXTRA_POINT.value, EventType.TWO_POINT_CONVERSION.value)
    for index, e in enumerate(events):
        if e["event_type"] == EventType.TOUCHDOWN.value:
            after = events[index + 1]
            if after["event_type"] == EventType.PERIOD_END.value:
                assert e["period"] > RULES[Sport.AMERICAN_FOOTBALL].regulation_periods  # walk-off
                continue
            assert after["event_type"] in tries
            assert after["team_id"] == e["team_id"]
            assert after["clock_seconds"] == e["clock_seconds"]
        if e["event_type"] in tries:
            assert events[index - 1]["event_type"] == EventType.TOUCHDOWN.value


@settings(max_examples=40, deadline=None)
@given(seed=seeds)
@example(seed=27)
def test_a_soccer_goal_ruled_out_is_retracted_a_few_demo_seconds_later(seed: int) -> None:
    script = simulate_game(Sport.SOCCER, "var", seed=seed)
    by_id = {s.event["event_id"]: s for s in script}
    retractions = [s for s in script if s.event["event_type"] == EventType.EVENT_RETRACTED.value]
    assert len(retractions) <= 1
    for retraction in retractions:
        goal = by_id[retraction.event["references_event_id"]]
        assert goal.event["event_type"] == EventType.GOAL.value
        assert goal.event["sequence_number"] < retraction.event["sequence_number"]
        assert goal.event["team_id"] == retraction.event["team_id"]
        assert goal.event["period"] == retraction.event["period"]
        assert 0.5 <= retraction.at - goal.at <= 10.0
    # Substitutes do not feature before they come on; each side makes at most five changes.
    subs = [s.event for s in script if s.event["event_type"] == EventType.SUBSTITUTION.value]
    assert all(n <= 5 for n in Counter(e["team_id"] for e in subs).values())
    came_on = {e["player_id"]: e["sequence_number"] for e in subs}
    assert len(came_on) == len(subs)
    for s in script:
        player, seq = s.event["player_id"], s.event["sequence_number"]
        if player in came_on:
            assert seq >= came_on[player]


def test_realistic_scoring_rates() -> None:
    n = 50
    points: dict[Sport, list[int]] = {sport: [] for sport in Sport}
    kinds: dict[Sport, Counter[EventType]] = {sport: Counter() for sport in Sport}
    ruled_out = 0
    for sport in Sport:
        for seed in range(n):
            script = simulate_game(sport, "rates", seed=seed)
            points[sport].extend(_score(sport, script))
            kinds[sport].update(_types(script))
            ruled_out += bool(_retracted(script))
    per_team = {sport: statistics.mean(p) for sport, p in points.items()}
    assert 1.1 <= per_team[Sport.SOCCER] <= 1.7  # ~2.7 goals a game
    assert 100 <= per_team[Sport.BASKETBALL] <= 120
    assert 17 <= per_team[Sport.AMERICAN_FOOTBALL] <= 26
    assert 2.5 <= per_team[Sport.ICE_HOCKEY] <= 3.6
    assert 0.1 <= ruled_out / n <= 0.6

    soccer = kinds[Sport.SOCCER]
    assert soccer[EventType.PENALTY_GOAL] > 0 and soccer[EventType.OWN_GOAL] > 0
    assert soccer[EventType.OWN_GOAL] + soccer[EventType.PENALTY_GOAL] < soccer[EventType.GOAL] / 3
    for incident in (EventType.FOUL, EventType.YELLOW_CARD, EventType.SUBSTITUTION):
        assert soccer[incident] > n
    basketball = kinds[Sport.BASKETBALL]
    made = {k: basketball[k] / n / 2 for k in RULES[Sport.BASKETBALL].points}
    assert 9 <= made[EventType.THREE_POINTER] <= 16
    assert 22 <= made[EventType.TWO_POINTER] <= 34
    assert 12 <= made[EventType.FREE_THROW] <= 22
    football = kinds[Sport.AMERICAN_FOOTBALL]
    assert 1.8 <= football[EventType.TOUCHDOWN] / n / 2 <= 3.2
    assert 1.0 <= football[EventType.FIELD_GOAL] / n / 2 <= 2.2
    assert football[EventType.TWO_POINT_CONVERSION] < football[EventType.EXTRA_POINT]
    assert football[EventType.SAFETY] < n / 4
    for sport in (Sport.BASKETBALL, Sport.AMERICAN_FOOTBALL):
        assert kinds[sport][EventType.TIMEOUT] > n
    for sport in Sport:
        assert kinds[sport][EventType.CLOCK_UPDATE] > 20 * n


# ------------------------------------------------------------------ API


def test_the_same_seed_gives_the_same_script() -> None:
    for sport in Sport:
        first = simulate_game(sport, "det", seed=7, duration=90.0)
        assert first == simulate_game(sport, "det", seed=7, duration=90.0)
        assert first != simulate_game(sport, "det", seed=8, duration=90.0)
    assert demo_slate(3) == demo_slate(3)


def test_demo_slate_plays_one_game_of_each_sport_through_one_scorekeeper() -> None:
    slate = demo_slate(2026, duration=60.0)
    assert [game_id for game_id, _ in slate] == [
        "demo-soccer-1",
        "demo-basketball-1",
        "demo-american-football-1",
        "demo-ice-hockey-1",
    ]
    for (game_id, script), sport in zip(slate, Sport, strict=True):
        schedule = script[0].event["schedule"]
        assert script[0].event["sport"] == sport.value
        assert all(s.event["game_id"] == game_id for s in script)
        assert schedule["league"] == DEMO_LEAGUE and schedule["season"] == DEMO_SEASON
        assert schedule["home_team_id"] != schedule["away_team_id"]
        assert schedule["home_team_name"] and schedule["away_team_name"] and schedule["venue"]
    # Deliver as the demo driver would: everything due in the same demo second, together.
    merged = sorted(
        (s for _, script in slate for s in script), key=lambda s: (s.at, s.event["game_id"])
    )
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for _, batch in groupby(merged, key=lambda s: math.floor(s.at)):
        verdicts = keeper.record([GameEvent.from_dict(dict(s.event)) for s in batch])
        assert [v.outcome for v in verdicts if v.outcome != "recorded"] == []
    for game_id, script in slate:
        board = keeper.scoreboard(game_id)
        assert board is not None
        state = board.public()
        assert state["status"] == "FINAL"
        assert (state["home_score"], state["away_score"]) == _score(Sport(state["sport"]), script)


def test_native_format_accepts_every_scripted_event() -> None:
    from adapters.native_format import parse

    for game_id, script in demo_slate(5):
        body = json.dumps([s.event for s in script]).encode()
        events = parse(body, provider="demo", max_events=len(script))
        assert [e.event_id for e in events] == [s.event["event_id"] for s in script]
        assert all(e.game_id == game_id for e in events)


def test_kickoff_stamps_created_at_and_start_time() -> None:
    kickoff = datetime(2026, 5, 1, 19, 30, tzinfo=UTC)
    script = simulate_game(Sport.ICE_HOCKEY, "stamped", seed=1, duration=120.0, kickoff=kickoff)
    for s in script:
        assert datetime.fromisoformat(s.event["created_at"]) == kickoff + timedelta(seconds=s.at)
    started = next(s for s in script if s.event["event_type"] == EventType.GAME_STARTED.value)
    assert script[0].event["schedule"]["start_time"] == started.event["created_at"]
    state = _record(script).public()
    assert state["start_time"] == started.event["created_at"]
    assert state["end_time"] == (kickoff + timedelta(seconds=120.0)).isoformat()


def test_teams_and_league_can_be_chosen() -> None:
    script = simulate_game(
        Sport.BASKETBALL,
        "custom",
        seed=4,
        home=("hoopers", "Springfield Hoopers"),
        away=("desert-vipers", "Phoenix Desert Vipers"),
        league="friendlies",
    )
    schedule = script[0].event["schedule"]
    assert (schedule["home_team_id"], schedule["home_team_name"]) == (
        "hoopers",
        "Springfield Hoopers",
    )
    assert schedule["away_team_id"] == "desert-vipers"
    assert schedule["venue"] == "Springfield Hoopers Arena"
    assert schedule["league"] == "friendlies"
    players = {s.event["player_id"] for s in script if s.event["team_id"] == "hoopers"}
    assert any(p and p.startswith("hoopers-") for p in players)
    # Only one side given: the other is drawn from the built-in teams, never the same.
    for seed in range(10):
        chosen = simulate_game(
            Sport.SOCCER, "half", seed=seed, away=("riverside-fc", "Riverside FC")
        )[0].event["schedule"]
        assert chosen["away_team_id"] == "riverside-fc"
        assert chosen["home_team_id"] != "riverside-fc"


@pytest.mark.parametrize("duration", [0.0, -5.0, math.nan, math.inf])
def test_a_duration_must_be_positive_and_finite(duration: float) -> None:
    with pytest.raises(ValueError, match="duration"):
        simulate_game(Sport.SOCCER, "bad", seed=1, duration=duration)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"game_id": "has space"},
        {"game_id": ""},
        {"home": ("same", "Same FC"), "away": ("same", "Same FC")},
        {"home": ("bad id", "Bad FC")},
    ],
)
def test_bad_ids_are_refused(kwargs: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"game_id": "ok", **kwargs}
    with pytest.raises(ValueError):
        simulate_game(Sport.SOCCER, seed=1, **arguments)


def test_a_tiny_duration_still_gives_a_whole_game() -> None:
    script = simulate_game(Sport.SOCCER, "tiny", seed=3, duration=1.0)
    assert script[-1].at == 1.0
    assert EventType.CLOCK_UPDATE not in _types(script)  # no room for clock ticks
    assert _record(script).public()["status"] == "FINAL"
