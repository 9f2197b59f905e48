"""adapters.espn_scoreboard: polled ESPN scoreboards diff into events the Scorekeeper accepts,
and after every snapshot Scoreline shows each game exactly as ESPN does."""

from __future__ import annotations

import contextlib
import copy
import json
from collections import Counter
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.espn_scoreboard import EspnScoreboardFormatError, ScoreboardDiffer, convert
from adapters.native_format import parse
from domain.scorekeeper import Scorekeeper
from tests.json_values import JSON
from tests.shared_data import shared_file

REAL = "american-football/espn/nfl-2022-week11.scoreboard.json"
STATUS = {"pre": "SCHEDULED", "in": "LIVE", "post": "FINAL"}

# Games of the real snapshot (ESPN event ids).
ATL_CHI = "401437845"  # in, Q2 11:50, ATL (home, team 1) 7 - 7 CHI (team 3)
BUF_CLE = "401437847"  # in, Q2 8:17, BUF (2) 3 - 10 CLE (5)
IND_PHI = "401437849"  # in, Q2 6:22, IND 7 - 0 PHI
NYG_DET = "401437852"  # in, Q2 8:27, NYG (19) 6 - 3 DET (8): a touchdown without its try
HOU_WSH = "401437848"  # in, Q2 11:44, HOU 0 - 14 WSH (28)
DEN_LV = "401437853"  # pre
GB_TEN = "401437844"  # post, GB (9) 17 - 27 TEN (10)


# ------------------------------------------------------------------ snapshots
@cache
def _real_text() -> str:
    return shared_file(REAL).read_text(encoding="utf-8")


def _real() -> dict[str, Any]:
    """A fresh copy of the real snapshot, to edit."""
    data: dict[str, Any] = json.loads(_real_text())
    return data


def _event(snapshot: Mapping[str, Any], espn_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in snapshot["events"] if e["id"] == espn_id)
    return found


