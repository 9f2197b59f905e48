"""Player names from the real provider feeds (skipped, saying why, without ../shared/data):
every converted event with a player carries its name, and the names are the feeds' own."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from adapters.native_format import parse
from adapters.nba_live import convert as convert_nba_live
from adapters.nba_stats import convert as convert_nba_stats
from adapters.nhl_statsapi import convert as convert_nhl
from adapters.provider_format import player_name
from adapters.statsbomb import convert as convert_statsbomb
from domain.events import GameEvent
from tests.shared_data import shared_file

NBA_LIVE = "basketball/nba/0022000001.live-playbyplay.json"
NBA_STATS = "basketball/nba/0021600270.stats-playbyplayv2.json"
NHL = "hockey/nhl/2015030411.feed-live.json"
TURKEY_ITALY = "soccer/statsbomb/3788741.events.json"


def _json(relative: str) -> Any:
    return json.loads(shared_file(relative).read_text(encoding="utf-8"))


def _turkey_italy() -> list[dict[str, Any]]:
    return convert_statsbomb(
        _json(TURKEY_ITALY), game_id="sb", home_team="Turkey", away_team="Italy", league="x"
    )


CONVERSIONS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "statsbomb": _turkey_italy,
    "nba_live": lambda: convert_nba_live(_json(NBA_LIVE)),
    "nba_stats": lambda: convert_nba_stats(_json(NBA_STATS)),
    "nhl_statsapi": lambda: convert_nhl(_json(NHL)),
}


@pytest.mark.parametrize("provider", sorted(CONVERSIONS))
def test_every_event_with_a_player_has_a_name_the_native_format_takes(provider: str) -> None:
    natives = CONVERSIONS[provider]()
    named = [n for n in natives if n.get("player_id") is not None]
    assert named, provider
    assert all(n.get("player_name") for n in named), provider
    assert not any("player_name" in n for n in natives if n.get("player_id") is None)
    parsed = parse(json.dumps(natives).encode(), provider=provider, max_events=len(natives))
    assert [e.player_name for e in parsed] == [n.get("player_name") for n in natives]


def test_statsbomb_goals_name_their_scorers_and_the_own_goal_its_player() -> None:
    goals = [
        (n["event_type"], n["player_id"], n["player_name"], n["clock_seconds"] // 60)
        for n in _turkey_italy()
        if n["event_type"] in ("GOAL", "OWN_GOAL")
    ]
    assert goals == [  # Demiral own goal 53', Immobile 66', Insigne 79'
        ("OWN_GOAL", "23558", "Merih Demiral", 52),
        ("GOAL", "7788", "Ciro Immobile", 65),
        ("GOAL", "7037", "Lorenzo Insigne", 78),
    ]


def test_statsbomb_names_are_the_players_of_the_events() -> None:
    raw = {
        str(e["player"]["id"]): e["player"]["name"] for e in _json(TURKEY_ITALY) if "player" in e
    }
    for native in _turkey_italy():
        if native.get("player_id") is not None:
            assert native["player_name"] == raw[native["player_id"]]


def test_nba_live_names_are_the_feed_s_initial_and_family_name() -> None:
    natives = convert_nba_live(_json(NBA_LIVE))
    names = {n["player_id"]: n["player_name"] for n in natives if n.get("player_id")}
    assert names["201939"] == "S. Curry"
    assert names["201142"] == "K. Durant"
    actions = _json(NBA_LIVE)["game"]["actions"]
    assert names == {
        str(a["personId"]): a["playerNameI"] for a in actions if str(a["personId"]) in names
    }


def test_nba_live_a_renamed_player_is_corrected_on_the_next_poll() -> None:
    first = convert_nba_live(_json(NBA_LIVE))
    feed = _json(NBA_LIVE)
    for action in feed["game"]["actions"]:
        if action.get("personId") == 201939:
            action["playerNameI"] = "W. S. Curry"
    again = convert_nba_live(feed, previous=first)
    assert again[: len(first)] == first
    added = again[len(first) :]
    assert added and all(n["event_type"] == "EVENT_CORRECTED" for n in added)
    assert {n["correction"]["player_name"] for n in added} == {"W. S. Curry"}
    assert all(n["correction"]["player_id"] is None for n in added)
    events = [GameEvent.from_dict(n) for n in again]
    assert all(e.correction and e.correction.player_name == "W. S. Curry" for e in events[-3:])


def test_stats_nba_com_names_are_player1_name() -> None:
    natives = convert_nba_stats(_json(NBA_STATS))
    names = {n["player_id"]: n["player_name"] for n in natives if n.get("player_id")}
    assert names["201566"] == "Russell Westbrook"
    assert names["202322"] == "John Wall"


def test_nhl_goals_name_their_scorers() -> None:
    goals = [
        (n["player_id"], n["player_name"])
        for n in convert_nhl(_json(NHL))
        if n["event_type"] == "GOAL"
    ]
    assert goals == [  # Pittsburgh 3-2 San Jose, 2016 Stanley Cup Final game 1
        ("8475810", "Bryan Rust"),
        ("8477839", "Conor Sheary"),
        ("8476881", "Tomas Hertl"),
        ("8466139", "Patrick Marleau"),
        ("8474009", "Nick Bonino"),
    ]


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("  Ciro Immobile ", "Ciro Immobile"),
        ("", None),
        ("   ", None),
        (None, None),
        (7, None),
        ("x" * 199 + " y", "x" * 199),
        ("é" * 300, "é" * 200),
    ],
)
def test_a_provider_s_name_is_trimmed_and_cut_to_what_the_native_format_takes(
    raw: object, name: str | None
) -> None:
    assert player_name(raw) == name


def _first_goal(feed: dict[str, Any]) -> dict[str, Any]:
    plays = feed["liveData"]["plays"]["allPlays"]
    goal: dict[str, Any] = next(p for p in plays if p["result"]["eventTypeId"] == "GOAL")
    return goal


def test_nhl_a_goal_given_to_another_player_is_corrected_with_their_name() -> None:
    first = convert_nhl(_json(NHL))
    feed = _json(NHL)
    scorer = _first_goal(feed)["players"][0]
    scorer["player"] = {"id": 8470543, "fullName": "Chris Kunitz"}  # (an assister, say)
    again = convert_nhl(feed, previous=first)
    (correction,) = [n for n in again[len(first) :] if n["event_type"] == "EVENT_CORRECTED"]
    assert (correction["correction"]["player_id"], correction["correction"]["player_name"]) == (
        "8470543",
        "Chris Kunitz",
    )
    events = [GameEvent.from_dict(n) for n in again]
    assert events[-1].correction is not None


def test_nhl_a_player_who_loses_their_name_keeps_the_one_sent() -> None:
    first = convert_nhl(_json(NHL))
    feed = _json(NHL)
    del _first_goal(feed)["players"][0]["player"]["fullName"]
    assert convert_nhl(feed, previous=first) == first  # (a cleared field keeps its value)
