"""Reading a stats.nba.com ``boxscoresummaryv2`` answer: who is at home, names, line score.

:func:`read_summary` raises :class:`NbaStatsFormatError` for input not shaped like it.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.nba_stats.format_error import NbaStatsFormatError
from adapters.nba_stats.result_sets import integer, required, result_set, text


@dataclass(frozen=True)
class GameSummary:
    """What the summary says of a game; team ids are ``str`` of the provider's integers."""

    game_id: str | None
    home_team_id: str
    away_team_id: str
    season: int | None  # the year the season starts in
    names: dict[str, str]  # team id -> "Oklahoma City Thunder"
    points: dict[str, int]  # team id -> points in the line score


def read_summary(data: object) -> GameSummary:
    what = "a boxscoresummaryv2 answer"
    games = result_set(data, "GameSummary", what)
    if not games:
        raise NbaStatsFormatError(f"{what} has a 'GameSummary' result set with a row")
    game, where = games[0], "GameSummary row 0"
    home = required(integer(game, "HOME_TEAM_ID", where, 1), "HOME_TEAM_ID", where)
    away = required(integer(game, "VISITOR_TEAM_ID", where, 1), "VISITOR_TEAM_ID", where)
    season = text(game, "SEASON", where)
    names: dict[str, str] = {}
    points: dict[str, int] = {}
    for position, line in enumerate(result_set(data, "LineScore", what) or []):
        where = f"LineScore row {position}"
        team = str(required(integer(line, "TEAM_ID", where, 1), "TEAM_ID", where))
        city, nickname = text(line, "TEAM_CITY_NAME", where), text(line, "TEAM_NICKNAME", where)
        if city and nickname:
            names[team] = f"{city} {nickname}"
        scored = integer(line, "PTS", where)
        if scored is not None:
            points[team] = scored
    return GameSummary(
        game_id=text(game, "GAME_ID", "GameSummary row 0"),
        home_team_id=str(home),
        away_team_id=str(away),
        season=int(season)
        if season and season.isascii() and season.isdigit() and len(season) == 4
        else None,
        names=names,
        points=points,
    )
