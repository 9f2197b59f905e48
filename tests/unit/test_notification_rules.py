"""What a notable event's push notification says, and which events are notable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.devices import Interest
from domain.events import GameEvent, Schedule
from domain.notification_rules import correction_for, notification_for, score_after
from domain.push import MAX_COLLAPSE_ID_BYTES, NotificationKind, collapse_id
from domain.scoreboard import Scoreboard
from domain.sports import EventType, Sport
from tests.game_events import AWAY, HOME, GameScript

TTL = 600.0


def arsenal_chelsea(sport: Sport = Sport.SOCCER, game_id: str = "g1") -> GameScript:
    script = GameScript(game_id, sport)
    script.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, "Arsenal", "Chelsea"))
    script.start()
    return script


def board_of(script: GameScript) -> Scoreboard:
    board = Scoreboard.scheduled(script.events[0])
    for version, event in enumerate(script.events, 1):
        board.apply(event, version)
    return board


def test_a_goal_is_a_goal_notification_with_the_score_and_the_minute() -> None:
    script = arsenal_chelsea()
    goal = script.score(EventType.GOAL, HOME, clock_seconds=22 * 60 + 10, period=1)
    n = notification_for(board_of(script), goal, 1000.0, ttl=TTL)
    assert n is not None
    assert n.id == f"g1/{goal.event_id}/goal"
    assert (n.kind, n.interest) == (NotificationKind.GOAL, Interest.GOALS)
    assert n.title == "GOAL! Arsenal 1-0 Chelsea"
    assert n.body == "Arsenal score · 23', 1st half"
    assert n.collapse_id == collapse_id("g1") == "game-g1"
    assert n.teams == (HOME, AWAY)
    assert (n.created_at, n.expires_at) == (1000.0, 1000.0 + TTL)
    assert n.data == {
        "game_id": "g1",
        "event_id": goal.event_id,
        "team_id": HOME,
        "home_score": "1",
        "away_score": "0",
        "version": "3",
    }


def test_an_own_goal_scores_for_the_other_side() -> None:
    script = arsenal_chelsea()
    own = script.score(EventType.OWN_GOAL, HOME, clock_seconds=600, period=2)
    n = notification_for(board_of(script), own, 0.0, ttl=TTL)
    assert n is not None
    assert n.title == "OWN GOAL! Arsenal 0-1 Chelsea"
    assert n.body == "Own goal by Arsenal · 11', 2nd half"


def test_a_late_goal_shows_the_score_right_after_it() -> None:
    """A goal applied after a later one (arrival order) still says what it said then."""
    script = arsenal_chelsea()
    first = script.score(EventType.GOAL, HOME)
    script.score(EventType.GOAL, AWAY)
    board = board_of(script)
    n = notification_for(board, first, 0.0, ttl=TTL)
    assert n is not None and n.title == "GOAL! Arsenal 1-0 Chelsea"
    assert score_after(board, 10**6) == (board.home_score, board.away_score) == (1, 1)


def test_other_sports_score_with_their_points_and_count_down_clock() -> None:
    script = arsenal_chelsea(Sport.AMERICAN_FOOTBALL)
    touchdown = script.score(EventType.TOUCHDOWN, AWAY, clock_seconds=252, period=3)
    n = notification_for(board_of(script), touchdown, 0.0, ttl=TTL)
    assert n is not None and n.kind == NotificationKind.GOAL
    assert n.title == "TOUCHDOWN! Arsenal 0-6 Chelsea"
    assert n.body.startswith("Chelsea +6 · ") and n.body.endswith("4:12")


def test_a_basket_is_no_news_but_a_basketball_final_is() -> None:
    script = arsenal_chelsea(Sport.BASKETBALL)
    three = script.score(EventType.THREE_POINTER, AWAY, clock_seconds=252, period=3)
    assert notification_for(board_of(script), three, 0.0, ttl=TTL) is None
    final = script.final()
    n = notification_for(board_of(script), final, 0.0, ttl=TTL)
    assert n is not None and n.kind == NotificationKind.FINAL


def test_a_final_goes_to_the_finals_audience() -> None:
    script = arsenal_chelsea()
    script.score(EventType.GOAL, AWAY)
    final = script.final()
    n = notification_for(board_of(script), final, 5.0, ttl=TTL)
    assert n is not None
    assert (n.kind, n.interest, n.id) == (
        NotificationKind.FINAL,
        Interest.FINALS,
        f"g1/{final.event_id}/final",
    )
    assert n.title == "Full time: Arsenal 0-1 Chelsea"
    assert n.body == "Chelsea win"


def test_a_final_after_a_shootout_names_its_winner() -> None:
    script = arsenal_chelsea(Sport.ICE_HOCKEY)
    for _ in range(2):
        script.score(EventType.SHOOTOUT_GOAL, HOME, period=5)
    script.score(EventType.SHOOTOUT_GOAL, AWAY, period=5)
    final = script.final()
    n = notification_for(board_of(script), final, 0.0, ttl=TTL)
    assert n is not None
    assert (n.title, n.body) == ("Final: Arsenal 0-0 Chelsea", "Arsenal win 2-1 in the shootout")


def test_cards_go_to_the_cards_audience() -> None:
    script = arsenal_chelsea()
    card = script.score(EventType.RED_CARD, AWAY, clock_seconds=3000, period=2)
    n = notification_for(board_of(script), card, 0.0, ttl=TTL)
    assert n is not None
    assert (n.kind, n.interest) == (NotificationKind.CARD, Interest.CARDS)
    assert (n.title, n.body) == ("Red card: Chelsea", "Arsenal 0-0 Chelsea · 51', 2nd half")


@pytest.mark.parametrize(
    "kind",
    [EventType.SHOOTOUT_GOAL, EventType.FOUL, EventType.SUBSTITUTION, EventType.SHOT],
)
def test_other_events_are_not_notable(kind: EventType) -> None:
    script = arsenal_chelsea()
    period = 5 if kind == EventType.SHOOTOUT_GOAL else None
    event = script.score(kind, HOME, period=period)
    assert notification_for(board_of(script), event, 0.0, ttl=TTL) is None
    for lifecycle in (script.events[0], script.events[1]):
        assert notification_for(board_of(script), lifecycle, 0.0, ttl=TTL) is None


def test_a_disallowed_goal_is_corrected_for_the_same_audience() -> None:
    script = arsenal_chelsea()
    goal = script.score(EventType.GOAL, HOME)
    sent = notification_for(board_of(script), goal, 10.0, ttl=TTL)
    assert sent is not None
    script.retract(goal)
    fix = correction_for(board_of(script), sent, 70.0, number=1)
    assert fix.id == f"{sent.id}/correction/1"
    assert fix.kind == NotificationKind.CORRECTION
    assert (fix.interest, fix.teams, fix.collapse_id) == (
        sent.interest,
        sent.teams,
        sent.collapse_id,
    )
    assert fix.title == "Goal disallowed: Arsenal 0-0 Chelsea"
    assert fix.body == "Corrects: GOAL! Arsenal 1-0 Chelsea"
    assert (fix.created_at, fix.expires_at) == (70.0, 70.0 + TTL)
    assert fix.data["corrects"] == sent.id and fix.data["home_score"] == "0"


def test_a_goal_given_to_the_other_team_is_a_score_correction() -> None:
    script = arsenal_chelsea()
    goal = script.score(EventType.GOAL, HOME)
    sent = notification_for(board_of(script), goal, 0.0, ttl=TTL)
    assert sent is not None
    script.correct(goal, team_id=AWAY)
    fix = correction_for(board_of(script), sent, 1.0, number=2)
    assert fix.id.endswith("/correction/2")
    assert fix.title == "Score corrected: Arsenal 0-1 Chelsea"
    assert fix.data["team_id"] == AWAY


def test_a_withdrawn_card_is_corrected() -> None:
    script = arsenal_chelsea()
    card = script.score(EventType.YELLOW_CARD, AWAY)
    sent = notification_for(board_of(script), card, 0.0, ttl=TTL)
    assert sent is not None
    upgraded = GameScript("g1")
    upgraded.events = list(script.events)
    upgraded.correct(card, event_type=EventType.RED_CARD)
    assert correction_for(board_of(upgraded), sent, 1.0, number=1).title == (
        "Card corrected: Red card, Chelsea"
    )
    script.retract(card)
    assert correction_for(board_of(script), sent, 1.0, number=1).title == "Card withdrawn: Chelsea"


@given(st.text(min_size=1, max_size=300).filter(lambda s: "\x00" not in s))
def test_every_notification_of_a_game_has_its_short_collapse_id(game_id: str) -> None:
    script = arsenal_chelsea(game_id=game_id)
    goal = script.score(EventType.GOAL, AWAY)
    n = notification_for(board_of(script), goal, 0.0, ttl=TTL)
    assert n is not None
    assert n.collapse_id == collapse_id(game_id)
    assert len(n.collapse_id.encode()) <= MAX_COLLAPSE_ID_BYTES
    assert correction_for(board_of(script), n, 0.0, number=1).collapse_id == n.collapse_id


def test_the_same_event_gives_the_same_notification() -> None:
    script = arsenal_chelsea()
    goal = script.score(EventType.GOAL, HOME)
    again = GameEvent.from_dict(goal.to_dict())
    assert notification_for(board_of(script), goal, 3.0, ttl=TTL) == notification_for(
        board_of(script), again, 3.0, ttl=TTL
    )
