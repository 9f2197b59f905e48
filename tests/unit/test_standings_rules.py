"""domain.standings: each sport's table rules, and properties of any table."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import Schedule
from domain.scoreboard import Scoreboard
from domain.sports import EventType, Sport
from domain.standings import GameResult, Table, result_of
from tests.game_events import AWAY, HOME, GameScript

TEAMS = ("a", "b", "c", "d", "e")


def result(
    home: str,
    away: str,
    score: tuple[int, int],
    *,
    sport: Sport = Sport.SOCCER,
    shootout: tuple[int, int] = (0, 0),
    after_regulation: bool = False,
    game_id: str = "g",
) -> GameResult:
    return GameResult(
        game_id, "L", "S", sport, home, away, *score, *shootout, after_regulation=after_regulation
    )


def table_of(sport: Sport, *results: GameResult, teams: tuple[str, ...] = TEAMS) -> Table:
    table = Table("L", "S", sport)
    for team in teams:
        table = table.entered(team, team.upper())
    for r in results:
        table = table.applied(r)
    return table


def row(table: Table, team_id: str) -> dict[str, Any]:
    return next(r for r in table.rows() if r["team_id"] == team_id)


# ------------------------------------------------------------------ properties
@st.composite
def results(draw: st.DrawFn, sport: Sport | None = None) -> GameResult:
    chosen = sport or draw(st.sampled_from(list(Sport)))
    home, away = draw(st.lists(st.sampled_from(TEAMS), min_size=2, max_size=2, unique=True))
    score = (draw(st.integers(0, 6)), draw(st.integers(0, 6)))
    shootout = (0, 0)
    if chosen in (Sport.SOCCER, Sport.ICE_HOCKEY) and score[0] == score[1] and draw(st.booleans()):
        shootout = draw(st.sampled_from([(3, 2), (4, 5), (1, 0)]))
    after = shootout != (0, 0) or draw(st.booleans())
    game_id = f"g{draw(st.integers(0, 10**6))}"
    return result(
        home, away, score, sport=chosen, shootout=shootout, after_regulation=after, game_id=game_id
    )


@st.composite
def seasons(draw: st.DrawFn) -> tuple[Sport, list[GameResult]]:
    sport = draw(st.sampled_from(list(Sport)))
    return sport, draw(st.lists(results(sport), max_size=25))


@settings(max_examples=150, deadline=None)
@given(seasons())
def test_ranking_is_a_total_order(season: tuple[Sport, list[GameResult]]) -> None:
    sport, played = season
    table = table_of(sport, *played)
    keys = [table.sort_key(r) for r in table.ranked()]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys) == len(TEAMS)  # no two teams share a place
    shuffled = replace(table, teams=dict(reversed(list(table.teams.items()))))
    assert shuffled.rows() == table.rows()
    assert [r["rank"] for r in table.rows()] == list(range(1, len(TEAMS) + 1))


@settings(max_examples=150, deadline=None)
@given(seasons())
def test_points_and_tallies_add_up(season: tuple[Sport, list[GameResult]]) -> None:
    sport, played = season
    records = list(table_of(sport, *played).teams.values())
    counts = ("played", "won", "drawn", "lost", "overtime_losses", "goals_for", "goals_against")
    total = {name: sum(getattr(r, name) for r in records) for name in counts}
    games = len(played)
    assert total["played"] == 2 * games
    assert total["won"] == total["lost"] + total["overtime_losses"]
    assert total["drawn"] % 2 == 0
    assert total["goals_for"] == total["goals_against"]
    for r in records:
        assert r.played == r.won + r.drawn + r.lost + r.overtime_losses
    points = [r.points(sport) for r in records]
    if sport == Sport.SOCCER:
        assert sum(p or 0 for p in points) == 3 * total["won"] + total["drawn"]
    elif sport == Sport.ICE_HOCKEY:  # 2 a game, plus 1 for every game lost past regulation
        assert sum(p or 0 for p in points) == 2 * games + total["overtime_losses"]
    else:
        assert points == [None] * len(records)


@settings(max_examples=150, deadline=None)
@given(seasons(), st.data())
def test_a_result_applied_then_taken_away_leaves_the_table(
    season: tuple[Sport, list[GameResult]], data: st.DataObject
) -> None:
    sport, played = season
    before = table_of(sport, *played)
    extra = data.draw(results(sport))
    assert before.applied(extra).applied(extra, -1) == before
    if played:  # and taking one of the season's away equals never having had it
        gone = data.draw(st.integers(0, len(played) - 1))
        rest = played[:gone] + played[gone + 1 :]
        assert before.applied(played[gone], -1) == table_of(sport, *rest)


@settings(max_examples=150, deadline=None)
@given(seasons(), st.randoms(use_true_random=False))
def test_any_order_of_the_same_results_gives_the_same_table(
    season: tuple[Sport, list[GameResult]], rnd: Any
) -> None:
    sport, played = season
    shuffled = list(played)
    rnd.shuffle(shuffled)
    assert table_of(sport, *shuffled) == table_of(sport, *played)
    assert table_of(sport, *shuffled).rows() == table_of(sport, *played).rows()


def test_taking_away_a_result_the_table_does_not_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="no such result"):
        table_of(Sport.SOCCER).applied(result("a", "b", (1, 0)), -1)
    with pytest.raises(ValueError, match="does not belong"):
        table_of(Sport.SOCCER).applied(result("a", "b", (1, 0), sport=Sport.BASKETBALL))


# ------------------------------------------------------------------- soccer
def test_soccer_three_points_a_win_one_a_draw() -> None:
    table = table_of(Sport.SOCCER, result("a", "b", (2, 0)), result("c", "d", (1, 1)))
    assert (row(table, "a")["points"], row(table, "b")["points"]) == (3, 0)
    assert (row(table, "c")["points"], row(table, "d")["points"]) == (1, 1)
    assert row(table, "a") | {"rank": 0} == {
        "rank": 0,
        "team_id": "a",
        "team_name": "A",
        "played": 1,
        "won": 1,
        "drawn": 0,
        "lost": 0,
        "goals_for": 2,
        "goals_against": 0,
        "goal_difference": 2,
        "points": 3,
    }


def test_soccer_ranks_by_points_then_goal_difference_then_goals_then_name() -> None:
    table = table_of(
        Sport.SOCCER,
        result("a", "e", (1, 0)),  # a: 3 pts, +1, 1 scored
        result("b", "e", (3, 2)),  # b: 3 pts, +1, 3 scored
        result("c", "e", (2, 0)),  # c: 3 pts, +2
        result("d", "e", (3, 2)),  # d: as b, ranked after it by name
    )
    assert [r["team_id"] for r in table.rows()] == ["c", "b", "d", "a", "e"]


def test_a_soccer_shootout_does_not_decide_a_league_result() -> None:
    table = table_of(Sport.SOCCER, result("a", "b", (1, 1), shootout=(5, 4), after_regulation=True))
    assert row(table, "a")["drawn"] == row(table, "b")["drawn"] == 1
    assert row(table, "a")["goals_for"] == 1


# --------------------------------------------------------------- basketball
def test_basketball_ranks_by_win_percentage_and_has_no_points() -> None:
    nba = Sport.BASKETBALL
    table = table_of(
        nba,
        result("a", "b", (100, 90), sport=nba),
        result("a", "c", (90, 100), sport=nba),
        result("b", "c", (110, 100), sport=nba),
        result("d", "e", (99, 98), sport=nba),
        teams=("a", "b", "c", "d", "e"),
    )
    rows = table.rows()
    assert [r["team_id"] for r in rows] == ["d", "a", "b", "c", "e"]  # 1.000, .500 (A, B), ...
    assert row(table, "a")["win_percentage"] == 0.5
    assert row(table, "d")["points"] is None
    assert "ties" not in rows[0] and "overtime_losses" not in rows[0]


# -------------------------------------------------------- american football
def test_nfl_counts_a_tie_as_half_a_win_and_half_a_loss() -> None:
    nfl = Sport.AMERICAN_FOOTBALL
    table = table_of(
        nfl,
        result("a", "b", (20, 20), sport=nfl),  # a: 1-0-1 = .750
        result("a", "c", (27, 3), sport=nfl),
        result("d", "e", (10, 7), sport=nfl),  # d: 2-1 = .667
        result("d", "c", (10, 7), sport=nfl),
        result("e", "d", (14, 7), sport=nfl),
    )
    assert row(table, "a")["win_percentage"] == 0.75
    assert row(table, "a")["ties"] == row(table, "b")["ties"] == 1
    assert row(table, "d")["win_percentage"] == 0.667
    assert [r["team_id"] for r in table.rows()][:2] == ["a", "d"]


# -------------------------------------------------------------- ice hockey
def test_nhl_two_points_a_win_one_for_an_overtime_or_shootout_loss() -> None:
    nhl = Sport.ICE_HOCKEY
    table = table_of(
        nhl,
        result("a", "b", (3, 1), sport=nhl),  # regulation
        result("c", "d", (2, 3), sport=nhl, after_regulation=True),  # overtime
        result("e", "a", (2, 2), sport=nhl, shootout=(2, 1), after_regulation=True),
    )
    a, b, c, d, e = (row(table, t) for t in "abcde")
    assert (a["points"], a["won"], a["lost"], a["overtime_losses"]) == (3, 1, 0, 1)
    assert (b["points"], b["lost"], b["overtime_losses"]) == (0, 1, 0)
    assert (c["points"], c["lost"], c["overtime_losses"]) == (1, 0, 1)
    assert (d["points"], d["regulation_wins"]) == (2, 0)
    assert (e["points"], e["regulation_wins"], e["goals_for"], e["goals_against"]) == (2, 0, 3, 2)
    assert a["goals_against"] == 1 + 3  # the shoot-out winner is credited one goal
    assert a["points_percentage"] == 0.75


def test_nhl_ranks_by_points_then_points_percentage_then_regulation_wins() -> None:
    nhl = Sport.ICE_HOCKEY
    table = table_of(
        nhl,
        # b: 4 points in 2 games; a: 4 points in 3 games (lost to c)
        result("b", "e", (2, 0), sport=nhl, game_id="1"),
        result("b", "e", (2, 0), sport=nhl, game_id="2"),
        result("a", "e", (2, 0), sport=nhl, game_id="3"),
        result("a", "e", (2, 1), sport=nhl, game_id="4"),
        # c and d: 2 points in 1 game each, c in regulation, d in overtime (e: 1 point)
        result("a", "c", (0, 1), sport=nhl, game_id="5"),
        result("d", "e", (1, 0), sport=nhl, after_regulation=True, game_id="6"),
    )
    assert [r["team_id"] for r in table.rows()] == ["b", "a", "c", "d", "e"]
    assert row(table, "c")["regulation_wins"] == 1 and row(table, "d")["regulation_wins"] == 0


# ---------------------------------------------------------------- result_of
def board_of(script: GameScript) -> Scoreboard:
    first = script.events[0]
    board = Scoreboard.scheduled(first)
    for version, event in enumerate(script.events, 1):
        board.apply(event, version)
    return board


def scheduled(sport: Sport = Sport.SOCCER, *, league: str | None = "L") -> GameScript:
    script = GameScript("g1", sport)
    script.add(
        EventType.GAME_SCHEDULED,
        schedule=Schedule(HOME, AWAY, "Home", "Away", league=league, season="S"),
    )
    script.start()
    return script


def test_a_game_counts_only_while_final_and_only_with_league_and_season() -> None:
    script = scheduled()
    script.score(EventType.GOAL, HOME, period=1)
    assert result_of(board_of(script)) is None
    script.add(EventType.GAME_FINAL, period=2)
    assert result_of(board_of(script)) == result(HOME, AWAY, (1, 0), game_id="g1")
    script.add(EventType.GAME_CANCELLED)
    assert result_of(board_of(script)) is None
    unfiled = scheduled(league=None)
    unfiled.final()
    assert result_of(board_of(unfiled)) is None


def test_after_regulation_is_told_by_the_period_or_a_shootout() -> None:
    overtime = scheduled(Sport.ICE_HOCKEY)
    overtime.score(EventType.GOAL, HOME, period=4)
    overtime.add(EventType.GAME_FINAL, period=4)
    found = result_of(board_of(overtime))
    assert found is not None and found.after_regulation
    shootout = scheduled(Sport.ICE_HOCKEY)
    shootout.score(EventType.SHOOTOUT_GOAL, AWAY)
    shootout.final()
    found = result_of(board_of(shootout))
    assert found is not None and found.after_regulation and found.shootout_away == 1
    regulation = scheduled(Sport.ICE_HOCKEY)
    regulation.score(EventType.GOAL, HOME, period=3)
    regulation.add(EventType.GAME_FINAL, period=3)
    found = result_of(board_of(regulation))
    assert found is not None and not found.after_regulation


def test_tables_and_results_round_trip_through_records() -> None:
    r = result("a", "b", (2, 2), sport=Sport.ICE_HOCKEY, shootout=(1, 0), after_regulation=True)
    assert GameResult.from_record(r.to_record()) == r
    table = replace(table_of(Sport.ICE_HOCKEY, r), version=7)
    assert Table.from_record(table.to_record()) == table


def test_entering_a_team_lists_it_or_renames_it() -> None:
    table = Table("L", "S", Sport.SOCCER).entered("a", "Arsenal")
    assert table.entered("a", "Arsenal") is table
    assert table.entered("a", None) is table
    assert table.entered("a", "The Arsenal").teams["a"].team_name == "The Arsenal"
    assert row(table, "a")["played"] == 0
