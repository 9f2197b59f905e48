"""Reading one raw ESPN scoreboard snapshot into checked, typed :class:`GameSnapshot` s.

:func:`read_snapshot` checks every field the differ uses (and only those) and raises
:class:`EspnScoreboardFormatError` naming the game and the offending value otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from adapters.espn_scoreboard.format_error import EspnScoreboardFormatError, show

Phase = Literal["pre", "in", "post", "postponed", "cancelled"]

MAX_SCORE = 250  # far above any NFL score; bounds the plays a delta can imply
MAX_PERIOD = 10  # four quarters and six overtimes
LEAGUE = "nfl"

_ID = re.compile(r"\S{1,100}")  # native ids: no whitespace; room for "espn-" and ":<seq>"
_CLOCK = re.compile(r"(\d{1,2}):([0-5]\d)")
_SCORE = re.compile(r"\d{1,3}")
_STATES: Mapping[str, Phase] = {"pre": "pre", "in": "in", "post": "post"}
_OFF_STATUS: Mapping[str, Phase] = {
    "STATUS_POSTPONED": "postponed",
    "STATUS_CANCELED": "cancelled",
    "STATUS_CANCELLED": "cancelled",
}
_MAX_TEXT = 200


@dataclass(frozen=True)
class Side:
    """One competitor: ``team_id`` is ESPN's team id (a string, as ESPN gives it)."""

    team_id: str
    name: str | None
    score: int

    @property
    def label(self) -> str:
        return self.name or self.team_id


@dataclass(frozen=True)
class GameSnapshot:
    """What one snapshot says about one game, checked."""

    espn_id: str
    phase: Phase
    period: int
    clock: int  # seconds left in the period, from ``displayClock``
    home: Side
    away: Side
    start_time: str | None
    venue: str | None
    league: str
    season: str | None

    @property
    def game_id(self) -> str:
        return f"espn-{self.espn_id}"

    def schedule(self) -> dict[str, Any]:
        """The native ``schedule`` object of this game (``domain.events.Schedule`` fields)."""
        return {
            "home_team_id": self.home.team_id,
            "away_team_id": self.away.team_id,
            "home_team_name": self.home.name,
            "away_team_name": self.away.name,
            "venue": self.venue,
            "start_time": self.start_time,
            "league": self.league,
            "season": self.season,
        }


def read_snapshot(snapshot: object) -> list[GameSnapshot]:
    """The checked games of one scoreboard snapshot, in the snapshot's order."""
    if not isinstance(snapshot, Mapping):
        raise EspnScoreboardFormatError(
            f"an ESPN scoreboard is a JSON object, not {type(snapshot).__name__}"
        )
    events = _list(snapshot.get("events"), "the scoreboard's 'events'")
    league = _league(snapshot)
    season = _season(snapshot.get("season"), "the scoreboard")
    games = [_game(raw, i, league, season) for i, raw in enumerate(events)]
    seen: set[str] = set()
    for game in games:
        if game.espn_id in seen:
            raise EspnScoreboardFormatError(f"two events have the id {show(game.espn_id)}")
        seen.add(game.espn_id)
    return games


def _game(raw: object, position: int, league: str, season: str | None) -> GameSnapshot:
    where = f"event {position}"
    event = _object(raw, where)
    espn_id = _ident(event.get("id"), f"{where} 'id'")
    where = f"event {position} (id {espn_id})"
    competitions = _list(event.get("competitions"), f"{where} 'competitions'")
    if not competitions:
        raise EspnScoreboardFormatError(f"{where}: 'competitions' is empty")
    competition = _object(competitions[0], f"{where} competition 0")
    status = _object(event.get("status", competition.get("status")), f"{where} 'status'")
    status_type = _object(status.get("type"), f"{where} 'status.type'")
    state = status_type.get("state")
    if not isinstance(state, str) or state not in _STATES:
        raise EspnScoreboardFormatError(
            f"{where}: 'status.type.state' must be 'pre', 'in' or 'post', not {show(state)}"
        )
    name = _text(status_type.get("name"), f"{where} 'status.type.name'")
    phase = _OFF_STATUS.get(name or "", _STATES[state])
    period = status.get("period")
    low = 1 if phase in ("in", "post") else 0
    if not _is_int(period) or not low <= period <= MAX_PERIOD:
        raise EspnScoreboardFormatError(
            f"{where}: 'status.period' must be an integer {low}..{MAX_PERIOD} when the game "
            f"is {phase!r}, not {show(period)}"
        )
    clock = _clock(status.get("displayClock"), where)
    home, away = _sides(competition, where, scored=phase in ("in", "post"))
    return GameSnapshot(
        espn_id=espn_id,
        phase=phase,
        period=period,
        clock=clock,
        home=home,
        away=away,
        start_time=_text(event.get("date"), f"{where} 'date'"),
        venue=_venue(competition.get("venue"), where),
        league=league,
        season=_season(event.get("season"), where) or season,
    )


