"""adapters.nba_stats: a real stats.nba.com play-by-play scores exactly like its SCORE column."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.native_format import parse
from adapters.nba_stats import NbaStatsFormatError, convert
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

PLAY_BY_PLAY = "basketball/nba/0021600270.stats-playbyplayv2.json"
SUMMARY = "basketball/nba/0021600270.summary.json"
GAME = "0021600270"
OKC, WAS = "1610612760", "1610612764"


@cache
def _raw(relative: str) -> str:
    return shared_file(relative).read_text(encoding="utf-8")


def _answer() -> dict[str, Any]:
    """A fresh copy of the real play-by-play answer (tests change theirs)."""
    data: dict[str, Any] = json.loads(_raw(PLAY_BY_PLAY))
    return data


def _summary() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_raw(SUMMARY))
    return data


@cache
def _play_by_play() -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
    answer = _answer()["resultSets"][0]
    return tuple(answer["headers"]), tuple(tuple(row) for row in answer["rowSet"])


def _headers() -> list[str]:
    return list(_play_by_play()[0])


def _rows() -> list[dict[str, Any]]:
    """The real rows as {header: value}, in the answer's order."""
    headers, rows = _play_by_play()
    return [dict(zip(headers, row, strict=True)) for row in rows]


def _with(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A playbyplayv2 answer holding ``rows``: their columns, missing cells null."""
    headers = list(dict.fromkeys(key for row in rows for key in row))
    row_set = [[row.get(h) for h in headers] for row in rows]
    return {"resultSets": [{"name": "PlayByPlay", "headers": headers, "rowSet": row_set}]}


def _score(row: Mapping[str, Any]) -> tuple[int, int]:
    away, home = (int(part) for part in row["SCORE"].split(" - "))
    return home, away


# ------------------------------------------------------------------ the real game
def test_running_score_after_every_scoring_row_equals_score() -> None:
    rows = {row["EVENTNUM"]: row for row in _rows()}
    natives = convert(_answer(), summary=_summary())
    keeper = memory_keeper()
    checked = 0
    for number, batch, board in replay_row_by_row(keeper, natives, "eventnum", rows):
        row = rows[number]
        if row["SCORE"] is not None:
            checked += 1
            assert (board.home_score, board.away_score) == _score(row), number
        if batch:
            assert board.current_period == row["PERIOD"]
    assert checked == sum(row["SCORE"] is not None for row in rows.values()) == 138
    board = scoreboard_of(keeper, GAME)
    assert board.status == "FINAL"
    assert (board.home_score, board.away_score) == (126, 115)
    assert (board.current_period, board.public()["period_name"]) == (5, "OT")


def test_real_game_structure_and_schedule() -> None:
    natives = convert(_answer())
    check_converted_feed(natives)
    assert natives[0]["schedule"] == {
        "home_team_id": OKC,
        "away_team_id": WAS,
        "home_team_name": "Oklahoma City Thunder",
        "away_team_name": "Washington Wizards",
        "venue": None,
        "start_time": None,
        "league": "nba",
        "season": "2016-17",
    }
    assert natives[0]["description"] == "Washington Wizards at Oklahoma City Thunder"
    boundaries = [
        (e["event_type"], e["period"], e["clock_seconds"])
        for e in natives
        if e["event_type"] in ("PERIOD_START", "PERIOD_END")
    ]
    assert boundaries == [
        (kind, period, (720 if period <= 4 else 300) if kind == "PERIOD_START" else 0)
        for period in (1, 2, 3, 4, 5)
        for kind in ("PERIOD_START", "PERIOD_END")
    ]
    final = natives[-1]
    assert (final["event_type"], final["event_id"]) == ("GAME_FINAL", f"{GAME}:eventnum:627:final")
    assert final["description"] == "Final (OT)"


def test_the_summary_adds_nothing_new_here_but_must_agree() -> None:
    assert convert(_answer(), summary=_summary()) == convert(_answer())
    swapped = _summary()
    game = swapped["resultSets"][0]
    game["rowSet"][0][6], game["rowSet"][0][7] = int(WAS), int(OKC)  # HOME_ / VISITOR_TEAM_ID
    with pytest.raises(NbaStatsFormatError, match="the summary has"):
        convert(_answer(), summary=swapped)
    short = _summary()
    line = next(s for s in short["resultSets"] if s["name"] == "LineScore")
    line["rowSet"][0][-1] = 125  # OKC's PTS
    with pytest.raises(NbaStatsFormatError, match="line score is 125-115"):
        convert(_answer(), summary=short)
    other = _summary()
    other["resultSets"][0]["rowSet"][0][2] = "0021600271"  # GAME_ID
    with pytest.raises(NbaStatsFormatError, match="summary is of game"):
        convert(_answer(), summary=other)


def test_every_row_maps_to_its_event() -> None:
    rows = _rows()
    natives = convert(_answer())
    kinds = Counter(e["event_type"] for e in natives)
    made = [r for r in rows if r["EVENTMSGTYPE"] == 1]
    threes = sum("3PT" in (r["HOMEDESCRIPTION"] or r["VISITORDESCRIPTION"]) for r in made)
    assert (kinds["TWO_POINTER"], kinds["THREE_POINTER"]) == (len(made) - threes, threes)
    free_throws = [r for r in rows if r["EVENTMSGTYPE"] == 3]
    missed = sum("MISS" in (r["HOMEDESCRIPTION"] or r["VISITORDESCRIPTION"]) for r in free_throws)
    assert kinds["FREE_THROW"] == len(free_throws) - missed == 39
    assert kinds["SHOT"] == missed + sum(r["EVENTMSGTYPE"] == 2 for r in rows)
    assert (kinds["FOUL"], kinds["SUBSTITUTION"], kinds["TIMEOUT"]) == (49, 55, 18)
    by_id = {e["event_id"]: e for e in natives}
    basket = by_id[f"{GAME}:eventnum:3"]
    assert (basket["event_type"], basket["team_id"], basket["player_id"]) == (
        "TWO_POINTER",
        OKC,
        "1627734",  # Domantas Sabonis
    )
    assert (basket["clock_seconds"], basket["period"]) == (11 * 60 + 18, 1)
    assert basket["description"] == "Sabonis 13' Jump Shot (2 PTS) (Oladipo 1 AST)"
    team_timeout = by_id[f"{GAME}:eventnum:57"]
    assert (team_timeout["team_id"], team_timeout["player_id"]) == (OKC, None)
    official = by_id[f"{GAME}:eventnum:157"]
    assert (official["event_type"], official["team_id"]) == ("TIMEOUT", None)
    substitution = next(e for e in natives if e["event_type"] == "SUBSTITUTION")
    row = next(r for r in rows if r["EVENTNUM"] == provider_row(substitution, "eventnum"))
    assert substitution["player_id"] == str(row["PLAYER1_ID"])  # the player going off
    assert by_id.get(f"{GAME}:eventnum:1") is None  # the jump ball gives no event


def test_conversion_is_stable_and_ids_come_from_eventnum() -> None:
    first = convert(_answer())
    assert convert(_answer()) == first
    numbers = {r["EVENTNUM"] for r in _rows()}
    assert all(provider_row(e, "eventnum") in numbers for e in first[2:])
    assert [e["event_id"] for e in convert(_answer(), game_id="x")] == [
        e["event_id"] for e in first
    ]


# ------------------------------------------------------------------------ re-polls
def test_regulation_ending_tied_is_not_final_and_overtime_follows() -> None:
    rows = _rows()
    end_of_regulation = next(i for i, r in enumerate(rows) if r["EVENTNUM"] == 544)
    earlier = convert(_with(rows[: end_of_regulation + 1]))
    assert "GAME_FINAL" not in [e["event_type"] for e in earlier]
    keeper = memory_keeper()
    assert record_natives(keeper, earlier) == []
    board = scoreboard_of(keeper, GAME)
    assert (board.status, board.home_score, board.away_score) == ("LIVE", 105, 105)
    later = convert(_answer(), previous=earlier)
    assert later == convert(_answer())
    assert record_natives(keeper, later[len(earlier) :]) == []
    assert (scoreboard_of(keeper, GAME).status, scoreboard_of(keeper, GAME).home_score) == (
        "FINAL",
        126,
    )


@pytest.mark.parametrize("seen", [10, 200, 539])
def test_a_later_poll_appends_exactly_what_is_new(seen: int) -> None:
    earlier = convert(_with(_rows()[:seen]))
    assert convert(_answer(), previous=earlier) == convert(_answer())


def test_a_basket_changed_from_two_to_three_is_corrected() -> None:
    rows = _rows()
    at = next(i for i, r in enumerate(rows) if r["EVENTNUM"] == 3)  # Sabonis 2pt, OKC
    polled = copy.deepcopy(rows)
    polled[at]["HOMEDESCRIPTION"] = "Sabonis 23' 3PT Jump Shot (3 PTS)"
    for row in polled[at:]:
        if row["SCORE"]:
            home, away = _score(row)
            row["SCORE"] = f"{away} - {home + 1}"
    polled[-1]["SCORE"] = "115 - 127"
    earlier = convert(_with(polled))
    later = convert(_answer(), previous=earlier)
    added = later[len(earlier) :]
    assert [(e["event_type"], e["correction"]["event_type"]) for e in added] == [
        ("EVENT_CORRECTED", "TWO_POINTER")
    ]
    keeper = memory_keeper()
    assert record_natives(keeper, later) == []
    assert score_of(keeper, GAME) == (
        126,
        115,
    )


# ---------------------------------------------------------------- small answers
def _row(n: int, kind: int, score: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "GAME_ID": GAME,
        "EVENTNUM": n,
        "EVENTMSGTYPE": kind,
        "EVENTMSGACTIONTYPE": 0,
        "PERIOD": 1,
        "PCTIMESTRING": "10:00",
        "SCORE": score,
        **extra,
    }


def _made(n: int, side: str, score: str, text: str) -> dict[str, Any]:
    team, person = (OKC, 4) if side == "home" else (WAS, 5)
    key = "HOMEDESCRIPTION" if side == "home" else "VISITORDESCRIPTION"
    return _row(
        n, 1, score, PERSON1TYPE=person, PLAYER1_ID=n, PLAYER1_TEAM_ID=int(team), **{key: text}
    )


def test_a_made_shot_is_worth_what_the_score_says() -> None:
    rows = [
        _row(0, 12),
        _made(1, "home", "0 - 3", "Westbrook 26' Jump Shot (3 PTS)"),  # no "3PT" in it
        _made(2, "away", "2 - 3", "Wall Layup (2 PTS)"),
        _row(3, 13, "2 - 3", PERIOD=4),
    ]
    natives = convert(_with(rows))
    assert [e["event_type"] for e in natives[3:]] == [
        "THREE_POINTER",
        "TWO_POINTER",
        "PERIOD_END",
        "GAME_FINAL",
    ]
    keeper = memory_keeper()
    assert record_natives(keeper, natives) == []
    assert (
        scoreboard_of(keeper, GAME).home_score,
        scoreboard_of(keeper, GAME).away_score,
        scoreboard_of(keeper, GAME).status,
    ) == (
        3,
        2,
        "FINAL",
    )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "'resultSets' list"),
        ({"resultSets": [{"name": "Other"}]}, "'PlayByPlay' result set"),
        ({"resultSets": [{"name": "PlayByPlay", "headers": [1], "rowSet": []}]}, "headers"),
        ({"resultSets": [{"name": "PlayByPlay", "headers": ["A"], "rowSet": [[]]}]}, "1 values"),
        ({"resultSets": [{"name": "PlayByPlay", "headers": [], "rowSet": []}]}, "no rows"),
        (_with([_row(0, 12, PCTIMESTRING="12")]), "PCTIMESTRING"),
        (_with([_row(0, 12, PERIOD=0)]), "PERIOD"),
        (_with([_row(0, 12, SCORE="2-2-2")]), "SCORE"),
        (_with([_row(0, 12), _row(0, 13)]), "also that of"),
        (_with([_row(0, 12), _row(1, 12, GAME_ID="other")]), "2 games"),
        (_with([_row(0, 12)]), "both teams"),
        (
            _with(
                [
                    _made(1, "home", "0 - 2", "a"),
                    {**_made(2, "away", "2 - 2", "b"), "PERSON1TYPE": 4},
                ]
            ),
            "one home and one away",
        ),
        (
            _with([_made(1, "home", "0 - 2", "a"), _made(2, "away", "9 - 2", "b")]),
            "running score is 2-9",
        ),
    ],
)
def test_not_a_playbyplay_answer(data: Any, words: str) -> None:
    with pytest.raises(NbaStatsFormatError, match=words):
        convert(data)


def test_a_summary_alone_names_the_teams_of_an_empty_answer() -> None:
    empty = {"resultSets": [{"name": "PlayByPlay", "headers": _headers(), "rowSet": []}]}
    natives = convert(empty, summary=_summary())
    assert [e["event_type"] for e in natives] == ["GAME_SCHEDULED"]
    assert natives[0]["schedule"]["home_team_name"] == "Oklahoma City Thunder"
    with pytest.raises(NbaStatsFormatError, match="GameSummary"):
        convert(empty, summary={"resultSets": []})


# ------------------------------------------------------------------- hypothesis


def _convert_or_refuse(data: Any, **options: Any) -> list[dict[str, Any]] | None:
    try:
        return convert(data, **options)
    except NbaStatsFormatError:
        return None


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_arbitrary_json_is_refused_with_nba_stats_format_error(value: Any) -> None:
    headers = _headers()
    for data in (
        value,
        {"resultSets": value},
        {"resultSets": [{"name": "PlayByPlay", "headers": headers, "rowSet": value}]},
    ):
        result = _convert_or_refuse(data)
        if result is not None:
            check_converted_feed(result)
    assert _convert_or_refuse(_with(_rows()[:5]), summary=value) is None or value is None


@st.composite
def _corrupted_answer(draw: st.DrawFn) -> dict[str, Any]:
    """The real game's first rows with one row, or one cell of one, garbled."""
    answer = _with(_rows()[: draw(st.integers(2, 80))])
    row_set: list[Any] = answer["resultSets"][0]["rowSet"]
    position = draw(st.integers(0, len(row_set) - 1))
    if draw(st.integers(0, 4)) == 0:
        row_set[position] = draw(JSON)
    else:
        cell = draw(st.integers(0, len(row_set[position]) - 1))
        row_set[position][cell] = draw(JSON | st.sampled_from(["1 - 2", "3PT", 4, 1610612764]))
    return answer


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corrupted_answer())
def test_corrupted_real_answer_is_refused_or_fully_recorded(data: dict[str, Any]) -> None:
    result = _convert_or_refuse(data)
    if result is not None:
        check_converted_feed(result)
        assert record_natives(memory_keeper(), result) == []


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_corrupted_summary_is_refused_or_agrees(data: st.DataObject) -> None:
    summary = _summary()
    sets = summary["resultSets"]
    chosen = sets[data.draw(st.sampled_from([0, 5]))]  # GameSummary, LineScore
    row = chosen["rowSet"][data.draw(st.integers(0, len(chosen["rowSet"]) - 1))]
    row[data.draw(st.integers(0, len(row) - 1))] = data.draw(JSON)
    result = _convert_or_refuse(_with(_rows()[:60]), summary=summary)
    if result is not None:
        check_converted_feed(result)


# ------------------------------------------------------------------------ assists
def test_made_field_goals_carry_their_passer_as_the_assist() -> None:
    headers, rows = _play_by_play()
    running: dict[str, int] = {}  # "(Westbrook 11 AST)": the description's running count
    for raw in rows:
        row = dict(zip(headers, raw, strict=True))
        words = f"{row['HOMEDESCRIPTION'] or ''} {row['VISITORDESCRIPTION'] or ''}"
        found = re.search(r"\([^()]+ ([0-9]+) AST\)", words)
        if row["EVENTMSGTYPE"] == 1 and found:
            running[str(row["PLAYER2_ID"])] = int(found[1])
    natives = convert(_answer())
    counted = Counter(player for e in natives for player in e.get("assists", ()))
    assert dict(counted) == running and sum(counted.values()) == 53
    assert (counted["201566"], counted["202322"]) == (11, 15)  # Westbrook, John Wall
    assert {e["event_type"] for e in natives if "assists" in e} == {"TWO_POINTER", "THREE_POINTER"}
    assert sum(len(e.assists) for e in parse(json.dumps(natives).encode(), provider="nba")) == 53
