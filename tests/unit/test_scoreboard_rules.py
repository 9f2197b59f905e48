"""The invariants of a game, one test each, on the Game aggregate via the Scorekeeper."""

from __future__ import annotations

import pytest

from domain.scorekeeper import Scorekeeper
from domain.sports import RULES, EventType, Sport
from tests.game_events import AWAY, HOME, GameScript


@pytest.fixture
def keeper() -> Scorekeeper:
    return Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def outcomes(keeper: Scorekeeper, script: GameScript) -> list[str]:
    return [v.outcome for v in keeper.record(script.events)]


def score(keeper: Scorekeeper, game_id: str = "g1") -> tuple[int, int]:
    board = keeper.scoreboard(game_id)
    assert board is not None
    return board.home_score, board.away_score


@pytest.mark.parametrize(
    ("sport", "event_type", "points"),
    [(sport, t, p) for sport, rules in RULES.items() for t, p in rules.points.items()],
)
def test_each_scoring_event_gives_its_sports_points(
    keeper: Scorekeeper, sport: Sport, event_type: EventType, points: int
) -> None:
    game = GameScript(sport=sport)
    game.schedule()
    game.start()
    game.score(event_type, AWAY)
    assert outcomes(keeper, game) == ["recorded"] * 3
    expected = (points, 0) if event_type in RULES[sport].scores_for_opponent else (0, points)
    assert score(keeper) == expected


