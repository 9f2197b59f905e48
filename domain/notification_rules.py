"""Which recorded events are worth a push notification, and what it says.

Pure: a notification is a function of the game's board, the event and the time it was
recorded, so deciding it again (a replay, a re-render after a correction) gives the
same notification, with the same deterministic id:

- a scoring event (points in the sport's rules; shoot-out goals are not notified,
  the final says who won the shoot-out; nor are basketball's ~100 baskets a game, whose
  followers get the final) is a GOAL for the ``goals`` audience;
- GAME_FINAL is a FINAL for ``finals``; YELLOW_CARD and RED_CARD are a CARD for ``cards``;
- :func:`correction_for` corrects a notification already sent (a goal disallowed or
  moved to the other team, a card withdrawn or changed), for the same audience.

Every notification of a game carries the game's collapse id, its teams (home, away) and
data a device can use (``game_id``, ``home_score``, ``away_score``, ``version``,
``event_id``, ``team_id``), all strings, as FCM data must be.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType

from domain.devices import Interest
from domain.events import GameEvent
from domain.push import NotificationKind, PushNotification, collapse_id
from domain.scoreboard import Scoreboard
from domain.sports import EventType, Sport

CARD_TYPES = frozenset({EventType.YELLOW_CARD, EventType.RED_CARD})

_SCORE_LABELS: Mapping[EventType, str] = MappingProxyType(
    {
        EventType.GOAL: "GOAL!",
        EventType.PENALTY_GOAL: "GOAL!",
        EventType.OWN_GOAL: "OWN GOAL!",
        EventType.TOUCHDOWN: "TOUCHDOWN!",
        EventType.FIELD_GOAL: "Field goal:",
        EventType.EXTRA_POINT: "Extra point:",
        EventType.TWO_POINT_CONVERSION: "Two-point conversion:",
        EventType.SAFETY: "Safety:",
        EventType.FREE_THROW: "Free throw:",
        EventType.TWO_POINTER: "Basket:",
        EventType.THREE_POINTER: "Three!",
    }
)
_CARD_LABELS: Mapping[EventType, str] = MappingProxyType(
    {EventType.YELLOW_CARD: "Yellow card", EventType.RED_CARD: "Red card"}
)


def notification_kind(board: Scoreboard, event_type: EventType) -> NotificationKind | None:
    """The kind of notification an event of this type is, in this board's sport (None:
    not notable)."""
    if board.rules.points.get(event_type, 0) > 0:
        # A basketball game scores ~100 times: a push per basket is noise, not news.
        return None if board.sport == Sport.BASKETBALL else NotificationKind.GOAL
    if event_type in CARD_TYPES:
        return NotificationKind.CARD
    if event_type == EventType.GAME_FINAL:
        return NotificationKind.FINAL
    return None


def notification_for(
    board_after: Scoreboard, event: GameEvent, recorded_at: float, *, ttl: float
) -> PushNotification | None:
    """The notification ``event`` is worth, given the board with it applied; None if
    it is not notable. ``recorded_at`` (unix seconds) is when the event store took it;
    the notification expires ``ttl`` seconds later.

    A goal or a card shows the score right after it (its plays up to its sequence
    number, as corrected so far), so a late or re-rendered one says what it said then;
    a final shows the board's score.
    """
    kind = notification_kind(board_after, event.event_type)
    if kind is None:
        return None
    if kind == NotificationKind.FINAL:
        home_score, away_score = board_after.home_score, board_after.away_score
        title = f"{_final_word(board_after.sport)}: {score_line(board_after)}"
        body = _final_body(board_after)
        interest = Interest.FINALS
    else:
        home_score, away_score = score_after(board_after, event.sequence_number)
        line = score_line(board_after, (home_score, away_score))
        when = moment(board_after, event)
        team = team_name(board_after, event.team_id)
        if kind == NotificationKind.GOAL:
            title = f"{_SCORE_LABELS.get(event.event_type, 'Score:')} {line}"
            body = _join(_scorer(board_after, event, team), when)
            interest = Interest.GOALS
        else:
            label = _CARD_LABELS[event.event_type]
            title = f"{label}: {team}" if team else label
            body = _join(line, when)
            interest = Interest.CARDS
    return PushNotification(
        id=f"{board_after.game_id}/{event.event_id}/{kind.value}",
        game_id=board_after.game_id,
        kind=kind,
        interest=interest,
        title=title,
        body=body,
        collapse_id=collapse_id(board_after.game_id),
        teams=teams(board_after),
        created_at=recorded_at,
        expires_at=recorded_at + ttl,
        data=_data(board_after, event, home_score, away_score),
    )


def correction_for(
    board_after: Scoreboard,
    original: PushNotification,
    recorded_at: float,
    *,
    number: int,
    score: tuple[int, int] | None = None,
) -> PushNotification:
    """The correction of ``original`` (already sent) after a revision of its event,
    given the board with the revision applied; ``number`` counts the corrections of
    that notification (1, 2, ...), so the id ``{original.id}/correction/{number}`` is
    deterministic. Same audience (interest, teams) and collapse id as the original;
    it shows ``score`` (home, away), by default the board's score now.
    """
    home_score, away_score = score or (board_after.home_score, board_after.away_score)
    event_id = original.data.get("event_id", "")
    play = board_after.plays.get(event_id)
    standing_type, team_id = None, original.data.get("team_id") or None
    if play is not None and play.retracted_at is None:
        standing_type, team_id, _ = play.effective()
    team = team_name(board_after, team_id)
    if original.kind == NotificationKind.CARD:
        if standing_type in CARD_TYPES:
            assert standing_type is not None
            title = f"Card corrected: {_CARD_LABELS[standing_type]}" + (f", {team}" if team else "")
        else:
            title = f"Card withdrawn: {team}" if team else "Card withdrawn"
    elif standing_type is not None and board_after.rules.points.get(standing_type, 0) > 0:
        title = f"Score corrected: {score_line(board_after, (home_score, away_score))}"
    else:
        title = f"Goal disallowed: {score_line(board_after, (home_score, away_score))}"
    data = {
        **original.data,
        "team_id": team_id or "",
        "home_score": str(home_score),
        "away_score": str(away_score),
        "version": str(board_after.version),
        "corrects": original.id,
    }
    return PushNotification(
        id=f"{original.id}/correction/{number}",
        game_id=original.game_id,
        kind=NotificationKind.CORRECTION,
        interest=original.interest,
        title=title,
        body=f"Corrects: {original.title}",
        collapse_id=original.collapse_id,
        teams=original.teams,
        created_at=recorded_at,
        expires_at=recorded_at + (original.expires_at - original.created_at),
        data=data,
    )


# ---------------------------------------------------------------- rendering
def score_after(
    board: Scoreboard, sequence_number: int, *, excluding: Collection[str] = ()
) -> tuple[int, int]:
    """(home, away) counting the board's standing plays up to ``sequence_number``, as
    corrected so far (the score right after that event), leaving out the plays whose
    event ids are ``excluding``."""
    home_score = away_score = 0
    rules, home_id = board.rules, board.schedule.home_team_id
    for event_id, play in board.plays.items():
        if play.sequence_number > sequence_number or play.retracted_at is not None:
            continue
        if event_id in excluding:
            continue
        event_type, team_id, _ = play.effective()
        points = rules.points.get(event_type)
        if team_id is None or not points:
            continue
        for_home = (team_id == home_id) != (event_type in rules.scores_for_opponent)
        if for_home:
            home_score += points
        else:
            away_score += points
    return home_score, away_score


def team_name(board: Scoreboard, team_id: str | None) -> str:
    """The team's name as scheduled (its id when it has none); "" for no team."""
    if team_id is None:
        return ""
    s = board.schedule
    if team_id == s.home_team_id:
        return s.home_team_name or s.home_team_id
    if team_id == s.away_team_id:
        return s.away_team_name or s.away_team_id
    return team_id


