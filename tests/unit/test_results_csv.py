"""adapters.results_csv: a real season of results converts into games the Scorekeeper
records with the real scores; anything else is refused with ResultsCsvFormatError."""

from __future__ import annotations

import csv
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.native_format import parse
from adapters.results_csv import ResultsCsvFormatError, convert, convert_files
from domain.events import GameEvent
from domain.scorekeeper import Scorekeeper
from tests.shared_data import shared_file

SEASON = "soccer/premier-league-2015-16"
TEAMS = "team_id,team_name\n1,Arsenal\n22,Leicester City\n"
MATCHES = "match_id,match_date,match_week,home_team_id,away_team_id,home_score,away_score\n"


def files() -> tuple[Path, Path]:
    return shared_file(f"{SEASON}/matches.csv"), shared_file(f"{SEASON}/teams.csv")


@cache
def season_events() -> list[dict[str, Any]]:
    matches, teams = files()
    return convert_files(matches, teams, league="premier-league", season="2015-16")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def by_game(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    games: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        games.setdefault(event["game_id"], []).append(event)
    return games


def test_every_match_is_one_game_with_a_stable_id() -> None:
    matches, _ = files()
    games = by_game(season_events())
    assert len(games) == 380
    assert set(games) == {f"premier-league-2015-16-{r['match_id']}" for r in rows(matches)}
    assert season_events() == convert_files(*files(), league="premier-league", season="2015-16")


def test_each_game_is_scheduled_started_its_goals_final() -> None:
    matches, teams = files()
    names = {r["team_id"]: r["team_name"] for r in rows(teams)}
    for match in rows(matches):
        events = by_game(season_events())[f"premier-league-2015-16-{match['match_id']}"]
        kinds = [e["event_type"] for e in events]
        goals = int(match["home_score"]) + int(match["away_score"])
        assert kinds == ["GAME_SCHEDULED", "GAME_STARTED", *["GOAL"] * goals, "GAME_FINAL"]
        assert [e["sequence_number"] for e in events] == list(range(1, len(events) + 1))
        assert len({e["event_id"] for e in events}) == len(events)
        schedule = events[0]["schedule"]
        assert schedule == {
            "home_team_id": match["home_team_id"],
            "away_team_id": match["away_team_id"],
            "home_team_name": names[match["home_team_id"]],
            "away_team_name": names[match["away_team_id"]],
            "venue": None,
            "start_time": match["match_date"],
            "league": "premier-league",
            "season": "2015-16",
        }
        scorers = Counter(e["team_id"] for e in events if e["event_type"] == "GOAL")
        assert scorers[match["home_team_id"]] == int(match["home_score"])
        assert scorers[match["away_team_id"]] == int(match["away_score"])


def test_games_come_in_date_order() -> None:
    days = [e["schedule"]["start_time"] for e in season_events() if "schedule" in e]
    assert days == sorted(days)
    assert (days[0], days[-1]) == ("2015-08-08", "2016-05-17")


def test_the_events_are_valid_native_events_and_record_with_the_real_scores() -> None:
    events = season_events()
    parsed = parse(json.dumps(events[:1000]).encode(), provider="csv", max_events=1000)
    assert [p.to_dict() | {"provider": ""} for p in parsed] == [
        GameEvent.from_dict(e).to_dict() for e in events[:1000]
    ]
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    verdicts = keeper.record([GameEvent.from_dict(e) for e in events])
    assert {v.outcome for v in verdicts} == {"recorded"}
    matches, _ = files()
    for match in rows(matches)[:40]:
        board = keeper.scoreboard(f"premier-league-2015-16-{match['match_id']}")
        assert board is not None and board.status == "FINAL" and board.current_period == 2
        assert (board.home_score, board.away_score) == (
            int(match["home_score"]),
            int(match["away_score"]),
        )


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize(
    ("matches", "teams", "message"),
    [
        ("", TEAMS, "empty file"),
        ("match_id,home_team_id\n", TEAMS, "lacks"),
        (MATCHES + "1,2015-08-08,1,1,22,1\n", TEAMS, "6 fields"),
        (MATCHES + "1,2015-08-08,1,1,22,1,0,9\n", TEAMS, "8 fields"),
        (MATCHES + ",2015-08-08,1,1,22,1,0\n", TEAMS, "not an id"),
        (MATCHES + "1 2,2015-08-08,1,1,22,1,0\n", TEAMS, "not an id"),
        (MATCHES + "1,2015-08-08,1,1,22,1,0\n1,2015-08-09,1,22,1,0,0\n", TEAMS, "twice"),
        (MATCHES + "1,08/08/2015,1,1,22,1,0\n", TEAMS, "YYYY-MM-DD"),
        (MATCHES + "1,2015-02-30,1,1,22,1,0\n", TEAMS, "YYYY-MM-DD"),
        (MATCHES + "1,2015-08-08,1,1,22,-1,0\n", TEAMS, "score 0..99"),
        (MATCHES + "1,2015-08-08,1,1,22,100,0\n", TEAMS, "score 0..99"),
        (MATCHES + "1,2015-08-08,1,1,22,x,0\n", TEAMS, "score 0..99"),
        (MATCHES + "1,2015-08-08,1,1,99,1,0\n", TEAMS, "not in teams.csv"),
        (MATCHES + "1,2015-08-08,1,1,1,1,0\n", TEAMS, "plays itself"),
        (MATCHES + '1,"2015-08-08\n', TEAMS, "not CSV"),
        (MATCHES, "team_id\n1\n", "lacks"),
        (MATCHES, "team_id,team_name\n1,Arsenal\n1,Arsenal\n", "twice"),
        (MATCHES, "team_id,team_name\n1,\n", "no name"),
        (b"bytes", TEAMS, "expected text"),
    ],
)
def test_bad_input_is_refused_saying_why(matches: Any, teams: Any, message: str) -> None:
    with pytest.raises(ResultsCsvFormatError, match=message):
        convert(matches, teams, league="L", season="S")


@pytest.mark.parametrize(("league", "season"), [("", "S"), ("L", "2015 16"), ("L\n", "S")])
def test_a_bad_league_or_season_is_refused(league: str, season: str) -> None:
    with pytest.raises(ResultsCsvFormatError, match="not an id"):
        convert(MATCHES, TEAMS, league=league, season=season)


def test_a_header_only_season_has_no_games_and_a_bom_is_fine() -> None:
    assert convert("\ufeff" + MATCHES, "\ufeff" + TEAMS, league="L", season="S") == []
    one = convert(MATCHES + "7,2015-08-08,1,22,1,0,2\n\n", TEAMS, league="L", season="S")
    assert [e["event_id"] for e in one] == [
        "L-S-7:scheduled",
        "L-S-7:started",
        "L-S-7:goal:away:1",
        "L-S-7:goal:away:2",
        "L-S-7:final",
    ]
    assert one[-1]["description"] == "Full time: Leicester City 0-2 Arsenal"


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "matches.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ResultsCsvFormatError, match=r"matches\.csv"):
        convert_files(binary, tmp_path / "teams.csv", league="L", season="S")
    with pytest.raises(ResultsCsvFormatError, match=r"teams\.csv"):
        convert_files(
            shared_file(f"{SEASON}/matches.csv"), tmp_path / "teams.csv", league="L", season="S"
        )


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=300),
    st.sampled_from([MATCHES, ""]),
    st.one_of(st.just(TEAMS), st.text(max_size=100)),
)
def test_any_text_converts_or_is_refused_with_the_format_error(
    text: str, head: str, teams: str
) -> None:
    try:
        events = convert(head + text, teams, league="L", season="S")
    except ResultsCsvFormatError:
        return
    assert all(e["game_id"].startswith("L-S-") for e in events)