def _sides(competition: Mapping[str, Any], where: str, *, scored: bool) -> tuple[Side, Side]:
    competitors = _list(competition.get("competitors"), f"{where} 'competitors'")
    sides: dict[str, Side] = {}
    for i, raw in enumerate(competitors):
        at = f"{where} competitor {i}"
        competitor = _object(raw, at)
        home_away = competitor.get("homeAway")
        if home_away not in ("home", "away") or home_away in sides:
            raise EspnScoreboardFormatError(
                f"{at}: 'homeAway' must be one 'home' and one 'away', not {show(home_away)}"
            )
        team = _object(competitor.get("team"), f"{at} 'team'")
        sides[home_away] = Side(
            team_id=_ident(team.get("id"), f"{at} 'team.id'"),
            name=_text(team.get("displayName"), f"{at} 'team.displayName'"),
            score=_score(competitor.get("score"), at, required=scored),
        )
    if len(sides) != 2:
        raise EspnScoreboardFormatError(
            f"{where}: a game has two competitors (home and away), not {len(competitors)}"
        )
    if sides["home"].team_id == sides["away"].team_id:
        raise EspnScoreboardFormatError(
            f"{where}: home and away are both team {show(sides['home'].team_id)}"
        )
    return sides["home"], sides["away"]


def _venue(value: object, where: str) -> str | None:
    if value is None:
        return None
    return _text(_object(value, f"{where} 'venue'").get("fullName"), f"{where} 'venue.fullName'")


def _score(value: object, where: str, *, required: bool) -> int:
    if value is None and not required:
        return 0
    if isinstance(value, str) and _SCORE.fullmatch(value):
        score = int(value)
    elif _is_int(value):
        score = value
    else:
        raise EspnScoreboardFormatError(
            f"{where}: 'score' must be a string of digits, not {show(value)}"
        )
    if not 0 <= score <= MAX_SCORE:
        raise EspnScoreboardFormatError(f"{where}: 'score' {score} is outside 0..{MAX_SCORE}")
    return score


def _clock(value: object, where: str) -> int:
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise EspnScoreboardFormatError(
            f"{where}: 'status.displayClock' must be 'M:SS', not {show(value)}"
        )
    return int(match[1]) * 60 + int(match[2])


def _league(snapshot: Mapping[str, Any]) -> str:
    leagues = snapshot.get("leagues")
    if leagues is None:
        return LEAGUE
    listed = _list(leagues, "the scoreboard's 'leagues'")
    if not listed:
        return LEAGUE
    slug = _object(listed[0], "league 0").get("slug")
    if slug is not None and slug != LEAGUE:
        raise EspnScoreboardFormatError(
            f"this is a scoreboard of league {show(slug)}; the adapter reads the NFL's ('nfl')"
        )
    return LEAGUE


def _season(value: object, where: str) -> str | None:
    if value is None:
        return None
    year = _object(value, f"{where} 'season'").get("year")
    if year is None:
        return None
    if not _is_int(year) or not 1900 <= year <= 9999:
        raise EspnScoreboardFormatError(f"{where}: 'season.year' must be a year, not {show(year)}")
    return str(year)


def _is_int(value: object) -> TypeGuard[int]:
    """Whether ``value`` is a JSON integer (an ``int``, not a ``bool``)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EspnScoreboardFormatError(f"{where} must be a JSON object, not {show(value)}")
    return value


def _list(value: object, where: str) -> Sequence[Any]:
    if isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Sequence):
        raise EspnScoreboardFormatError(f"{where} must be a JSON list, not {show(value)}")
    return value


def _ident(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise EspnScoreboardFormatError(
            f"{where} must be a string of 1..100 characters without spaces, not {show(value)}"
        )
    return value


def _text(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise EspnScoreboardFormatError(
            f"{where} must be a string of at most {_MAX_TEXT} characters, not {show(value)}"
        )
    return value
