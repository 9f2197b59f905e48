"""Mapping an NBA live play-by-play feed to native basketball events: :func:`convert`.

Which actions become which native events, and which team is at home, is decided here; the
package doc lists the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.nba_live.actions import Action, read_feed
from adapters.nba_live.format_error import NbaLiveFormatError
from adapters.nba_live.nba_game_id import season_of
from adapters.play_by_play.game_log import GameHeader, build_game_log
from adapters.play_by_play.revisions import revise
from adapters.play_by_play.sent_log import sent_teams
from adapters.play_by_play.source_rows import Play, SourceRow
from domain.events import Schedule
from domain.sports import RULES, EventType, Sport

_BASKETBALL = RULES[Sport.BASKETBALL]
_SHOTS = {
    "2pt": EventType.TWO_POINTER,
    "3pt": EventType.THREE_POINTER,
    "freethrow": EventType.FREE_THROW,
}
_INCIDENTS = {
    "foul": EventType.FOUL,
    "timeout": EventType.TIMEOUT,
    "substitution": EventType.SUBSTITUTION,
}


def convert(
    data: Any,
    *,
    game_id: str | None = None,
    home_team_id: str | None = None,
    away_team_id: str | None = None,
    previous: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Native events of one game from an NBA live play-by-play feed (see the package doc)."""
    if game_id is not None and (not isinstance(game_id, str) or not game_id):
        raise ValueError("game_id must be a non-empty string (or None: the feed's gameId)")
    given = _given_teams(home_team_id, away_team_id)
    provider_id, actions = read_feed(data)
    names = _tricodes(actions)
    home, away = _sides(actions, names, given or sent_teams(previous))
    schedule = Schedule(
        home_team_id=home,
        away_team_id=away,
        home_team_name=names.get(home),
        away_team_name=names.get(away),
        start_time=next(
            (a.time_actual for a in actions if _is(a, "period", "start") and a.period == 1),
            None,
        ),
        league="nba",
        season=season_of(provider_id),
    )
    header = GameHeader(game_id or provider_id, Sport.BASKETBALL, provider_id, schedule, "Tip-off")
    rows = [_row(provider_id, action) for action in actions]
    fresh = build_game_log(header, rows, error=NbaLiveFormatError)
    return revise(fresh, previous, error=NbaLiveFormatError)


def _row(provider_id: str, action: Action) -> SourceRow:
    return SourceRow(
        event_id=f"{provider_id}:action:{action.number}",
        where=action.where,
        period=action.period,
        clock=action.clock,
        created_at=action.time_actual,
        plays=_plays(action),
        score=action.score,
    )


def _plays(action: Action) -> tuple[Play, ...]:
    kind = action.action_type.lower()
    text = action.description
    period = _BASKETBALL.period_name(action.period)
    if _is(action, "period", "start"):
        return (Play(EventType.PERIOD_START, description=text or f"Start of {period}"),)
    if _is(action, "period", "end"):
        return (Play(EventType.PERIOD_END, description=text or f"End of {period}"),)
    if _is(action, "game", "end"):
        return (Play(EventType.GAME_FINAL, description=text or "Game End"),)
    if kind in _SHOTS:
        event = _SHOTS[kind] if action.made else EventType.SHOT
        text = text or f"{action.action_type} {'made' if action.made else 'missed'}"
        assister = action.assist_id if action.made and event != EventType.FREE_THROW else None
        assists = (assister,) if assister else ()
        return (
            Play(
                event,
                action.team_id,
                action.person_id,
                text,
                assists=assists,
                player_name=action.person_name,
            ),
        )
    if kind in _INCIDENTS:
        text = text or f"{action.action_type} {action.sub_type}".strip()
        return (
            Play(
                _INCIDENTS[kind],
                action.team_id,
                action.person_id,
                text,
                player_name=action.person_name,
            ),
        )
    return ()


def _is(action: Action, action_type: str, sub_type: str) -> bool:
    return action.action_type.lower() == action_type and action.sub_type.lower() == sub_type


def _given_teams(home: str | None, away: str | None) -> tuple[str, str] | None:
    if home is None and away is None:
        return None
    if not isinstance(home, str) or not isinstance(away, str) or not home or not away:
        raise ValueError("give both home_team_id and away_team_id (non-empty strings), or neither")
    if home == away:
        raise ValueError(f"home_team_id and away_team_id are both {home!r}")
    return home, away


def _tricodes(actions: list[Action]) -> dict[str, str | None]:
    """Each team in the actions, with its tricode (the first one given)."""
    names: dict[str, str | None] = {}
    for action in actions:
        if action.team_id is not None and names.get(action.team_id) is None:
            names[action.team_id] = action.tricode
    if len(names) > 2:
        listed = ", ".join(sorted(names)[:5])
        raise NbaLiveFormatError(f"a game has two teams; these actions name {listed}")
    return names


def _sides(
    actions: list[Action], names: Mapping[str, str | None], known: tuple[str, str] | None
) -> tuple[str, str]:
    """(home, away) team ids: ``known`` if given, else told by the first basket's score."""
    first = _first_basket(actions)
    if known is not None:
        if first is not None and (first[0] == known[0]) != first[1]:
            raise NbaLiveFormatError(
                f"team {first[0]} scores on the {'home' if first[1] else 'away'} side of the "
                f"running score, but the home team is {known[0]}"
            )
        return known
    if first is None:
        raise NbaLiveFormatError(
            "the feed does not say yet which team is at home (no basket has moved the running "
            "score); pass home_team_id and away_team_id"
        )
    scorer, at_home = first
    others = [team for team in names if team != scorer]
    if not others:
        raise NbaLiveFormatError(
            f"only team {scorer} is in the actions so far; pass home_team_id and away_team_id"
        )
    return (scorer, others[0]) if at_home else (others[0], scorer)


def _first_basket(actions: list[Action]) -> tuple[str, bool] | None:
    """The team of the first made shot that moved one side of the running score, and
    whether that side is the home side."""
    before = (0, 0)
    for action in actions:
        if action.score is None:
            continue
        home, away = action.score[0] - before[0], action.score[1] - before[1]
        if action.made and action.team_id is not None and min(home, away) == 0 < max(home, away):
            return action.team_id, home > 0
        before = action.score
    return None
