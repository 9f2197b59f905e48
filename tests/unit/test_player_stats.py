"""Player stats rules (domain/player_stats.py): a fold of the effective plays, per sport,
and season lines as sums; the "for any input" invariants with hypothesis."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from domain.events import GameEvent
from domain.player_stats import SPORT_STATS, STAT_NAMES, PlayerLine, credited, game_lines
from domain.scoreboard import Scoreboard
from domain.season_lines import SeasonLine, contribution_of, leader_rows, ranked
from domain.sports import RULES, EventType, Sport
from tests.game_events import AWAY, HOME, GameScript

PLAYERS = ["a", "b", "c"]


def fold(events: list[GameEvent]) -> Scoreboard:
    board = Scoreboard.scheduled(events[0])
    for version, event in enumerate(events, 1):
        board.apply(event, version)
    return board


@st.composite
def games(draw: st.DrawFn) -> tuple[GameScript, dict[str, tuple[EventType, str, str | None]]]:
    """A game of any sport with plays by players, corrections and retractions, and the
    effective plays computed independently (event id -> type, team, player)."""
    sport = draw(st.sampled_from(list(Sport)))
    kinds = sorted(
        {*RULES[sport].points, EventType.FOUL, EventType.SUBSTITUTION, EventType.YELLOW_CARD},
        key=lambda t: t.value,
    )
    if sport == Sport.BASKETBALL or sport == Sport.AMERICAN_FOOTBALL:
        kinds = [k for k in kinds if k != EventType.YELLOW_CARD]
    game = GameScript(sport=sport)
    game.schedule()
    game.start()
    effective: dict[str, tuple[EventType, str, str | None]] = {}
    for _ in range(draw(st.integers(0, 30))):
        action = draw(st.sampled_from(["play", "play", "play", "retract", "correct"]))
        if action == "play" or not effective:
            kind = draw(st.sampled_from(kinds))
            team = draw(st.sampled_from([HOME, AWAY]))
            player = draw(st.sampled_from([*PLAYERS, None]))
            event = game.add(kind, team_id=team, player_id=player)
            effective[event.event_id] = (kind, team, player)
            continue
        target_id = draw(st.sampled_from(sorted(effective)))
        target = next(e for e in game.events if e.event_id == target_id)
        if action == "retract":
            game.retract(target)
            del effective[target_id]
        else:
            kind, team, player = effective[target_id]
            new_player = draw(st.sampled_from([None, *PLAYERS]))  # None: unchanged
            new_kind = draw(st.sampled_from([None, *sorted(RULES[sport].points)]))
            game.correct(target, player_id=new_player, event_type=new_kind)
            effective[target_id] = (new_kind or kind, team, new_player or player)
    if draw(st.booleans()):
        game.final()
    return game, effective


@given(games())
def test_lines_are_the_sums_over_the_effective_plays(
    drawn: tuple[GameScript, dict[str, tuple[EventType, str, str | None]]],
) -> None:
    game, effective = drawn
    expected: dict[str, Counter[str]] = {}
    for kind, _, player in effective.values():
        if player is not None and credited(game.sport, kind):
            expected.setdefault(player, Counter()).update(credited(game.sport, kind))
    lines = game_lines(fold(game.events))
    assert {p: dict(line.stats) for p, line in lines.items()} == {
        p: dict(c) for p, c in expected.items()
    }
    assert all(v > 0 for line in lines.values() for v in line.stats.values())
    assert all(set(line.stats) <= set(SPORT_STATS[game.sport]) for line in lines.values())


@given(games())
def test_basketball_points_split_by_kind_add_up(
    drawn: tuple[GameScript, dict[str, tuple[EventType, str, str | None]]],
) -> None:
    game, _ = drawn
    for line in game_lines(fold(game.events)).values():
        s = line.stats
        if game.sport == Sport.BASKETBALL:
            split = ("free_throw_points", "two_point_points", "three_point_points")
            assert sum(s.get(k, 0) for k in split) == s.get("points", 0)
            assert s.get("three_point_points", 0) == 3 * s.get("three_pointers", 0)
            assert s.get("free_throw_points", 0) == s.get("free_throws", 0)
        if game.sport in (Sport.SOCCER, Sport.ICE_HOCKEY):
            assert "points" not in s


@given(games())
def test_player_points_add_up_to_the_score_of_credited_plays(
    drawn: tuple[GameScript, dict[str, tuple[EventType, str, str | None]]],
) -> None:
    game, effective = drawn
    if game.sport not in (Sport.BASKETBALL, Sport.AMERICAN_FOOTBALL):
        return
    board = fold(game.events)
    uncredited = sum(
        RULES[game.sport].points.get(kind, 0) for kind, _, p in effective.values() if p is None
    )
    points = sum(line.stats.get("points", 0) for line in game_lines(board).values())
    assert points + uncredited == board.home_score + board.away_score


lines_strategy = st.lists(
    st.builds(
        PlayerLine,
        st.just("p"),
        st.sampled_from([HOME, AWAY]),
        st.dictionaries(st.sampled_from(["goals", "own_goals", "red_cards"]), st.integers(1, 5)),
    ),
    max_size=8,
)


@given(lines_strategy, st.randoms())
def test_season_lines_are_sums_in_any_order_and_taking_away_undoes(
    lines: list[PlayerLine], rng: random.Random
) -> None:
    empty = SeasonLine("L", "S", "p", Sport.SOCCER)
    forward = empty
    for line in lines:
        forward = forward.plus(line, +1)
    shuffled = list(lines)
    rng.shuffle(shuffled)
    backward = empty
    for line in shuffled:
        backward = backward.plus(line, +1)
    assert forward == backward
    assert forward.games == len(lines)
    for line in shuffled:
        forward = forward.plus(line, -1)
    assert forward == empty


def test_soccer_lines_count_goals_own_goals_cards_and_substitutions() -> None:
    game = GameScript(sport=Sport.SOCCER)
    game.schedule()
    game.start()
    goal = game.score(EventType.GOAL, HOME, player_id="a")
    game.score(EventType.PENALTY_GOAL, HOME, player_id="a")
    game.score(EventType.OWN_GOAL, AWAY, player_id="x")
    game.add(EventType.YELLOW_CARD, team_id=AWAY, player_id="x")
    game.add(EventType.RED_CARD, team_id=AWAY, player_id="x")
    game.add(EventType.SUBSTITUTION, team_id=HOME, player_id="a")
    lines = game_lines(fold(game.events))
    assert lines["a"] == PlayerLine("a", HOME, {"goals": 2, "penalty_goals": 1, "substitutions": 1})
    assert lines["x"] == PlayerLine("x", AWAY, {"own_goals": 1, "red_cards": 1, "yellow_cards": 1})
    game.retract(goal)
    assert game_lines(fold(game.events))["a"].stats["goals"] == 1


def test_football_scoring_plays_by_kind_and_points() -> None:
    game = GameScript(sport=Sport.AMERICAN_FOOTBALL)
    game.schedule()
    game.start()
    for kind in (EventType.TOUCHDOWN, EventType.EXTRA_POINT, EventType.FIELD_GOAL):
        game.score(kind, HOME, player_id="k")
    td = game.score(EventType.TOUCHDOWN, HOME, player_id="r")
    game.correct(td, event_type=EventType.TWO_POINT_CONVERSION)
    game.score(EventType.SAFETY, AWAY, player_id="d")
    lines = game_lines(fold(game.events))
    assert lines["k"].stats == {"extra_points": 1, "field_goals": 1, "points": 10, "touchdowns": 1}
    assert lines["r"].stats == {"points": 2, "two_point_conversions": 1}
    assert lines["d"].stats == {"points": 2, "safeties": 1}


def test_a_game_contributes_only_while_final_with_a_league_and_season() -> None:
    game = GameScript(sport=Sport.ICE_HOCKEY)
    game.schedule()  # no league or season
    game.start()
    game.score(EventType.GOAL, HOME, player_id="a")
    game.final()
    board = fold(game.events)
    assert game_lines(board)["a"].stats == {"goals": 1}
    assert contribution_of(board, game_lines(board)) is None


def test_ranking_is_total_and_equal_values_share_a_rank() -> None:
    lines = [
        SeasonLine("L", "S", p, Sport.SOCCER, 1, {"goals": g}, {HOME: 1})
        for p, g in (("b", 2), ("a", 2), ("c", 5), ("d", 0))
    ]
    top = ranked(lines, "goals")
    assert [s.player_id for s in top] == ["c", "a", "b"]
    rows = leader_rows((s.player_id, s.team_id, s.value("goals")) for s in top)
    assert [(r["rank"], r["player_id"], r["value"]) for r in rows] == [
        (1, "c", 5),
        (2, "a", 2),
        (2, "b", 2),
    ]
    assert "games" in STAT_NAMES and "points" in SPORT_STATS[Sport.BASKETBALL]
