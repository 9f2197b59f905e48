"""adapters.nhl_statsapi: a real NHL game feed scores exactly like its running ``about.goals``."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.native_format import parse
from adapters.nhl_statsapi import NhlStatsapiFormatError, convert
from tests.converted_feeds import (
    check_converted_feed,
    memory_keeper,
    provider_row,
    record_natives,
    replay_row_by_row,
    score_of,
    scoreboard_of,
)
from tests.json_values import JSON
from tests.shared_data import shared_file

FEED = "hockey/nhl/2015030411.feed-live.json"
GAME = "2015030411"
PIT, SJS = "5", "28"


@cache
def _raw() -> str:
    return shared_file(FEED).read_text(encoding="utf-8")


def _feed() -> dict[str, Any]:
    """A fresh copy of the real feed (tests change theirs)."""
    data: dict[str, Any] = json.loads(_raw())
    return data


@cache
def _real_plays() -> str:
    return json.dumps(_feed()["liveData"]["plays"]["allPlays"])


def _plays() -> list[dict[str, Any]]:
    plays: list[dict[str, Any]] = json.loads(_real_plays())
    return plays


@cache
def _real_game_data() -> str:
    return json.dumps(_feed()["gameData"])


def _real_with(plays: Sequence[Any]) -> dict[str, Any]:
    """The real feed, holding ``plays``."""
    return {
        "gamePk": int(GAME),
        "gameData": json.loads(_real_game_data()),
        "liveData": {"plays": {"allPlays": list(plays)}},
    }


def _with(plays: Sequence[Any], game_type: str = "P") -> dict[str, Any]:
    """A feed of a game of ``game_type`` ("R" regular season, "P" playoffs), PIT v SJS."""
    game_data = {
        "game": {"pk": int(GAME), "type": game_type},
        "datetime": {"dateTime": "2016-01-01T00:00:00Z"},
        "teams": {
            "home": {"id": int(PIT), "name": "Pittsburgh Penguins"},
            "away": {"id": int(SJS), "name": "San Jose Sharks"},
        },
    }
    return {
        "gamePk": int(GAME),
        "gameData": game_data,
        "liveData": {"plays": {"allPlays": list(plays)}},
    }


# ------------------------------------------------------------------ the real game
def test_running_score_after_every_play_equals_about_goals() -> None:
    plays = {play["about"]["eventIdx"]: play["about"] for play in _plays()}
    natives = convert(_feed())
    keeper = memory_keeper()
    for index, batch, board in replay_row_by_row(keeper, natives, "eventidx", plays):
        about = plays[index]
        goals = about["goals"]
        assert (board.home_score, board.away_score) == (goals["home"], goals["away"]), about
        if batch:
            assert board.current_period == about["period"]
    board = scoreboard_of(keeper, GAME)
    assert board.status == "FINAL"
    assert (board.home_score, board.away_score) == (3, 2)
    assert (board.current_period, board.public()["period_name"]) == (3, "P3")
    assert (board.start_time, board.end_time) == ("2016-05-31T00:00:00Z", "2016-05-31T02:54:16Z")


def test_real_game_structure_and_schedule() -> None:
    natives = convert(_feed())
    check_converted_feed(natives)
    assert natives[0]["schedule"] == {
        "home_team_id": PIT,
        "away_team_id": SJS,
        "home_team_name": "Pittsburgh Penguins",
        "away_team_name": "San Jose Sharks",
        "venue": "CONSOL Energy Center",
        "start_time": "2016-05-31T00:00:00Z",
        "league": "nhl",
        "season": "2015-16",
    }
    assert natives[1]["created_at"] == "2016-05-31T00:22:39Z"  # the puck drop, not the schedule
    boundaries = [
        (e["event_type"], e["period"], e["clock_seconds"])
        for e in natives
        if e["event_type"] in ("PERIOD_START", "PERIOD_END")
    ]
    assert boundaries == [
        (kind, period, 1200 if kind == "PERIOD_START" else 0)
        for period in (1, 2, 3)
        for kind in ("PERIOD_START", "PERIOD_END")
    ]
    assert natives[-1]["event_id"] == f"{GAME}:eventidx:361"


def test_every_play_maps_to_its_event() -> None:
    plays = _plays()
    natives = convert(_feed())
    kinds = Counter(e["event_type"] for e in natives)
    raw = Counter(p["result"]["eventTypeId"] for p in plays)
    assert (kinds["GOAL"], kinds["PENALTY"], kinds["SHOT"]) == (
        raw["GOAL"],
        raw["PENALTY"],
        raw["SHOT"],
    )
    assert (kinds["GOAL"], kinds["PENALTY"]) == (5, 7)
    goals = [e for e in natives if e["event_type"] == "GOAL"]
    assert [e["team_id"] for e in goals] == [PIT, PIT, SJS, SJS, PIT]
    first = goals[0]
    assert first["player_id"] == "8475810"  # Bryan Rust, the Scorer (not an assist)
    assert first["clock_seconds"] == 20 * 60 - (12 * 60 + 46)
    assert first["description"].startswith("Bryan Rust (6) Wrist Shot")
    assert first["created_at"] == "2016-05-31T00:45:41Z"
    penalty = next(e for e in natives if e["event_type"] == "PENALTY")
    assert (penalty["team_id"], penalty["player_id"]) == (SJS, "8464977")  # Zubrus, PenaltyOn
    # GAME_SCHEDULED, PERIOD_READY, PERIOD_OFFICIAL, faceoffs, hits, stops: no events
    assert all(provider_row(e, "eventidx") not in (0, 1, 120) for e in natives)


def test_conversion_is_stable_and_ids_come_from_event_idx() -> None:
    first = convert(_feed())
    assert convert(_feed()) == first
    indexes = {p["about"]["eventIdx"] for p in _plays()}
    assert all(provider_row(e, "eventidx") in indexes for e in first[2:])
    assert [e["event_id"] for e in convert(_feed(), game_id="nhl:x")] == [
        e["event_id"] for e in first
    ]


# ------------------------------------------------------------------------ re-polls
@pytest.mark.parametrize("seen", [5, 100, 250, 361])
def test_a_later_poll_appends_exactly_what_is_new(seen: int) -> None:
    earlier = convert(_real_with(_plays()[:seen]))
    later = convert(_feed(), previous=earlier)
    assert later == convert(_feed())
    keeper = memory_keeper()
    assert (
        record_natives(keeper, earlier) == []
        and record_natives(keeper, later[len(earlier) :]) == []
    )
    assert score_of(keeper, GAME) == (
        3,
        2,
    )


def test_a_goal_removed_after_a_challenge_is_retracted() -> None:
    plays = _plays()
    at = next(i for i, p in enumerate(plays) if p["about"]["eventIdx"] == 142)  # SJS goal, 2nd
    overturned = copy.deepcopy(plays)
    del overturned[at]
    for play in overturned[at:]:
        play["about"]["goals"]["away"] -= 1
    earlier = convert(_feed())
    later = convert(_real_with(overturned), previous=earlier)
    added = later[len(earlier) :]
    assert [(e["event_type"], e["references_event_id"]) for e in added] == [
        ("EVENT_RETRACTED", f"{GAME}:eventidx:142")
    ]
    keeper = memory_keeper()
    assert record_natives(keeper, later) == []
    assert score_of(keeper, GAME) == (
        3,
        1,
    )


def test_a_goal_left_in_the_feed_but_taken_off_the_score_is_retracted() -> None:
    plays = _plays()
    at = next(i for i, p in enumerate(plays) if p["about"]["eventIdx"] == 142)
    for play in plays[at + 1 :]:
        play["about"]["goals"]["away"] -= 1
    natives = convert(_real_with(plays))
    fix = next(e for e in natives if e["event_type"] == "EVENT_RETRACTED")
    assert fix["references_event_id"] == f"{GAME}:eventidx:142"
    assert fix["event_id"] == f"{GAME}:eventidx:{plays[at + 1]['about']['eventIdx']}:fix-away"
    keeper = memory_keeper()
    assert record_natives(keeper, natives) == []
    assert score_of(keeper, GAME) == (
        3,
        1,
    )


# ----------------------------------------------------------- overtime, shoot-out
def _play(
    index: int,
    kind: str,
    period: int,
    elapsed: str,
    goals: tuple[int, int],
    team: str | None = None,
    period_type: str = "REGULAR",
    **extra: Any,
) -> dict[str, Any]:
    play: dict[str, Any] = {
        "result": {"eventTypeId": kind, "description": f"{kind} {index}"},
        "about": {
            "eventIdx": index,
            "period": period,
            "periodType": period_type,
            "periodTime": elapsed,
            "dateTime": f"2016-01-01T00:{index:02d}:00Z",
            "goals": {"home": goals[0], "away": goals[1]},
        },
        **extra,
    }
    if team is not None:
        play["team"] = {"id": int(team)}
        play["players"] = [{"player": {"id": 100 + index}, "playerType": "Scorer"}]
    return play


def _regulation(tied: tuple[int, int] = (1, 1)) -> list[dict[str, Any]]:
    return [
        _play(0, "PERIOD_START", 1, "00:00", (0, 0)),
        _play(1, "GOAL", 1, "05:00", (1, 0), PIT),
        _play(2, "GOAL", 3, "19:00", tied, SJS),
        _play(3, "PERIOD_END", 3, "20:00", tied),
    ]


def test_regular_season_overtime_is_five_minutes_and_the_playoffs_twenty() -> None:
    plays = [
        *_regulation(),
        _play(4, "PERIOD_START", 4, "00:00", (1, 1), period_type="OVERTIME"),
        _play(5, "GOAL", 4, "01:30", (2, 1), PIT, period_type="OVERTIME"),
        _play(6, "GAME_END", 4, "01:30", (2, 1), period_type="OVERTIME"),
    ]
    for game_type, length in (("R", 300), ("P", 1200)):
        natives = convert(_with(plays, game_type))
        winner = next(e for e in natives if e["event_id"].endswith(":eventidx:5"))
        assert (winner["period"], winner["clock_seconds"]) == (4, length - 90)
        keeper = memory_keeper()
        assert record_natives(keeper, natives) == []
        board = scoreboard_of(keeper, GAME)
        assert (board.home_score, board.away_score, board.status) == (2, 1, "FINAL")
        assert board.public()["period_name"] == "OT"


def test_shootout_goals_are_tallied_apart() -> None:
    shootout = {"period_type": "SHOOTOUT"}
    plays = [
        *_regulation(),
        _play(4, "PERIOD_START", 4, "00:00", (1, 1), period_type="OVERTIME"),
        _play(5, "PERIOD_END", 4, "05:00", (1, 1), period_type="OVERTIME"),
        _play(6, "PERIOD_START", 5, "00:00", (1, 1), **shootout),
        _play(7, "GOAL", 5, "00:00", (1, 1), SJS, **shootout),
        _play(8, "SHOT", 5, "00:00", (1, 1), PIT, **shootout),
        _play(9, "GOAL", 5, "00:00", (1, 1), PIT, **shootout),
        _play(10, "GOAL", 5, "00:00", (1, 1), PIT, **shootout),
        _play(11, "GAME_END", 5, "00:00", (2, 1), **shootout),  # the NHL's +1 for the winner
    ]
    natives = convert(_with(plays, "R"))
    kinds = [e["event_type"] for e in natives if e["period"] == 5]
    assert kinds == [
        "PERIOD_START",
        "SHOOTOUT_GOAL",
        "SHOT",
        "SHOOTOUT_GOAL",
        "SHOOTOUT_GOAL",
        "GAME_FINAL",
    ]
    assert all(e["clock_seconds"] is None for e in natives if e["period"] == 5)
    keeper = memory_keeper()
    assert record_natives(keeper, natives) == []
    board = scoreboard_of(keeper, GAME)
    assert (board.home_score, board.away_score) == (1, 1)
    assert (board.shootout_home, board.shootout_away, board.status) == (2, 1, "FINAL")


def test_period_time_remaining_is_used_when_the_feed_has_it() -> None:
    plays = _regulation()
    plays[1]["about"]["periodTimeRemaining"] = "14:59"
    natives = convert(_with(plays))
    assert next(e for e in natives if e["event_type"] == "GOAL")["clock_seconds"] == 899


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "JSON object"),
        ({"gamePk": 1}, "'gameData' must be an object"),
        (_with([]) | {"gamePk": "x"}, "'gamePk'"),
        ({**_with([]), "liveData": 3}, "'liveData'"),
        (_with([1]), "not a JSON object"),
        (_with([{"result": {"eventTypeId": "GOAL"}}]), "'about'"),
        (_with([_play(0, "X", 0, "00:00", (0, 0))]), "'period'"),
        (_with([_play(0, "X", 1, "21:00", (0, 0))]), "past the period"),
        (_with([_play(0, "X", 1, "1:2", (0, 0))]), "'periodTime'"),
        (_with([_play(0, "X", 1, "00:00", (0, 0)), _play(0, "Y", 1, "00:00", (0, 0))]), "also"),
        (_with([_play(0, "GOAL", 2, "00:00", (0, 0), period_type="SHOOTOUT")]), "shoot-out"),
        (_with([_play(0, "GOAL", 1, "01:00", (1, 0))]), "needs the team"),
        (_with([_play(0, "GOAL", 1, "01:00", (1, 0), "7")]), "does not play"),
        (_with([_play(0, "GOAL", 1, "01:00", (2, 0), PIT)]), "running score is 2-0"),
        (
            _with([_play(n, "GAME_END", 3, "20:00", (0, 0)) for n in (0, 1)]),
            "ends twice",
        ),
    ],
)
def test_not_an_nhl_feed(data: Any, words: str) -> None:
    with pytest.raises(NhlStatsapiFormatError, match=words):
        convert(data)


def test_same_teams_at_home_and_away_is_refused() -> None:
    data = _with([])
    data["gameData"]["teams"]["away"]["id"] = int(PIT)
    with pytest.raises(NhlStatsapiFormatError, match="both 5"):
        convert(data)


# ------------------------------------------------------------------- hypothesis


def _convert_or_refuse(data: Any) -> list[dict[str, Any]] | None:
    try:
        return convert(data)
    except NhlStatsapiFormatError:
        return None


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_arbitrary_json_is_refused_with_nhl_statsapi_format_error(value: Any) -> None:
    real = _with([])  # no data file needed
    for data in (
        value,
        {**real, "gameData": value},
        {**real, "liveData": {"plays": {"allPlays": value}}},
        {**real, "liveData": {"plays": {"allPlays": [value]}}},
    ):
        result = _convert_or_refuse(data)
        if result is not None:
            check_converted_feed(result)


def _garble(draw: Callable[..., Any], value: Any, depth: int = 0) -> Any:
    """``value`` with one part of it (maybe all of it) replaced, deleted or garbled."""
    if isinstance(value, dict) and value and depth < 3 and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(sorted(value)))
        if draw(st.integers(0, 4)) == 0:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _garble(draw, value[key], depth + 1)}
    return draw(JSON | st.sampled_from(["GOAL", "SHOOTOUT", "19:59", 28, 5, 4]))


@st.composite
def _corrupted_feed(draw: st.DrawFn) -> dict[str, Any]:
    """The real game's first plays with one play, or one field deep in one, garbled."""
    plays: list[Any] = _plays()[: draw(st.integers(1, 90))]
    position = draw(st.integers(0, len(plays) - 1))
    plays[position] = _garble(draw, plays[position])
    return _real_with(plays)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corrupted_feed())
