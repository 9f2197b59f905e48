"""Reading a stats.nba.com ``playbyplayv2`` answer into checked, typed :class:`PlayRow` s.

:func:`read_play_by_play` checks the columns Scoreline uses, in the answer's row order (the
game's order: ``EVENTNUM`` is not always increasing), and raises
:class:`NbaStatsFormatError` for input not shaped like the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from adapters.nba_stats.format_error import NbaStatsFormatError, show
from adapters.nba_stats.result_sets import integer, required, result_set, text
from adapters.provider_format import player_name

MAX_PERIOD = 100
HOME_SIDE = frozenset({2, 4})  # PERSON1TYPE: 2 the home team, 4 a home player
AWAY_SIDE = frozenset({3, 5})  # 3 the visiting team, 5 a visiting player
_CLOCK = re.compile(r"([0-9]{1,2}):([0-5][0-9])(?:\.[0-9]{1,3})?")
_SCORE = re.compile(r"\s*([0-9]{1,4})\s*-\s*([0-9]{1,4})\s*")
_GAME_ID = re.compile(r"[^\s]{1,100}")


@dataclass(frozen=True)
class PlayRow:
    """One play-by-play row; team and player ids are ``str`` of the provider's integers."""

    game_id: str | None  # GAME_ID
    number: int  # EVENTNUM
    kind: int  # EVENTMSGTYPE
    period: int
    clock: int  # seconds left in the period
    description: str | None  # the acting side's, else whichever the row has
    score: tuple[int, int] | None  # (home, away) after the row; SCORE is "away - home"
    side: str | None  # "home" / "away" by PERSON1TYPE, None for neither
    team_id: str | None
    team_name: str | None  # "Oklahoma City Thunder"
    player_id: str | None
    player_name: str | None  # PLAYER1_NAME when PLAYER1_ID is a player ("Russell Westbrook")
    second_id: str | None  # PLAYER2_ID when a player of the acting side (a basket's passer)
    where: str


def read_play_by_play(data: object) -> tuple[str | None, list[PlayRow]]:
    """The answer's ``GAME_ID`` (``None`` if it has no rows) and its checked rows."""
    rows = result_set(data, "PlayByPlay", "a playbyplayv2 answer")
    if rows is None:
        raise NbaStatsFormatError("a playbyplayv2 answer has a 'PlayByPlay' result set")
    parsed = [_row(raw, position) for position, raw in enumerate(rows)]
    game_ids = {row.game_id for row in parsed}
    if len(game_ids) > 1:
        raise NbaStatsFormatError(f"the rows are of {len(game_ids)} games, not one")
    game_id = next(iter(game_ids), None)
    seen: dict[int, str] = {}
    for row in parsed:
        if row.number in seen:
            raise NbaStatsFormatError(
                f"{row.where}: its EVENTNUM is also that of {seen[row.number]}"
            )
        seen[row.number] = row.where
    return game_id, parsed


def _row(raw: dict[str, Any], position: int) -> PlayRow:
    where = f"row {position}"
    number = required(integer(raw, "EVENTNUM", where), "EVENTNUM", where)
    where = f"row {position} (EVENTNUM {number})"
    clock = raw.get("PCTIMESTRING")
    match = _CLOCK.fullmatch(clock) if isinstance(clock, str) else None
    if match is None:
        raise NbaStatsFormatError(f"{where}: PCTIMESTRING must be like '11:39', not {show(clock)}")
    game_id = text(raw, "GAME_ID", where)
    if game_id is not None and not _GAME_ID.fullmatch(game_id):
        raise NbaStatsFormatError(f"{where}: GAME_ID must be an id, not {show(game_id)}")
    person = integer(raw, "PERSON1TYPE", where)
    side = "home" if person in HOME_SIDE else "away" if person in AWAY_SIDE else None
    player1 = integer(raw, "PLAYER1_ID", where)
    person2, player2 = integer(raw, "PERSON2TYPE", where), integer(raw, "PLAYER2_ID", where)
    same_side = HOME_SIDE if side == "home" else AWAY_SIDE if side == "away" else frozenset()
    team = integer(raw, "PLAYER1_TEAM_ID", where)
    if team is None and person in (2, 3):  # a team's own row: PLAYER1_ID is the team
        team = player1
    city, nickname = (
        text(raw, "PLAYER1_TEAM_CITY", where),
        text(raw, "PLAYER1_TEAM_NICKNAME", where),
    )
    texts = {key: text(raw, f"{key}DESCRIPTION", where) for key in ("HOME", "VISITOR", "NEUTRAL")}
    own = texts["HOME"] if side == "home" else texts["VISITOR"] if side == "away" else None
    return PlayRow(
        game_id=game_id,
        number=number,
        kind=required(integer(raw, "EVENTMSGTYPE", where), "EVENTMSGTYPE", where),
        period=required(integer(raw, "PERIOD", where, 1, MAX_PERIOD), "PERIOD", where),
        clock=int(match[1]) * 60 + int(match[2]),
        description=own or texts["HOME"] or texts["VISITOR"] or texts["NEUTRAL"],
        score=_score(raw, where),
        side=side,
        team_id=str(team) if team else None,
        team_name=f"{city} {nickname}" if city and nickname else None,
        player_id=str(player1) if player1 and person in (4, 5) else None,
        player_name=(
            player_name(text(raw, "PLAYER1_NAME", where)) if player1 and person in (4, 5) else None
        ),
        second_id=(
            str(player2)
            if player2 and player2 != player1 and person2 in same_side and person2 in (4, 5)
            else None
        ),
        where=where,
    )


def _score(raw: dict[str, Any], where: str) -> tuple[int, int] | None:
    score = text(raw, "SCORE", where)
    if score is None:
        return None
    match = _SCORE.fullmatch(score)
    if match is None:
        raise NbaStatsFormatError(f"{where}: SCORE must be like '102 - 99', not {show(score)}")
    return int(match[2]), int(match[1])  # SCORE is "away - home"