def teams(board: Scoreboard) -> tuple[str, str]:
    return board.schedule.home_team_id, board.schedule.away_team_id


def score_line(board: Scoreboard, score: tuple[int, int] | None = None) -> str:
    """``Arsenal 1-0 Chelsea`` (the board's score unless ``score`` is given)."""
    s = board.schedule
    home_score, away_score = score or (board.home_score, board.away_score)
    return (
        f"{team_name(board, s.home_team_id)} {home_score}-{away_score}"
        f" {team_name(board, s.away_team_id)}"
    )


def moment(board: Scoreboard, event: GameEvent) -> str:
    """When in the game: ``23', 1st half`` (soccer's clock counts up) or ``Q3 4:12``
    (the others' counts down); "" when the event says neither."""
    period = event.period or 0
    name = board.rules.period_name(period) if period else ""
    clock = event.clock_seconds
    if clock is None:
        return name
    if board.sport == Sport.SOCCER:
        minute = f"{clock // 60 + 1}'"
        return f"{minute}, {name}" if name else minute
    time_left = f"{clock // 60}:{clock % 60:02d}"
    return f"{name} {time_left}" if name else time_left


def _scorer(board: Scoreboard, event: GameEvent, team: str) -> str:
    if event.event_type == EventType.OWN_GOAL:
        return f"Own goal by {team}" if team else "Own goal"
    if event.event_type == EventType.PENALTY_GOAL:
        return f"{team} score from the penalty spot" if team else "Penalty scored"
    points = board.rules.points.get(event.event_type, 0)
    if board.sport == Sport.SOCCER or board.sport == Sport.ICE_HOCKEY:
        return f"{team} score" if team else ""
    return f"{team} +{points}" if team else f"+{points}"


def _final_word(sport: Sport) -> str:
    return "Full time" if sport == Sport.SOCCER else "Final"


def _final_body(board: Scoreboard) -> str:
    s = board.schedule
    home, away = team_name(board, s.home_team_id), team_name(board, s.away_team_id)
    if board.home_score != board.away_score:
        return f"{home if board.home_score > board.away_score else away} win"
    if board.shootout_home != board.shootout_away:
        winner = home if board.shootout_home > board.shootout_away else away
        high = max(board.shootout_home, board.shootout_away)
        low = min(board.shootout_home, board.shootout_away)
        how = "on penalties" if board.sport == Sport.SOCCER else "in the shootout"
        return f"{winner} win {high}-{low} {how}"
    return "Draw"


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _data(board: Scoreboard, event: GameEvent, home_score: int, away_score: int) -> dict[str, str]:
    return {
        "game_id": board.game_id,
        "event_id": event.event_id,
        "team_id": event.team_id or "",
        "home_score": str(home_score),
        "away_score": str(away_score),
        "version": str(board.version),
    }
