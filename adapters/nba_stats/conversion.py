"""Mapping a stats.nba.com play-by-play to native basketball events: :func:`convert`.

Which rows become which native events, which team is at home and when the game is over is
decided here; the package doc lists the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.nba_live.nba_game_id import season_from_year, season_of
from adapters.nba_stats.format_error import NbaStatsFormatError
from adapters.nba_stats.play_rows import PlayRow, read_play_by_play
from adapters.nba_stats.summary import GameSummary, read_summary
from adapters.play_by_play.game_log import GameHeader, build_game_log
from adapters.play_by_play.revisions import revise
from adapters.play_by_play.source_rows import Play, SourceRow
from domain.events import Schedule
from domain.sports import RULES, EventType, Sport

_BASKETBALL = RULES[Sport.BASKETBALL]
MADE_SHOT, MISSED_SHOT, FREE_THROW = 1, 2, 3
FOUL, SUBSTITUTION, TIMEOUT = 6, 8, 9
PERIOD_START, PERIOD_END = 12, 13
_INCIDENTS = {
    FOUL: EventType.FOUL,
    SUBSTITUTION: EventType.SUBSTITUTION,
    TIMEOUT: EventType.TIMEOUT,
}


def convert(
    data: Any,
    *,
    game_id: str | None = None,
    summary: Any = None,
    previous: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Native events of one game from a playbyplayv2 answer (and, if given, the game's
    boxscoresummaryv2 answer); see the package doc."""
    if game_id is not None and (not isinstance(game_id, str) or not game_id):
        raise ValueError("game_id must be a non-empty string (or None: the feed's GAME_ID)")
    provider_id, rows = read_play_by_play(data)
    told = read_summary(summary) if summary is not None else None
    if told is not None and told.game_id is not None:
        if provider_id is not None and told.game_id != provider_id:
            raise NbaStatsFormatError(
                f"the summary is of game {told.game_id!r}, the play-by-play of {provider_id!r}"
            )
        provider_id = provider_id or told.game_id
    if provider_id is None:
        raise NbaStatsFormatError("the play-by-play has no rows, and no summary names the game")
    schedule = _schedule(rows, told, provider_id)
    header = GameHeader(game_id or provider_id, Sport.BASKETBALL, provider_id, schedule, "Tip-off")
    final = _final_row(rows)
    last_score = next((row.score for row in reversed(rows) if row.score is not None), (0, 0))
    source = [_source_row(provider_id, row, row is final) for row in rows]
    fresh = build_game_log(header, source, error=NbaStatsFormatError)
    if final is not None and told is not None:
        _check_line_score(last_score, told, schedule)
    return revise(fresh, previous, error=NbaStatsFormatError)


def _source_row(provider_id: str, row: PlayRow, final: bool) -> SourceRow:
    plays = _plays(row)
    if final:
        plays += (Play(EventType.GAME_FINAL, description=_final_words(row), suffix=":final"),)
    return SourceRow(
        event_id=f"{provider_id}:eventnum:{row.number}",
        where=row.where,
        period=row.period,
        clock=row.clock,
        plays=plays,
        score=row.score,
    )


def _plays(row: PlayRow) -> tuple[Play, ...]:
    text = row.description
    period = _BASKETBALL.period_name(row.period)
    if row.kind == PERIOD_START:
        return (Play(EventType.PERIOD_START, description=text or f"Start of {period}"),)
    if row.kind == PERIOD_END:
        return (Play(EventType.PERIOD_END, description=text or f"End of {period}"),)
    if row.kind in (MADE_SHOT, MISSED_SHOT, FREE_THROW):
        assists: tuple[str, ...] = ()
        if row.kind == MADE_SHOT:
            kind = EventType.THREE_POINTER if "3PT" in (text or "") else EventType.TWO_POINTER
            assists = (row.second_id,) if row.second_id else ()
        elif row.kind == FREE_THROW and "MISS" not in (text or "").upper():
            kind = EventType.FREE_THROW
        else:
            kind = EventType.SHOT
        return (
            Play(
                kind,
                row.team_id,
                row.player_id,
                text or "",
                assists=assists,
                player_name=row.player_name,
            ),
        )
    if row.kind in _INCIDENTS:
        words = text or ("Official timeout" if row.kind == TIMEOUT else "")
        name = row.player_name
        return (Play(_INCIDENTS[row.kind], row.team_id, row.player_id, words, player_name=name),)
    return ()


def _final_row(rows: list[PlayRow]) -> PlayRow | None:
    """The row that ends the game: the last row, if it ends a period of regulation or later
    with the running score not tied (the play-by-play has no game-end row)."""
    if not rows or rows[-1].kind != PERIOD_END:
        return None
    last = rows[-1]
    score = next((row.score for row in reversed(rows) if row.score is not None), (0, 0))
    if last.period < _BASKETBALL.regulation_periods or score[0] == score[1]:
        return None
    return last


def _final_words(row: PlayRow) -> str:
    extra = row.period - _BASKETBALL.regulation_periods
    return "Final" if extra <= 0 else f"Final ({_BASKETBALL.period_name(row.period)})"


def _schedule(rows: list[PlayRow], told: GameSummary | None, provider_id: str) -> Schedule:
    sides: dict[str, set[str]] = {"home": set(), "away": set()}
    names: dict[str, str] = {}
    for row in rows:
        if row.team_id is not None and row.side is not None:
            sides[row.side].add(row.team_id)
        if row.team_id is not None and row.team_name is not None:
            names.setdefault(row.team_id, row.team_name)
    if sides["home"] & sides["away"] or len(sides["home"]) > 1 or len(sides["away"]) > 1:
        listed = {side: sorted(teams) for side, teams in sides.items()}
        raise NbaStatsFormatError(f"the rows do not name one home and one away team: {listed}")
    home = next(iter(sides["home"]), None)
    away = next(iter(sides["away"]), None)
    if told is not None:
        if (home or told.home_team_id, away or told.away_team_id) != (
            told.home_team_id,
            told.away_team_id,
        ):
            raise NbaStatsFormatError(
                f"the summary has {told.home_team_id} at home to {told.away_team_id}; the "
                f"play-by-play has {home} at home to {away}"
            )
        home, away = told.home_team_id, told.away_team_id
        names = {**names, **told.names}
    if home is None or away is None:
        raise NbaStatsFormatError(
            "the play-by-play does not name both teams yet; pass the game's summary"
        )
    season = told.season if told is not None else None
    return Schedule(
        home_team_id=home,
        away_team_id=away,
        home_team_name=names.get(home),
        away_team_name=names.get(away),
        league="nba",
        season=season_from_year(season) if season is not None else season_of(provider_id),
    )


def _check_line_score(score: tuple[int, int], told: GameSummary, schedule: Schedule) -> None:
    home = told.points.get(schedule.home_team_id)
    away = told.points.get(schedule.away_team_id)
    if home is not None and away is not None and score != (home, away):
        raise NbaStatsFormatError(
            f"the play-by-play ends {score[0]}-{score[1]} (home-away) but the summary's line "
            f"score is {home}-{away}"
        )
