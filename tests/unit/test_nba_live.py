"""adapters.nba_live: a real NBA live feed scores exactly like the provider's running score."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.native_format import parse
from adapters.nba_live import NbaLiveFormatError, convert
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

FEED = "basketball/nba/0022000001.live-playbyplay.json"
GAME = "0022000001"
BKN, GSW = "1610612751", "1610612744"


@cache
def _raw() -> str:
    return shared_file(FEED).read_text(encoding="utf-8")


def _feed() -> dict[str, Any]:
    """A fresh copy of the real feed (tests change theirs)."""
    data: dict[str, Any] = json.loads(_raw())
    return data


def _actions() -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = _feed()["game"]["actions"]
    return sorted(actions, key=lambda a: a["orderNumber"])


def _with(actions: Sequence[Any]) -> dict[str, Any]:
    return {"game": {"gameId": GAME, "actions": list(actions)}}


# ------------------------------------------------------------------ the real game
def test_running_score_after_every_action_equals_the_providers() -> None:
    actions = {action["actionNumber"]: action for action in _actions()}
    natives = convert(_feed())
    keeper = memory_keeper()
    for number, batch, board in replay_row_by_row(keeper, natives, "action", actions):
        action = actions[number]
        expected = (int(action["scoreHome"]), int(action["scoreAway"]))
        assert (board.home_score, board.away_score) == expected, number
        if batch:
            assert board.current_period == action["period"]
    board = scoreboard_of(keeper, GAME)
    assert board.status == "FINAL"
    assert (board.home_score, board.away_score) == (125, 99)
    assert board.public()["period_name"] == "Q4"
    assert board.end_time == "2020-12-23T02:20:52.5Z"


def test_real_game_structure_and_schedule() -> None:
    natives = convert(_feed())
    check_converted_feed(natives)
    assert natives[0]["schedule"] == {
        "home_team_id": BKN,
        "away_team_id": GSW,
        "home_team_name": "BKN",
        "away_team_name": "GSW",
        "venue": None,
        "start_time": "2020-12-23T00:06:19.0Z",
        "league": "nba",
        "season": "2020-21",
    }
    assert natives[1]["event_type"] == "GAME_STARTED"
    assert natives[2]["event_id"] == f"{GAME}:action:2"  # Period Start
    boundaries = [
        (e["event_type"], e["period"])
        for e in natives
        if e["event_type"] in ("PERIOD_START", "PERIOD_END")
    ]
    assert boundaries == [
        (kind, p) for p in (1, 2, 3, 4) for kind in ("PERIOD_START", "PERIOD_END")
    ]
    for e in natives[1:]:
        assert isinstance(e["period"], int) and 0 <= e["clock_seconds"] <= 720


def test_every_action_maps_to_its_event() -> None:
    actions = _actions()
    natives = convert(_feed())
    made = Counter(a["actionType"] for a in actions if a.get("shotResult") == "Made")
    kinds = Counter(e["event_type"] for e in natives)
    assert kinds["TWO_POINTER"] == made["2pt"] == 54
    assert kinds["THREE_POINTER"] == made["3pt"] == 25
    assert kinds["FREE_THROW"] == made["freethrow"] == 41
    assert kinds["SHOT"] == sum(a.get("shotResult") == "Missed" for a in actions)
    assert kinds["SUBSTITUTION"] == 96 and kinds["FOUL"] == 46 and kinds["TIMEOUT"] == 9
    by_id = {e["event_id"]: e for e in natives}
    three = by_id[f"{GAME}:action:16"]
    assert three["event_type"] == "THREE_POINTER"
    assert (three["team_id"], three["player_id"]) == (BKN, "201142")  # Kevin Durant
    assert three["description"] == "K. Durant 25' 3PT pullup (3 PTS) (J. Harris 1 AST)"
    assert (three["period"], three["created_at"]) == (1, "2020-12-23T00:08:29.9Z")
    stoppage = next(a for a in actions if a["clock"] == "PT00M17.80S")
    assert by_id.get(f"{GAME}:action:{stoppage['actionNumber']}") is None  # no event
    timeout = by_id[f"{GAME}:action:65"]
    assert (timeout["event_type"], timeout["team_id"], timeout["player_id"]) == (
        "TIMEOUT",
        GSW,
        None,
    )
    assert timeout["clock_seconds"] == 7 * 60 + 20


def test_conversion_is_stable_and_ids_come_from_action_numbers() -> None:
    first = convert(_feed())
    shuffled = _feed()
    shuffled["game"]["actions"].reverse()  # game order is orderNumber, not file order
    assert convert(shuffled) == first == convert(_feed())
    numbers = {a["actionNumber"] for a in _actions()}
    for e in first[2:]:
        number = provider_row(e, "action")
        assert number in numbers and e["event_id"].startswith(f"{GAME}:action:{number}")
    assert convert(_feed(), game_id="nba:g1")[5]["event_id"] == first[5]["event_id"]


# ------------------------------------------------------------------------ re-polls
@pytest.mark.parametrize("seen", [40, 300, 609])
def test_a_later_poll_appends_exactly_what_is_new(seen: int) -> None:
    actions = _actions()
    earlier = convert(_with(actions[:seen]))
    later = convert(_feed(), previous=earlier)
    assert later == convert(_feed())  # same ids, numbers and contents as one conversion
    keeper = memory_keeper()
    assert record_natives(keeper, earlier) == []
    assert record_natives(keeper, later[len(earlier) :]) == []
    assert score_of(keeper, GAME) == (
        125,
        99,
    )


def test_edited_and_deleted_actions_are_corrected_and_retracted() -> None:
    actions = _actions()
    polled = copy.deepcopy(actions)  # the earlier poll, as the provider first had it
    at = next(i for i, a in enumerate(polled) if a["actionNumber"] == 12)  # Irving 2pt, BKN
    polled[at].update(actionType="3pt", description="K. Irving 21' 3PT (3 PTS)")
    for a in polled[at:]:
        a["scoreHome"] = str(int(a["scoreHome"]) + 1)
    ghost = {
        **polled[at + 3],
        "actionNumber": 9999,
        "orderNumber": polled[at + 3]["orderNumber"] + 1,
    }
    ghost.update(actionType="freethrow", subType="1 of 1", shotResult="Made", teamId=int(GSW))
    ghost["teamTricode"] = "GSW"
    polled.insert(at + 4, ghost)
    for a in polled[at + 4 :]:
        a["scoreAway"] = str(int(a["scoreAway"]) + 1)
    edited = max(i for i, a in enumerate(polled) if a.get("shotResult") == "Made")
    polled[edited]["description"] = "edited later"
    earlier = convert(_with(polled))
    keeper = memory_keeper()
    assert record_natives(keeper, earlier) == []
    assert score_of(keeper, GAME) == (
        126,
        100,
    )
    later = convert(_feed(), previous=earlier)
    assert later[: len(earlier)] == earlier
    added = later[len(earlier) :]
    assert [(e["event_type"], e["references_event_id"]) for e in added] == [
        ("EVENT_RETRACTED", f"{GAME}:action:9999"),
        ("EVENT_CORRECTED", f"{GAME}:action:12"),
        ("EVENT_CORRECTED", f"{GAME}:action:{polled[edited]['actionNumber']}"),
    ]
    assert added[1]["correction"]["event_type"] == "TWO_POINTER"
    assert record_natives(keeper, added) == []
    assert score_of(keeper, GAME) == (
        125,
        99,
    )
    assert scoreboard_of(keeper, GAME).status == "FINAL"
    assert convert(_feed(), previous=later) == later  # nothing new: nothing added


def test_a_deleted_action_that_comes_back_is_sent_again() -> None:
    actions = _actions()[:30]
    at, basket = next((i, a) for i, a in enumerate(actions) if a.get("shotResult") == "Made")
    points = {"2pt": 2, "3pt": 3, "freethrow": 1}[basket["actionType"]]
    side = "scoreHome" if str(basket["teamId"]) == BKN else "scoreAway"
    without = copy.deepcopy(actions)
    del without[at]
    for a in without[at:]:
        a[side] = str(int(a[side]) - points)
    first = convert(_with(actions))
    second = convert(_with(without), previous=first)
    third = convert(_with(actions), previous=second)
    keeper = memory_keeper()
    for log, before in ((first, 0), (second, len(first)), (third, len(second))):
        assert record_natives(keeper, log[before:]) == []
        check_converted_feed(log)
    basket_id = f"{GAME}:action:{basket['actionNumber']}"
    assert [(e["event_type"], e["references_event_id"]) for e in second[len(first) :]] == [
        ("EVENT_RETRACTED", basket_id)
    ]
    assert [e["event_id"] for e in third[len(second) :]] == [f"{basket_id}#2"]
    board = scoreboard_of(keeper, GAME)
    assert (board.home_score, board.away_score) == (
        int(actions[-1]["scoreHome"]),
        int(actions[-1]["scoreAway"]),
    )


def test_a_poll_before_any_points_needs_the_teams_and_names_come_later() -> None:
    actions = _actions()
    earlier = convert(_with(actions[:1]), home_team_id=BKN, away_team_id=GSW)
    assert earlier[0]["schedule"]["home_team_name"] is None  # no tricode in a Period Start
    later = convert(_feed(), previous=earlier)
    added = later[len(earlier) :]
    assert added[0]["event_id"] == f"{GAME}:scheduled#2"
    assert added[0]["schedule"]["home_team_name"] == "BKN"
    keeper = memory_keeper()
    assert record_natives(keeper, earlier) == [] and record_natives(keeper, added) == []
    board = scoreboard_of(keeper, GAME)
    assert (board.home_score, board.away_score, board.schedule.away_team_name) == (125, 99, "GSW")


# ---------------------------------------------------------------- small feeds
def _act(n: int, kind: str, home: int, away: int, **extra: Any) -> dict[str, Any]:
    return {
        "actionNumber": n,
        "orderNumber": n * 10,
        "clock": "PT10M00.00S",
        "period": 1,
        "actionType": kind,
        "scoreHome": str(home),
        "scoreAway": str(away),
        **extra,
    }


def _shot(
    n: int, kind: str, team: str, home: int, away: int, result: str = "Made"
) -> dict[str, Any]:
    return _act(n, kind, home, away, teamId=int(team), personId=n, shotResult=result)


START = _act(1, "period", 0, 0, subType="start")


def test_running_score_wins_over_the_shot_type_and_fixes_are_recorded() -> None:
    actions = [
        START,
        _shot(2, "2pt", BKN, 3, 0),  # a "2pt" that moved the score by 3
        _shot(3, "2pt", GSW, 3, 2),
        _act(4, "rebound", 3, 3),  # GSW's basket became a 3 on review
        _shot(5, "3pt", BKN, 6, 3),
        _act(6, "stoppage", 3, 3),  # ...and BKN's 3 was taken back
        _shot(7, "freethrow", GSW, 3, 3, result="Missed"),
    ]
    natives = convert(_with(actions))
    check_converted_feed(natives)
    kinds = [(e["event_id"].split(":", 1)[1], e["event_type"]) for e in natives[3:]]
    assert kinds == [
        ("action:2", "THREE_POINTER"),
        ("action:3", "TWO_POINTER"),
        ("action:4:fix-away", "EVENT_CORRECTED"),
        ("action:5", "THREE_POINTER"),
        ("action:6:fix-home", "EVENT_RETRACTED"),
        ("action:7", "SHOT"),
    ]
    keeper = memory_keeper()
    assert record_natives(keeper, natives) == []
    assert score_of(keeper, GAME) == (
        3,
        3,
    )


def test_a_running_score_no_play_explains_is_refused() -> None:
    actions = [START, _shot(2, "2pt", BKN, 2, 0), _shot(3, "2pt", GSW, 2, 2), _act(4, "x", 9, 2)]
    with pytest.raises(NbaLiveFormatError, match="running score is 9-2"):
        convert(_with(actions))


def test_home_team_comes_from_the_score_or_is_given() -> None:
    quiet = [
        START,
        _shot(2, "2pt", GSW, 0, 0, result="Missed"),
        _act(3, "foul", 0, 0, teamId=int(BKN)),
    ]
    with pytest.raises(NbaLiveFormatError, match="pass home_team_id"):
        convert(_with(quiet))
    given = convert(_with(quiet), home_team_id=BKN, away_team_id=GSW)
    assert given[0]["schedule"]["home_team_id"] == BKN
    away_first = [*quiet, _shot(4, "3pt", GSW, 0, 3)]
    assert convert(_with(away_first))[0]["schedule"]["away_team_id"] == GSW
    with pytest.raises(NbaLiveFormatError, match="home team is"):
        convert(_with(away_first), home_team_id=GSW, away_team_id=BKN)
    with pytest.raises(ValueError, match="both"):
        convert(_with(quiet), home_team_id=BKN)


def test_overtime_periods_continue_the_numbering() -> None:
    actions = [
        START,
        _shot(2, "2pt", BKN, 2, 0),
        _act(3, "period", 2, 0, subType="start", period=5, clock="PT05M00.00S"),
        _shot(4, "3pt", GSW, 2, 3) | {"period": 5, "clock": "PT04M10.50S"},
        _act(5, "game", 2, 3, subType="end", period=5, clock="PT00M00.00S"),
    ]
    natives = convert(_with(actions))
    keeper = memory_keeper()
    assert record_natives(keeper, natives) == []
    board = scoreboard_of(keeper, GAME)
    assert (board.current_period, board.public()["period_name"], board.status) == (5, "OT", "FINAL")
    assert natives[-2]["clock_seconds"] == 250


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "JSON object with a 'game'"),
        ({"game": {"actions": []}}, "gameId"),
        ({"game": {"gameId": "has space", "actions": []}}, "gameId"),
        ({"game": {"gameId": GAME, "actions": {}}}, "must be a list"),
        ({"game": {"gameId": GAME, "actions": [1]}}, "not a JSON object"),
        (_with([{**START, "clock": "12:00"}]), "'clock'"),
        (_with([{**START, "period": 0}]), "'period'"),
        (_with([{**START, "scoreHome": "1"} | {"scoreAway": None}]), "scoreHome"),
        (_with([START, {**START, "orderNumber": 99}]), "also that of"),
        (_with([START, _act(2, "2pt", 2, 0, teamId=1)]), "shotResult"),
        (
            _with([START, *(_shot(n, "2pt", str(n), 0, 0, "Missed") for n in (2, 3, 4))]),
            "two teams",
        ),
    ],
)
def test_not_an_nba_live_feed(data: Any, words: str) -> None:
    with pytest.raises(NbaLiveFormatError, match=words):
        convert(data)


def test_a_made_shot_needs_its_team() -> None:
    actions = [START, _shot(2, "2pt", BKN, 2, 0), _shot(3, "2pt", GSW, 2, 2)]
    convert(_with(actions))
    with pytest.raises(NbaLiveFormatError, match="needs the team"):
        convert(_with([*actions, _act(4, "2pt", 4, 2, shotResult="Made")]))


def test_previous_of_another_game_or_shape_is_refused() -> None:
    actions = [START, _shot(2, "2pt", BKN, 2, 0), _shot(3, "2pt", GSW, 2, 2)]
    earlier = convert(_with(actions))
    other = convert(_with(actions), game_id="other")
    cases: list[tuple[Any, str]] = [
        (other, "'game_id'"),
        ("nope", "list of native events"),
        ([*earlier, 3], "not a native event"),
        ([*earlier, earlier[-1]], "no other event has"),
        ([{**earlier[0], "schedule": {"home_team_id": GSW, "away_team_id": BKN}}], "home team is"),
    ]
    for previous, words in cases:
        with pytest.raises(NbaLiveFormatError, match=words):
            convert(_with(actions), previous=previous)
    elsewhere = [{**earlier[0], "schedule": {"home_team_id": "1", "away_team_id": "2"}}]
    with pytest.raises(NbaLiveFormatError, match="another game"):
        convert(_with(actions), previous=elsewhere, home_team_id=BKN, away_team_id=GSW)


# ------------------------------------------------------------------- hypothesis


def _convert_or_refuse(data: Any, **options: Any) -> list[dict[str, Any]] | None:
    try:
        return convert(data, **options)
    except NbaLiveFormatError:
        return None


@settings(max_examples=300)
@given(JSON)
def test_arbitrary_json_is_refused_with_nba_live_format_error(value: Any) -> None:
    # Anything else raised (KeyError, TypeError, ...) fails the test.
    for data in (value, {"game": value}, {"game": {"gameId": GAME, "actions": value}}):
        result = _convert_or_refuse(data)
        if result is not None:
            check_converted_feed(result)


@st.composite
def _corrupted_feed(draw: st.DrawFn) -> dict[str, Any]:
    """The real game's first actions with one action, or one field of one, garbled."""
    actions: list[Any] = copy.deepcopy(_actions()[: draw(st.integers(2, 70))])
    position = draw(st.integers(0, len(actions) - 1))
    target = draw(st.sampled_from([None, *sorted(actions[position])]))
    if target is None:
        actions[position] = draw(JSON)
    elif draw(st.booleans()):
        del actions[position][target]
    else:
        actions[position][target] = draw(JSON | st.sampled_from(["Made", "3pt", "period", "7"]))
    return _with(actions)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corrupted_feed())
