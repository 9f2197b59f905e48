"""adapters.statsbomb: real StatsBomb matches convert into events the Scorekeeper accepts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.native_format import parse
from adapters.statsbomb import StatsBombFormatError, convert
from domain.events import GameEvent
from domain.scorekeeper import Scorekeeper
from tests.json_values import JSON

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
STATSBOMB = DATA / "soccer" / "statsbomb"

# file stem, home team, away team (exact StatsBomb names), final score (home, away)
MATCHES = [
    ("3788741", "Turkey", "Italy", (0, 3)),
    ("15986", "Barcelona", "Girona", (2, 2)),
    ("barcelona-alaves", "Barcelona", "Deportivo Alavés", (3, 0)),
]


@cache
def _load(stem: str) -> list[dict[str, Any]]:
    path = STATSBOMB / f"{stem}.events.json"
    if not path.is_file():
        pytest.skip(f"StatsBomb data file missing: {path}")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _converted(stem: str, home: str, away: str) -> list[dict[str, Any]]:
    return convert(
        _load(stem), game_id=f"statsbomb:{stem}", home_team=home, away_team=away, league="x"
    )


def _record(natives: Sequence[Mapping[str, Any]]) -> tuple[Scorekeeper, list[str]]:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    verdicts = keeper.record([GameEvent.from_dict(dict(e)) for e in natives])
    problems = [
        f"{v.event_id}: {v.outcome} {v.reason}" for v in verdicts if v.outcome != "recorded"
    ]
    return keeper, problems


def _state(keeper: Scorekeeper, game_id: str) -> dict[str, Any]:
    board = keeper.scoreboard(game_id)
    assert board is not None
    return board.public()


def _check_structure(natives: list[dict[str, Any]]) -> None:
    """The invariants convert() promises for every output."""
    assert [e["sequence_number"] for e in natives] == list(range(1, len(natives) + 1))
    ids = [e["event_id"] for e in natives]
    assert len(set(ids)) == len(ids)
    types = [e["event_type"] for e in natives]
    assert types[0] == "GAME_SCHEDULED" and types.count("GAME_SCHEDULED") == 1
    assert types.count("GAME_STARTED") <= 1 and types.count("GAME_FINAL") <= 1
    if "GAME_STARTED" in types:
        assert types.index("GAME_STARTED") == 1
    if "GAME_FINAL" in types:
        assert types[-1] == "GAME_FINAL"
    for kind in ("PERIOD_START", "PERIOD_END"):
        periods = [e["period"] for e in natives if e["event_type"] == kind]
        assert len(periods) == len(set(periods))


# ------------------------------------------------------------------ real matches
@pytest.mark.parametrize(("stem", "home", "away", "score"), MATCHES)
def test_real_match_records_and_ends_with_the_real_score(
    stem: str, home: str, away: str, score: tuple[int, int]
) -> None:
    natives = _converted(stem, home, away)
    keeper, problems = _record(natives)
    assert problems == []
    state = _state(keeper, f"statsbomb:{stem}")
    assert state["status"] == "FINAL"
    assert (state["home_score"], state["away_score"]) == score
    assert (state["home_team_name"], state["away_team_name"]) == (home, away)


@pytest.mark.parametrize(("stem", "home", "away", "score"), MATCHES)
def test_real_match_structure(stem: str, home: str, away: str, score: tuple[int, int]) -> None:
    natives = _converted(stem, home, away)
    _check_structure(natives)
    types = [e["event_type"] for e in natives]
    assert types[1] == "GAME_STARTED" and types[2] == "PERIOD_START"
    assert types[-2:] == ["PERIOD_END", "GAME_FINAL"]
    # both halves, each started and ended exactly once, in order
    boundaries = [
        (e["event_type"], e["period"])
        for e in natives
        if e["event_type"] in ("PERIOD_START", "PERIOD_END")
    ]
    assert boundaries == [
        ("PERIOD_START", 1),
        ("PERIOD_END", 1),
        ("PERIOD_START", 2),
        ("PERIOD_END", 2),
    ]
    schedule = natives[0]["schedule"]
    teams = {e["team"]["name"]: str(e["team"]["id"]) for e in _load(stem)}
    assert (schedule["home_team_id"], schedule["away_team_id"]) == (teams[home], teams[away])
    for e in natives[1:]:
        assert e["team_id"] in (None, teams[home], teams[away])
        assert isinstance(e["clock_seconds"], int) and isinstance(e["period"], int)
    goals = sum(e["event_type"] in ("GOAL", "PENALTY_GOAL", "OWN_GOAL") for e in natives)
    assert goals == sum(score)


def test_turkey_italy_own_goal_counts_for_italy() -> None:
    natives = _converted("3788741", "Turkey", "Italy")
    own_goals = [e for e in natives if e["event_type"] == "OWN_GOAL"]
    assert len(own_goals) == 1
    own_goal = own_goals[0]
    assert own_goal["team_id"] == "909"  # Turkey conceded it...
    assert own_goal["player_id"] == "23558"  # ...through Merih Demiral (the paired Against)
    assert "Merih Demiral" in own_goal["description"]
    assert own_goal["clock_seconds"] == 52 * 60 + 12 and own_goal["period"] == 2
    # Up to and including the own goal, the score is Turkey 0-1 Italy.
    upto = natives[: natives.index(own_goal) + 1]
    keeper, problems = _record(upto)
    assert problems == []
    state = _state(keeper, "statsbomb:3788741")
    assert (state["home_score"], state["away_score"]) == (0, 1)
    assert state["status"] == "LIVE"
    scorers = [e["description"] for e in natives if e["event_type"] == "GOAL"]
    assert scorers == ["Goal: Ciro Immobile", "Goal: Lorenzo Insigne"]


def test_barcelona_girona_has_one_red_card_for_lenglet() -> None:
    natives = _converted("15986", "Barcelona", "Girona")
    reds = [e for e in natives if e["event_type"] == "RED_CARD"]
    assert len(reds) == 1
    red = reds[0]
    assert red["player_id"] == "6826" and red["team_id"] == "217"
    assert red["description"] == "Red card: Clément Lenglet"
    assert red["event_id"].endswith(":card")
    foul = natives[natives.index(red) - 1]
    assert foul["event_type"] == "FOUL" and red["event_id"] == f"{foul['event_id']}:card"
    cards = Counter(e["event_type"] for e in natives if e["event_type"].endswith("_CARD"))
    assert cards == {"RED_CARD": 1, "YELLOW_CARD": 8}


def test_substitution_description() -> None:
    natives = _converted("3788741", "Turkey", "Italy")
    subs = [e["description"] for e in natives if e["event_type"] == "SUBSTITUTION"]
    assert len(subs) == 9
    off, on = "Yusuf Yaz\u0131c\u0131", "Cengiz \u00dcnder"  # dotless i: StatsBomb spelling
    assert f"{off} replaced by {on}" in subs


def test_team_names_are_exact_and_the_error_lists_them() -> None:
    events = _load("barcelona-alaves")
    with pytest.raises(StatsBombFormatError) as error:
        convert(events, game_id="g", home_team="Barcelona", away_team="Alaves")
    message = str(error.value)
    assert "'Alaves'" in message and "'Deportivo Alavés'" in message and "'Barcelona'" in message


# ----------------------------------------------------------------- small inputs
HOME = {"id": 1, "name": "Home"}
AWAY = {"id": 2, "name": "Away"}


def _ev(
    n: int, kind: str, team: Mapping[str, Any], period: int, minute: int, **extra: Any
) -> dict[str, Any]:
    return {
        "id": f"e{n}",
        "index": n,
        "type": {"name": kind},
        "team": dict(team),
        "period": period,
        "minute": minute,
        "second": 0,
        **extra,
    }


def _shot(
    n: int, team: Mapping[str, Any], period: int, minute: int, shot_type: str
) -> dict[str, Any]:
    shot = {"outcome": {"name": "Goal"}, "type": {"name": shot_type}}
    return _ev(n, "Shot", team, period, minute, player={"id": 10 + n, "name": f"P{n}"}, shot=shot)


def test_penalties_shootout_and_unpaired_own_goal() -> None:
    events = [
        _ev(1, "Half Start", HOME, 1, 0),
        _ev(2, "Half Start", AWAY, 1, 0),
        _shot(3, HOME, 1, 10, "Penalty"),
        _ev(4, "Own Goal For", HOME, 1, 20),  # no "Own Goal Against" to pair with
        _ev(5, "Half End", HOME, 1, 45),
        _ev(6, "Half End", AWAY, 1, 45),
        _ev(7, "Half Start", HOME, 5, 120),
        _ev(8, "Half Start", AWAY, 5, 120),
        _shot(9, AWAY, 5, 121, "Penalty"),
        _ev(10, "Half End", AWAY, 5, 125),
        _ev(11, "Half End", HOME, 5, 125),
    ]
    natives = convert(events, game_id="g", home_team="Home", away_team="Away")
    _check_structure(natives)
    kinds = [(e["event_type"], e["team_id"], e["player_id"]) for e in natives]
    assert ("PENALTY_GOAL", "1", "13") in kinds
    assert ("OWN_GOAL", "2", None) in kinds  # conceded by Away, counts for Home
    assert ("SHOOTOUT_GOAL", "2", "19") in kinds
    keeper, problems = _record(natives)
    assert problems == []
    state = _state(keeper, "g")
    assert (state["home_score"], state["away_score"]) == (2, 0)
    assert (state["shootout_home"], state["shootout_away"]) == (0, 1)
    assert state["status"] == "FINAL" and state["period_name"] == "Penalties"


def test_second_yellow_and_bad_behaviour_cards() -> None:
    player = {"id": 7, "name": "Seven"}
    events = [
        _ev(1, "Half Start", HOME, 1, 0),
        _ev(
            2,
            "Foul Committed",
            AWAY,
            1,
            5,
            player=player,
            foul_committed={"card": {"name": "Second Yellow"}},
        ),
        _ev(
            3,
            "Bad Behaviour",
            HOME,
            1,
            6,
            player=player,
            bad_behaviour={"card": {"name": "Yellow Card"}},
        ),
        _ev(4, "Bad Behaviour", HOME, 1, 7, bad_behaviour={}),
        _ev(5, "Half End", HOME, 1, 45),
    ]
    natives = convert(events, game_id="g", home_team="Home", away_team="Away")
    kinds = [(e["event_id"], e["event_type"]) for e in natives[3:-2]]
    assert kinds == [("e2", "FOUL"), ("e2:card", "RED_CARD"), ("e3:card", "YELLOW_CARD")]


def test_feed_without_a_final_half_end_is_not_final() -> None:
    events = [_ev(1, "Half Start", HOME, 1, 0), _shot(2, AWAY, 1, 3, "Open Play")]
    natives = convert(events, game_id="g", home_team="Home", away_team="Away")
    assert [e["event_type"] for e in natives] == [
        "GAME_SCHEDULED",
        "GAME_STARTED",
        "PERIOD_START",
        "GOAL",
    ]
    keeper, problems = _record(natives)
    assert problems == []
    assert _state(keeper, "g")["status"] == "LIVE"


@pytest.mark.parametrize(
    ("events", "words"),
    [
        ({"events": []}, "JSON list"),
        ("[]", "JSON list"),
        ([1], "not a JSON object"),
        ([{"id": "a", "team": HOME, "period": 1, "minute": 0, "second": 0}], "'type'"),
        ([{"id": "a", "type": {"name": "Pass"}, "period": 1, "minute": 0, "second": 0}], "'team'"),
        ([], "the teams are: none"),
        ([_ev(1, "Pass", HOME, 1, 0)], "'Away' is not a team"),
        ([_ev(1, "Pass", HOME, 6, 0), _ev(2, "Pass", AWAY, 1, 0)], "'period'"),
        ([_ev(1, "Pass", HOME, 1, 0), _ev(1, "Pass", AWAY, 1, 0)], "also the id"),
        ([_ev(1, "Pass", HOME, 1, 0), _ev(2, "Shot", AWAY, 1, 0)], "'shot'"),
        (
            [
                _ev(1, "Pass", HOME, 1, 0),
                _ev(2, "Pass", AWAY, 1, 0),
                _ev(3, "Pass", {"id": 3, "name": "X"}, 1, 0),
            ],
            "two teams",
        ),
    ],
)
def test_not_statsbomb_shaped(events: Any, words: str) -> None:
    with pytest.raises(StatsBombFormatError, match=words):
        convert(events, game_id="g", home_team="Home", away_team="Away")


# ------------------------------------------------------------------- hypothesis

_TYPES = [
    "Half Start",
    "Half End",
    "Shot",
    "Own Goal For",
    "Own Goal Against",
    "Foul Committed",
    "Bad Behaviour",
    "Substitution",
    "Pass",
    "Starting XI",
]
_CARD_NAMES = ["Yellow Card", "Second Yellow", "Red Card"]
_PERSON = st.fixed_dictionaries({"id": st.integers(1, 5), "name": st.sampled_from(["P", "Q", "R"])})


@st.composite
def _statsbomb_event(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed StatsBomb event of Home or Away (id filled in by _matches)."""
    event: dict[str, Any] = {
        "type": {"name": draw(st.sampled_from(_TYPES))},
        "team": draw(st.sampled_from([HOME, AWAY])),
        "period": draw(st.integers(1, 5)),
        "minute": draw(st.integers(0, 130)),
        "second": draw(st.integers(0, 59)),
        "shot": {
            "outcome": {"name": draw(st.sampled_from(["Goal", "Saved"]))},
            "type": {"name": draw(st.sampled_from(["Penalty", "Open Play"]))},
        },
        "substitution": {"replacement": draw(_PERSON)},
    }
    if draw(st.booleans()):
        event["player"] = draw(_PERSON)
    if draw(st.booleans()):
        event["index"] = draw(st.integers(1, 20))
    if draw(st.booleans()):
        event["related_events"] = draw(st.lists(st.sampled_from(["e0", "e1", "e2"]), max_size=2))
    for key in ("foul_committed", "bad_behaviour"):
        if draw(st.booleans()):
            event[key] = {"card": {"name": draw(st.sampled_from(_CARD_NAMES))}}
    return event