def test_corrupted_real_feed_is_refused_or_fully_recorded(data: dict[str, Any]) -> None:
    result = _convert_or_refuse(data)
    if result is not None:
        check_converted_feed(result)
        assert record_natives(memory_keeper(), result) == []


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_corrupted_game_data_is_refused_or_converts(data: st.DataObject) -> None:
    feed = _real_with(_plays()[:40])
    feed["gameData"] = _garble(data.draw, feed["gameData"])
    result = _convert_or_refuse(feed)
    if result is not None:
        check_converted_feed(result)


# ------------------------------------------------------------------------ assists
def test_goals_carry_their_assist_players_in_the_feeds_order() -> None:
    natives = convert(_feed())
    goals = [e for e in natives if e["event_type"] == "GOAL"]
    expected = [  # each goal's players of playerType "Assist", from the data
        [str(p["player"]["id"]) for p in play["players"] if p["playerType"] == "Assist"]
        for play in _plays()
        if play["result"]["eventTypeId"] == "GOAL"
    ]
    assert [e["assists"] for e in goals] == expected
    assert goals[0]["assists"] == ["8474602", "8470543"]  # Rust's: Schultz, Kunitz
    counted = Counter(player for e in natives for player in e.get("assists", ()))
    assert sum(counted.values()) == 10 and counted["8470613"] == 2  # Brent Burns
    assert all(e["event_type"] == "GOAL" for e in natives if "assists" in e)
    assert sum(len(e.assists) for e in parse(json.dumps(natives).encode(), provider="nhl")) == 10


def test_a_shootout_goal_has_no_assists() -> None:
    feed = _feed()
    plays = feed["liveData"]["plays"]["allPlays"]
    goal = next(p for p in plays if p["result"]["eventTypeId"] == "GOAL")
    shootout = copy.deepcopy(goal)
    shootout["about"].update(eventIdx=99_999, period=5, periodType="SHOOTOUT")
    plays.insert(len(plays) - 1, shootout)
    natives = convert(feed)
    (converted,) = [e for e in natives if e["event_type"] == "SHOOTOUT_GOAL"]
    assert "assists" not in converted