def test_corrupted_real_feed_is_refused_or_fully_recorded(data: dict[str, Any]) -> None:
    result = _convert_or_refuse(data)
    if result is not None:
        check_converted_feed(result)
        assert record_natives(memory_keeper(), result) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(20, 60), st.data())
def test_corrupted_previous_is_refused_or_brought_up_to_date(cut: int, data: st.DataObject) -> None:
    actions = _actions()[:70]
    previous: list[Any] = copy.deepcopy(convert(_with(actions[:cut])))
    position = data.draw(st.integers(0, len(previous) - 1))
    key = data.draw(st.sampled_from([None, *sorted(previous[position])]))
    if key is None:
        previous[position] = data.draw(JSON)
    else:
        previous[position][key] = data.draw(JSON)
    result = _convert_or_refuse(_with(actions), previous=previous)
    if result is not None:
        assert result[: len(previous)] == previous


# ------------------------------------------------------------------------ assists
def test_made_field_goals_carry_the_feeds_assists() -> None:
    natives = convert(_feed())
    totals: dict[str, int] = {}  # the feed's running assistTotal: its last one per player
    for action in _actions():
        if action.get("assistPersonId"):
            totals[str(action["assistPersonId"])] = action["assistTotal"]
    counted = Counter(player for e in natives for player in e.get("assists", ()))
    assert dict(counted) == totals and sum(counted.values()) == 50
    assert counted["201939"] == 10  # Stephen Curry
    assert {e["event_type"] for e in natives if "assists" in e} == {"TWO_POINTER", "THREE_POINTER"}
    by_id = {e["event_id"]: e for e in natives}
    assert by_id[f"{GAME}:action:16"]["assists"] == ["203925"]  # "(J. Harris 1 AST)"
    assert "assists" not in by_id[f"{GAME}:action:65"]
    parsed = parse(json.dumps(natives).encode(), provider="nba")  # the native format takes it
    assert sum(len(e.assists) for e in parsed) == 50


def test_an_assist_added_or_taken_away_later_is_a_correction() -> None:
    actions = _actions()[:60]
    polled = copy.deepcopy(actions)
    at = next(i for i, a in enumerate(polled) if a.get("assistPersonId"))
    assister = str(polled[at].pop("assistPersonId"))  # the first poll had no assist yet
    target = f"{GAME}:action:{polled[at]['actionNumber']}"
    earlier = convert(_with(polled))
    later = convert(_with(actions), previous=earlier)
    added = later[len(earlier) :]
    assert [(e["event_type"], e["references_event_id"]) for e in added] == [
        ("EVENT_CORRECTED", target)
    ]
    assert added[0]["correction"]["assists"] == [assister]
    again = convert(_with(polled), previous=later)  # and taken back
    assert [e["correction"]["assists"] for e in again[len(later) :]] == [[]]
    fixes = parse(json.dumps(again[len(earlier) :]).encode(), provider="nba")
    assert [e.correction.assists for e in fixes if e.correction] == [(assister,), ()]