@st.composite
def _matches(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Well-formed events naming both teams, in random order, with distinct ids."""
    events = draw(st.lists(_statsbomb_event(), max_size=10))
    events += [_ev(90, "Pass", HOME, 1, 0), _ev(91, "Pass", AWAY, 1, 0)]
    shuffled = draw(st.permutations(events))
    return [{**event, "id": f"e{i}"} for i, event in enumerate(shuffled)]


@st.composite
def _corrupted_matches(draw: st.DrawFn) -> list[Any]:
    """A well-formed match with one event, or one field of it, replaced by garbage."""
    events: list[Any] = draw(_matches())
    position = draw(st.integers(0, len(events) - 1))
    event = dict(events[position])
    target = draw(st.sampled_from([None, *sorted(event)]))
    if target is None:
        events[position] = draw(JSON)
    elif draw(st.booleans()):
        del event[target]
        events[position] = event
    else:
        event[target] = draw(JSON)
        events[position] = event
    return events


def _convert_or_refuse(events: Any) -> list[dict[str, Any]] | None:
    try:
        return convert(events, game_id="g", home_team="Home", away_team="Away")
    except StatsBombFormatError:
        return None


@settings(max_examples=300)
@given(JSON)
def test_arbitrary_json_is_refused_with_statsbomb_format_error(value: Any) -> None:
    # Anything else raised (KeyError, TypeError, ...) fails the test.
    result = _convert_or_refuse(value)
    if result is not None:
        _check_structure(result)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corrupted_matches())
def test_corrupted_match_is_refused_or_fully_recorded(events: list[Any]) -> None:
    result = _convert_or_refuse(events)
    if result is not None:
        _check_structure(result)
        _, problems = _record(result)
        assert problems == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_matches())
def test_well_formed_match_converts_and_every_event_is_recorded(
    events: list[dict[str, Any]],
) -> None:
    result = convert(events, game_id="g", home_team="Home", away_team="Away")
    _check_structure(result)
    keeper, problems = _record(result)
    assert problems == []
    state = _state(keeper, "g")
    goals = Counter(
        (e["event_type"], e["team_id"])
        for e in result
        if e["event_type"] in ("GOAL", "PENALTY_GOAL", "OWN_GOAL")
    )
    home_goals = sum(
        n for (kind, team), n in goals.items() if (team == "1") != (kind == "OWN_GOAL")
    )
    assert (state["home_score"], state["away_score"]) == (
        home_goals,
        sum(goals.values()) - home_goals,
    )
    own_goals_for = sum(e["type"]["name"] == "Own Goal For" for e in events)
    shot_goals = sum(
        e["type"]["name"] == "Shot" and e["shot"]["outcome"]["name"] == "Goal" for e in events
    )
    assert shot_goals == sum(
        e["event_type"] in ("GOAL", "PENALTY_GOAL", "SHOOTOUT_GOAL") for e in result
    )
    assert sum(kind == "OWN_GOAL" for kind, _ in goals.elements()) == own_goals_for


# ------------------------------------------------------------------------ assists
@pytest.mark.parametrize(("stem", "home", "away", "final"), MATCHES)
def test_a_goal_assisted_by_a_goal_assist_pass_credits_its_passer(
    stem: str, home: str, away: str, final: tuple[int, int]
) -> None:
    raw = _load(stem)
    by_id = {e["id"]: e for e in raw}
    expected = {  # the goal's event id -> the player of the pass it names, from the data
        e["id"]: [str(by_id[e["shot"]["key_pass_id"]]["player"]["id"])]
        for e in raw
        if e["type"]["name"] == "Shot"
        and e["shot"]["outcome"]["name"] == "Goal"
        and by_id.get(e["shot"].get("key_pass_id"), {}).get("pass", {}).get("goal_assist")
    }
    natives = _converted(stem, home, away)
    assisted = {e["event_id"]: e["assists"] for e in natives if "assists" in e}
    assert assisted == expected
    assert all(e["event_type"] == "GOAL" for e in natives if "assists" in e)
    parsed = parse(json.dumps(natives).encode(), provider="statsbomb", max_events=5000)
    assert sum(len(e.assists) for e in parsed) == len(expected)


def test_the_real_assisters_of_the_three_matches() -> None:
    found = {
        stem: sorted(p for e in _converted(stem, home, away) for p in e.get("assists", ()))
        for stem, home, away, _ in MATCHES
    }
    assert found == {
        "3788741": ["7788"],  # Immobile for Insigne's 79th minute goal
        "15986": ["6578", "8206"],  # Aday Benítez (Stuani), Vidal (Messi)
        "barcelona-alaves": ["11392", "5246"],  # Arthur (Coutinho), Suárez (Messi)
    }


def test_a_key_pass_that_is_no_goal_assist_or_an_opponents_credits_none() -> None:
    raw = [dict(e) for e in _load("3788741")]
    goal = next(
        e
        for e in raw
        if e["type"]["name"] == "Shot"
        and e["shot"]["outcome"]["name"] == "Goal"
        and e["shot"].get("key_pass_id")
    )
    key_pass = next(e for e in raw if e["id"] == goal["shot"]["key_pass_id"])
    key_pass["pass"] = {**key_pass["pass"], "goal_assist": False}
    assert not any(
        "assists" in e for e in convert(raw, game_id="g", home_team="Turkey", away_team="Italy")
    )
    key_pass["pass"] = {**key_pass["pass"], "goal_assist": True}
    key_pass["team"] = next(e["team"] for e in raw if e["team"] != goal["team"])
    assert not any(
        "assists" in e for e in convert(raw, game_id="g", home_team="Turkey", away_team="Italy")
    )