def _edit(
    snapshot: dict[str, Any],
    espn_id: str,
    *,
    state: str | None = None,
    period: int | None = None,
    clock: str | None = None,
    home: int | None = None,
    away: int | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """``snapshot``, with one game's status and scores changed in place (as ESPN would)."""
    event = _event(snapshot, espn_id)
    competition = event["competitions"][0]
    for status in (event["status"], competition["status"]):
        if state is not None:
            status["type"]["state"] = state
        if name is not None:
            status["type"]["name"] = name
        if period is not None:
            status["period"] = period
        if clock is not None:
            status["displayClock"] = clock
    for competitor in competition["competitors"]:
        score = home if competitor["homeAway"] == "home" else away
        if score is not None:
            competitor["score"] = str(score)
    return snapshot


def _game(
    espn_id: str = "1",
    state: str = "in",
    period: int = 1,
    clock: str = "15:00",
    home: int | str | None = 0,
    away: int | str | None = 0,
) -> dict[str, Any]:
    """A small, well-formed ESPN scoreboard event (home team "10", away team "20")."""
    status = {"period": period, "displayClock": clock, "type": {"state": state}}
    sides = []
    for side, team, score in (("home", "10", home), ("away", "20", away)):
        competitor: dict[str, Any] = {
            "homeAway": side,
            "team": {"id": team, "displayName": f"Team {team}"},
        }
        if score is not None:
            competitor["score"] = str(score)
        sides.append(competitor)
    return {
        "id": espn_id,
        "date": "2022-11-20T18:00Z",
        "season": {"year": 2022},
        "status": status,
        "competitions": [{"venue": {"fullName": "Field"}, "competitors": sides}],
    }


def _snapshot(*games: dict[str, Any]) -> dict[str, Any]:
    return {"leagues": [{"slug": "nfl"}], "events": list(games)}


# ------------------------------------------------------------------ replaying
class Replay:
    """A differ fed snapshot after snapshot, every event recorded as ingestion would."""

    def __init__(self) -> None:
        self.differ = ScoreboardDiffer()
        self.keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.sent: dict[str, list[dict[str, Any]]] = {}

    def feed(self, snapshot: dict[str, Any]) -> list[dict[str, Any]]:
        events = self.differ.diff(snapshot)
        self._check_structure(events, snapshot)
        if events:
            parsed = parse(json.dumps(events).encode(), provider="espn", max_events=10_000)
            verdicts = self.keeper.record(parsed)
            problems = [f"{v.event_id}: {v.outcome} {v.reason}" for v in verdicts]
            assert [v.outcome for v in verdicts] == ["recorded"] * len(events), problems
        self.check(snapshot)
        return events

    def board(self, espn_id: str) -> dict[str, Any]:
        board = self.keeper.scoreboard(f"espn-{espn_id}")
        assert board is not None
        return board.public()

    def check(self, snapshot: Mapping[str, Any]) -> None:
        """The invariant: every game of the snapshot shows on Scoreline as on ESPN."""
        for event in snapshot["events"]:
            state = self.board(event["id"])
            status = event["status"]
            sides = {c["homeAway"]: c for c in event["competitions"][0]["competitors"]}
            espn = (int(sides["home"].get("score") or 0), int(sides["away"].get("score") or 0))
            assert (state["home_score"], state["away_score"]) == espn, event["id"]
            assert state["status"] == STATUS[status["type"]["state"]], event["id"]
            if status["type"]["state"] != "pre":
                assert state["current_period"] == status["period"]
                minutes, seconds = status["displayClock"].split(":")
                assert state["clock_seconds"] == int(minutes) * 60 + int(seconds)

    def _check_structure(self, events: list[dict[str, Any]], snapshot: Mapping[str, Any]) -> None:
        teams = {
            f"espn-{e['id']}": {c["team"]["id"] for c in e["competitions"][0]["competitors"]}
            for e in snapshot["events"]
        }
        for event in events:
            game = self.sent.setdefault(event["game_id"], [])
            assert event["sequence_number"] == len(game) + 1
            assert event["event_id"] == f"{event['game_id']}:{event['sequence_number']}"
            assert event["sport"] == "american_football"
            assert event["team_id"] is None or event["team_id"] in teams[event["game_id"]]
            if not game:
                assert event["event_type"] == "GAME_SCHEDULED"
            game.append(event)


def _kinds(events: list[dict[str, Any]], espn_id: str | None = None) -> list[str]:
    return [e["event_type"] for e in events if espn_id is None or e["game_id"] == f"espn-{espn_id}"]


def _plays(events: list[dict[str, Any]], espn_id: str) -> list[tuple[str, str | None]]:
    lifecycle = {"GAME_SCHEDULED", "GAME_STARTED", "PERIOD_START", "PERIOD_END", "CLOCK_UPDATE"}
    lifecycle |= {"GAME_FINAL"}
    return [
        (e["event_type"], e["team_id"])
        for e in events
        if e["game_id"] == f"espn-{espn_id}" and e["event_type"] not in lifecycle
    ]


# ------------------------------------------------------------------ real snapshot
def test_real_snapshot_gives_every_game_its_real_score_and_state() -> None:
    replay = Replay()
    events = replay.feed(_real())  # checks the invariant for all of them
    assert len(replay.differ.game_ids()) == 14
    states = Counter(replay.board(e["id"])["status"] for e in _real()["events"])
    assert states == {"LIVE": 8, "SCHEDULED": 5, "FINAL": 1}
    gb = replay.board(GB_TEN)
    assert (gb["home_score"], gb["away_score"], gb["status"]) == (17, 27, "FINAL")
    assert (gb["home_team_name"], gb["away_team_name"]) == ("Green Bay Packers", "Tennessee Titans")
    atl = next(e for e in events if e["game_id"] == f"espn-{ATL_CHI}")
    assert atl["schedule"] == {
        "home_team_id": "1",
        "away_team_id": "3",
        "home_team_name": "Atlanta Falcons",
        "away_team_name": "Chicago Bears",
        "venue": "Mercedes-Benz Stadium",
        "start_time": "2022-11-20T18:00Z",
        "league": "nfl",
        "season": "2022",
    }
    assert replay.board(ATL_CHI)["clock_seconds"] == 11 * 60 + 50
    assert replay.board(ATL_CHI)["period_name"] == "Q2"
    # A game first seen in progress gets the lifecycle that leads to its state.
    assert _kinds(events, ATL_CHI)[:5] == [
        "GAME_SCHEDULED",
        "GAME_STARTED",
        "PERIOD_START",
        "PERIOD_END",
        "PERIOD_START",
    ]
    assert _kinds(events, DEN_LV) == ["GAME_SCHEDULED"]
    gb_kinds = _kinds(events, GB_TEN)
    assert gb_kinds.count("PERIOD_START") == 4 and gb_kinds[-2:] == ["PERIOD_END", "GAME_FINAL"]
    # Totals became the scoring plays they must be.
    assert _plays(events, NYG_DET) == [("TOUCHDOWN", "19"), ("FIELD_GOAL", "8")]
    assert _plays(events, HOU_WSH) == [("TOUCHDOWN", "28"), ("EXTRA_POINT", "28")] * 2
    assert Counter(_plays(events, GB_TEN)) == {
        ("TOUCHDOWN", "9"): 2,
        ("EXTRA_POINT", "9"): 2,
        ("FIELD_GOAL", "9"): 1,
        ("TOUCHDOWN", "10"): 4,
        ("EXTRA_POINT", "10"): 3,
    }


def test_the_same_snapshot_twice_gives_nothing_new() -> None:
    replay = Replay()
    assert replay.feed(_real())
    assert replay.feed(_real()) == []
    assert convert([_real(), _real()]) == convert([_real()])


def test_a_sunday_afternoon_of_polls() -> None:
    replay = Replay()
    snapshot = _real()
    replay.feed(snapshot)

    # DEN v LV kicks off; ATL scores a touchdown and its extra point.
    _edit(snapshot, DEN_LV, state="in", period=1, clock="15:00", name="STATUS_IN_PROGRESS")
    _edit(snapshot, ATL_CHI, clock="9:02", home=14)
    events = replay.feed(snapshot)
    assert _kinds(events, DEN_LV) == ["GAME_STARTED", "PERIOD_START", "CLOCK_UPDATE"]
    assert _plays(events, ATL_CHI) == [("TOUCHDOWN", "1"), ("EXTRA_POINT", "1")]
    touchdown = next(e for e in events if e["event_type"] == "TOUCHDOWN")
    assert (touchdown["period"], touchdown["clock_seconds"]) == (2, 9 * 60 + 2)

    # ...then a field goal, then a safety; the clock alone moves elsewhere.
    _edit(snapshot, ATL_CHI, clock="4:40", home=17)
    _edit(snapshot, IND_PHI, clock="2:00")
    events = replay.feed(snapshot)
    assert _plays(events, ATL_CHI) == [("FIELD_GOAL", "1")]
    assert _kinds(events, IND_PHI) == ["CLOCK_UPDATE"]
    _edit(snapshot, ATL_CHI, clock="1:10", home=19)
    assert _plays(replay.feed(snapshot), ATL_CHI) == [("SAFETY", "1")]

    # ESPN takes back the Giants' touchdown: the score drops by 6.
    nyg_touchdown = next(
        e for e in replay.sent[f"espn-{NYG_DET}"] if e["event_type"] == "TOUCHDOWN"
    )
    _edit(snapshot, NYG_DET, home=0)
    events = replay.feed(snapshot)
    assert [(e["event_type"], e["references_event_id"]) for e in events] == [
        ("EVENT_RETRACTED", nyg_touchdown["event_id"])
    ]

    # Two identical polls.
    assert replay.feed(snapshot) == []
    assert replay.feed(copy.deepcopy(snapshot)) == []

    # BUF v CLE jumps from the 2nd quarter to final; IND v PHI reaches the 3rd quarter.
    _edit(snapshot, BUF_CLE, state="post", period=4, clock="0:00", home=24, away=23)
    _edit(snapshot, IND_PHI, period=3, clock="15:00", away=3)
    events = replay.feed(snapshot)
    assert _kinds(events, BUF_CLE)[:4] == [
        "PERIOD_END",
        "PERIOD_START",
        "PERIOD_END",
        "PERIOD_START",
    ]
    assert _kinds(events, BUF_CLE)[-2:] == ["PERIOD_END", "GAME_FINAL"]
    assert [
        (e["event_type"], e["period"]) for e in events if e["game_id"] == f"espn-{IND_PHI}"
    ] == [
        ("PERIOD_END", 2),
        ("PERIOD_START", 3),
        ("FIELD_GOAL", 3),
    ]

    # After the final, ESPN takes a Bills touchdown back: retractions are still allowed.
    _edit(snapshot, BUF_CLE, home=17)
    events = replay.feed(snapshot)
    assert _kinds(events) == ["EVENT_RETRACTED", "EVENT_RETRACTED"]
    assert replay.board(BUF_CLE)["status"] == "FINAL"


def test_a_late_try_completes_the_touchdown_before_it() -> None:
    for score, kinds in ((7, ["EXTRA_POINT"]), (8, ["TWO_POINT_CONVERSION"])):
        replay = Replay()
        snapshot = _real()
        replay.feed(snapshot)  # NYG at 6: a touchdown without its try
        events = replay.feed(_edit(snapshot, NYG_DET, home=score))
        assert _kinds(events, NYG_DET) == kinds
    replay = Replay()
    snapshot = _real()
    replay.feed(snapshot)
    events = replay.feed(_edit(snapshot, BUF_CLE, home=5))  # BUF's last play: a field goal
    assert _kinds(events, BUF_CLE) == ["SAFETY"]


def test_points_credited_to_the_wrong_team_are_corrected() -> None:
    replay = Replay()
    snapshot = _real()
    replay.feed(snapshot)
    events = replay.feed(_edit(snapshot, ATL_CHI, home=0, away=14))
    assert [(e["event_type"], e["correction"]) for e in events] == [
        ("EVENT_CORRECTED", {"team_id": "3"}),
        ("EVENT_CORRECTED", {"team_id": "3"}),
    ]


def test_a_touchdown_that_was_a_field_goal_is_corrected() -> None:
    replay = Replay()
    replay.feed(_snapshot(_game(home=10)))  # touchdown, extra point, field goal
    events = replay.feed(_snapshot(_game(home=7)))
    assert [e["event_type"] for e in events] == ["EVENT_RETRACTED"]  # the field goal
    events = replay.feed(_snapshot(_game(home=4)))
    assert [(e["event_type"], e["correction"]) for e in events] == [
        ("EVENT_CORRECTED", {"event_type": "FIELD_GOAL"})
    ]
    events = replay.feed(_snapshot(_game(home=2)))  # FG + XP: no exact revision
    assert Counter(_kinds(events)) == {"EVENT_RETRACTED": 2, "SAFETY": 1}


@pytest.mark.parametrize(
    ("points", "plays"),
    [
        (9, ["FIELD_GOAL", "TOUCHDOWN"]),
        (16, ["TOUCHDOWN", "TWO_POINT_CONVERSION"] * 2),
        (24, ["TOUCHDOWN", "EXTRA_POINT"] * 3 + ["FIELD_GOAL"]),
        (17, ["TOUCHDOWN", "EXTRA_POINT"] * 2 + ["FIELD_GOAL"]),
        (4, ["SAFETY", "SAFETY"]),
        (1, ["EXTRA_POINT"]),
    ],
)
def test_a_big_rise_is_the_fewest_common_scores(points: int, plays: list[str]) -> None:
    replay = Replay()
    replay.feed(_snapshot(_game(home=0)))
    events = replay.feed(_snapshot(_game(home=points)))
    assert [e["event_type"] for e in events if e["team_id"]] == plays


def test_what_scoreline_cannot_record_is_left_out() -> None:
    replay = Replay()
    differ = replay.differ
    # Points on a game not started: nothing until it starts.
    assert _kinds(differ.diff(_snapshot(_game(state="pre", period=0, home=3)))) == [
        "GAME_SCHEDULED"
    ]
    replay = Replay()
    replay.feed(_snapshot(_game(state="post", period=4, clock="0:00", home=20, away=17)))
    # A final score that rises, or a state that goes back: nothing can express it.
    assert replay.differ.diff(_snapshot(_game(state="post", period=4, home=21, away=17))) == []
    assert replay.differ.diff(_snapshot(_game(state="in", period=3, home=20, away=17))) == []
    replay.check(_snapshot(_game(state="post", period=4, clock="0:00", home=20, away=17)))


def test_postponed_and_cancelled_games_are_never_final() -> None:
    replay = Replay()
    replay.feed(_snapshot(_game(state="pre", period=0)))
    postponed = _game(state="post", period=0, clock="0:00")
    postponed["status"]["type"]["name"] = "STATUS_POSTPONED"
    events = replay.differ.diff(_snapshot(postponed))
    assert _kinds(events) == ["GAME_POSTPONED"]
    replay.keeper.record(parse(json.dumps(events).encode(), provider="espn"))
    assert replay.board("1")["status"] == "POSTPONED"
    assert replay.differ.diff(_snapshot(postponed)) == []
    postponed["status"]["type"]["name"] = "STATUS_CANCELED"
    assert _kinds(replay.differ.diff(_snapshot(postponed))) == ["GAME_CANCELLED"]


def test_a_rescheduled_game_is_scheduled_again() -> None:
    replay = Replay()
    game = _game(state="pre", period=0)
    replay.feed(_snapshot(game))
    game["date"] = "2022-11-21T01:20Z"
    events = replay.feed(_snapshot(game))
    assert _kinds(events) == ["GAME_SCHEDULED"]
    assert replay.board("1")["start_time"] == "2022-11-21T01:20Z"


def test_a_refused_snapshot_leaves_the_differ_as_it_was() -> None:
    differ = ScoreboardDiffer()
    first = differ.diff(_snapshot(_game(home=7)))
    swapped = _game(home=7)
    sides = swapped["competitions"][0]["competitors"]
    sides[0]["team"]["id"], sides[1]["team"]["id"] = "20", "10"
    with pytest.raises(EspnScoreboardFormatError, match="keeps its teams"):
        differ.diff(_snapshot(_game("2", home=3), swapped))
    assert differ.game_ids() == ["espn-1"]
    assert differ.diff(_snapshot(_game(home=7))) == []
    assert differ.diff(_snapshot(_game(home=10)))[0]["sequence_number"] == len(first) + 1


def _without_score(game: dict[str, Any]) -> dict[str, Any]:
    del game["competitions"][0]["competitors"][0]["score"]
    return game


@pytest.mark.parametrize(
    ("snapshot", "words"),
    [
        ([], "JSON object"),
        ({}, "'events' must be a JSON list"),
        ({"events": "x"}, "'events' must be a JSON list"),
        ({"leagues": [{"slug": "nba"}], "events": []}, "league 'nba'"),
        (_snapshot(_game(state="live")), "'pre', 'in' or 'post'"),
        (_snapshot(_game(period=0)), "'status.period'"),
        (_snapshot(_game(period=11)), "'status.period'"),
        (_snapshot(_game(clock="12.5")), "displayClock"),
        (_snapshot(_game(home="7a")), "'score'"),
        (_snapshot(_game(home="999")), "outside 0..250"),
        (_snapshot(_without_score(_game())), "'score'"),
        (_snapshot(_game(), _game()), "two events have the id"),
        (_snapshot({**_game(), "id": "a b"}), "without spaces"),
        (_snapshot({**_game(), "id": 401437845}), "'id'"),
        (_snapshot({**_game(), "competitions": []}), "empty"),
        (_snapshot({**_game(), "season": {"year": "2022"}}), "season.year"),
        (_snapshot({**_game(), "date": 20221120}), "'date'"),
    ],
)
def test_not_an_espn_scoreboard(snapshot: Any, words: str) -> None:
    with pytest.raises(EspnScoreboardFormatError, match=words):
        ScoreboardDiffer().diff(snapshot)


def test_competitors_must_be_one_home_and_one_away() -> None:
    game = _game()
    sides = game["competitions"][0]["competitors"]
    sides[1]["homeAway"] = "home"
    with pytest.raises(EspnScoreboardFormatError, match="one 'home' and one 'away'"):
        ScoreboardDiffer().diff(_snapshot(game))
    game["competitions"][0]["competitors"] = sides[:1]
    with pytest.raises(EspnScoreboardFormatError, match="two competitors"):
        ScoreboardDiffer().diff(_snapshot(game))
    sides[1]["homeAway"], sides[1]["team"]["id"] = "away", "10"
    game["competitions"][0]["competitors"] = sides
    with pytest.raises(EspnScoreboardFormatError, match="both team"):
        ScoreboardDiffer().diff(_snapshot(game))


def test_a_pre_game_may_have_no_score_yet() -> None:
    replay = Replay()
    replay.feed(_snapshot(_game(state="pre", period=0, home=None, away=None)))
    assert replay.board("1")["status"] == "SCHEDULED"


# ------------------------------------------------------------------- hypothesis


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@st.composite
def _corrupted_snapshots(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed snapshot of two games with one value inside it replaced or removed."""
    snapshot = _snapshot(
        _game(
            "1", state=draw(st.sampled_from(["pre", "in", "post"])), home=draw(st.integers(0, 40))
        ),
        _game("2", period=draw(st.integers(1, 5)), away=draw(st.integers(0, 40))),
    )
    path = draw(st.sampled_from(_paths(snapshot)[1:]))
    parent: Any = snapshot
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON)
    return snapshot


@settings(max_examples=300)
@given(JSON)
def test_arbitrary_json_is_refused_with_the_format_error(value: Any) -> None:
    # Anything else raised (KeyError, TypeError, ...) fails the test.
    with contextlib.suppress(EspnScoreboardFormatError):
        ScoreboardDiffer().diff(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corrupted_snapshots())
def test_a_corrupted_snapshot_is_refused_or_fully_recorded(snapshot: dict[str, Any]) -> None:
    try:
        events = ScoreboardDiffer().diff(snapshot)
    except EspnScoreboardFormatError:
        return
    if not events:  # e.g. "events" emptied
        return
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    verdicts = keeper.record(parse(json.dumps(events).encode(), provider="espn"))
    assert {v.outcome for v in verdicts} <= {"recorded"}


_SCORE_STEP = st.one_of(
    st.integers(0, 17).map(lambda rise: ("up", rise)),
    st.floats(0, 1).map(lambda keep: ("down", keep)),  # a correction: keep this share
)


@st.composite
def _seasons_of_polls(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Snapshots of one game polled from before kickoff to (maybe) the final, with scores
    that mostly rise and sometimes fall, periods that only advance, and repeated polls."""
    snapshots = [_snapshot(_game(state="pre", period=0))] if draw(st.booleans()) else []
    home = away = period = 0
    for _ in range(draw(st.integers(1, 8))):
        scores = []
        for score in (home, away):
            kind, amount = draw(_SCORE_STEP)
            scores.append(score + int(amount) if kind == "up" else int(score * amount))
        home, away = (min(s, 250) for s in scores)
        period = draw(st.integers(max(period, 1), min(period + 2, 6)))
        clock = f"{draw(st.integers(0, 15))}:{draw(st.integers(0, 59)):02d}"
        snapshots.append(_snapshot(_game(period=period, clock=clock, home=home, away=away)))
        if draw(st.booleans()):
            snapshots.append(copy.deepcopy(snapshots[-1]))
    if draw(st.booleans()):
        kind, amount = draw(_SCORE_STEP)
        home = home + int(amount) if kind == "up" else int(home * amount)
        final = _game(state="post", period=max(period, 4), clock="0:00", home=home, away=away)
        snapshots.append(_snapshot(final))
    return snapshots


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_seasons_of_polls())
def test_scoreline_matches_espn_after_every_poll(snapshots: list[dict[str, Any]]) -> None:
    replay = Replay()
    previous: dict[str, Any] | None = None
    for snapshot in snapshots:
        events = replay.feed(snapshot)  # records, then checks the invariant
        if snapshot == previous:
            assert events == []
        previous = snapshot