def test_own_goal_scores_for_the_other_team(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    game.score(EventType.OWN_GOAL, HOME)
    keeper.record(game.events)
    assert score(keeper) == (0, 1)


def test_retracted_goal_takes_the_score_back(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    goal = game.score(EventType.GOAL, HOME)
    game.score(EventType.GOAL, AWAY)
    game.retract(goal)
    assert outcomes(keeper, game) == ["recorded"] * 5
    assert score(keeper) == (0, 1)


def test_correction_moves_the_goal_to_the_other_team(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    goal = game.score(EventType.GOAL, HOME)
    game.correct(goal, team_id=AWAY)
    keeper.record(game.events)
    assert score(keeper) == (0, 1)


def test_event_for_a_team_not_in_the_game_is_rejected(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    game.score(EventType.GOAL, "somebody-else")
    verdicts = keeper.record(game.events)
    assert verdicts[-1].outcome == "rejected"
    assert verdicts[-1].extra["field"] == "team_id"
    assert score(keeper) == (0, 0)


def test_a_correction_may_not_move_a_goal_to_a_team_not_in_the_game(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    goal = game.score(EventType.GOAL, HOME)
    game.correct(goal, team_id="somebody-else")
    assert outcomes(keeper, game)[-1] == "rejected"
    assert score(keeper) == (1, 0)


def test_nothing_scores_before_the_game_starts(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.score(EventType.GOAL, HOME)
    game.start()
    assert outcomes(keeper, game) == ["recorded", "rejected", "recorded"]
    assert score(keeper) == (0, 0)


def test_nothing_scores_after_the_final_except_a_correction(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    goal = game.score(EventType.GOAL, HOME)
    game.final()
    game.score(EventType.GOAL, AWAY)
    game.retract(goal)
    assert outcomes(keeper, game) == ["recorded"] * 4 + ["rejected", "recorded"]
    assert score(keeper) == (0, 0)
    board = keeper.scoreboard("g1")
    assert board is not None and board.status == "FINAL"


def test_final_happens_once(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    game.final()
    game.final()
    assert outcomes(keeper, game) == ["recorded"] * 3 + ["rejected"]


def test_game_starts_once(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    game.start()
    assert outcomes(keeper, game)[-1] == "rejected"


def test_scoring_type_of_another_sport_is_rejected(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    game.score(EventType.TOUCHDOWN, HOME)
    verdict = keeper.record(game.events)[-1]
    assert verdict.outcome == "rejected" and verdict.extra["field"] == "event_type"


def test_period_outside_the_sport_is_rejected(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.add(EventType.PERIOD_START, period=9)
    verdict = keeper.record(game.events)[-1]
    assert verdict.outcome == "rejected" and verdict.extra["field"] == "period"


def test_first_event_of_an_unknown_game_must_schedule_it(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.start()
    verdict = keeper.record(game.events)[0]
    assert verdict.outcome == "rejected" and verdict.extra["field"] == "game_id"


def test_a_revision_must_reference_a_known_event(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    game.add(EventType.EVENT_RETRACTED, references_event_id="nope")
    verdict = keeper.record(game.events)[-1]
    assert verdict.outcome == "rejected" and verdict.extra["field"] == "references_event_id"


def test_a_goal_is_retracted_once(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    game.start()
    goal = game.score(EventType.GOAL, HOME)
    game.retract(goal)
    game.retract(goal)
    assert outcomes(keeper, game)[-1] == "rejected"


def test_shootout_goals_are_tallied_apart_from_the_score(keeper: Scorekeeper) -> None:
    game = GameScript(sport=Sport.ICE_HOCKEY)
    game.schedule()
    game.start()
    game.score(EventType.SHOOTOUT_GOAL, HOME)
    keeper.record(game.events)
    board = keeper.scoreboard("g1")
    assert board is not None
    assert (board.home_score, board.shootout_home) == (0, 1)


def test_a_shootout_goal_in_regulation_is_rejected(keeper: Scorekeeper) -> None:
    game = GameScript(sport=Sport.SOCCER)
    game.schedule()
    game.start()
    game.score(EventType.SHOOTOUT_GOAL, HOME, period=2)
    verdict = keeper.record(game.events)[-1]
    assert verdict.outcome == "rejected" and verdict.extra["field"] == "period"


def test_basketball_has_no_shootout(keeper: Scorekeeper) -> None:
    game = GameScript(sport=Sport.BASKETBALL)
    game.schedule()
    game.start()
    game.score(EventType.SHOOTOUT_GOAL, HOME)
    assert outcomes(keeper, game)[-1] == "rejected"


@pytest.mark.parametrize(
    ("sport", "period", "name"),
    [
        (Sport.SOCCER, 2, "2nd half"),
        (Sport.SOCCER, 5, "Penalties"),
        (Sport.BASKETBALL, 4, "Q4"),
        (Sport.BASKETBALL, 5, "OT"),
        (Sport.BASKETBALL, 6, "2OT"),
        (Sport.AMERICAN_FOOTBALL, 5, "OT"),
        (Sport.ICE_HOCKEY, 3, "P3"),
        (Sport.ICE_HOCKEY, 4, "OT"),
        (Sport.SOCCER, 3, "Extra time 1"),
    ],
)
def test_period_names(sport: Sport, period: int, name: str) -> None:
    assert RULES[sport].period_name(period) == name


def test_a_correction_may_not_turn_a_lifecycle_event_into_a_score(keeper: Scorekeeper) -> None:
    game = GameScript(sport=Sport.AMERICAN_FOOTBALL)
    scheduled = game.schedule()
    game.start()
    final = game.final()
    game.correct(scheduled, event_type=EventType.TOUCHDOWN, team_id=HOME)
    game.correct(final, event_type=EventType.FIELD_GOAL, team_id=HOME)
    assert outcomes(keeper, game)[-2:] == ["rejected", "rejected"]
    assert score(keeper) == (0, 0)


def test_a_correction_may_not_make_a_score_of_a_play_outside_play(keeper: Scorekeeper) -> None:
    game = GameScript()
    game.schedule()
    foul = game.add(EventType.FOUL, team_id=HOME)  # before kick-off
    game.start()
    shot = game.add(EventType.SHOT, team_id=HOME)
    game.correct(foul, event_type=EventType.GOAL)
    game.correct(shot, event_type=EventType.GOAL)  # a shot in play that went in after all
    assert outcomes(keeper, game)[-2:] == ["rejected", "recorded"]
    assert score(keeper) == (1, 0)
