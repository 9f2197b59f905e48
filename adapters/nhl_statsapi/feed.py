"""Reading an NHL statsapi game feed (``/game/<gamePk>/feed/live``) into checked, typed parts.

:func:`read_feed` checks the fields Scoreline uses: the game and its teams from
``gameData``, and the plays of ``liveData.plays.allPlays`` in the feed's order (the game's
order: ``eventIdx`` is not always increasing). It raises :class:`NhlStatsapiFormatError`
for input not shaped like the feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.nhl_statsapi.format_error import NhlStatsapiFormatError
from adapters.nhl_statsapi.raw_fields import integer, items, minutes, obj, text
from adapters.provider_format import player_name

MAX_PERIOD = 100
REGULATION_PERIODS = 3
SHOOTOUT = "SHOOTOUT"
_SHORT_OVERTIME_GAMES = frozenset({"R", "PR"})  # regular season, preseason: 5-minute OT


@dataclass(frozen=True)
class Team:
    id: str  # str of the NHL team id
    name: str | None


@dataclass(frozen=True)
class Play:
    """One play; ids are ``str`` of the NHL's integers."""

    index: int  # about.eventIdx
    kind: str  # result.eventTypeId
    description: str | None
    period: int
    shootout: bool
    clock: int | None  # seconds left in the period (None in a shoot-out)
    created_at: str | None
    score: tuple[int, int] | None  # about.goals (home, away) after the play
    team_id: str | None
    players: tuple[tuple[str, str], ...]  # (playerType, id)
    where: str
    names: tuple[tuple[str, str], ...] = ()  # (id, player.fullName) of the named players

    def player(self, role: str) -> str | None:
        return next((ident for kind, ident in self.players if kind == role), None)

    def name_of(self, ident: str | None) -> str | None:
        """The name the play gives the player ``ident`` (its first), or None."""
        return next((name for known, name in self.names if known == ident), None)


@dataclass(frozen=True)
class Feed:
    game_pk: str
    home: Team
    away: Team
    season: str | None  # the NHL's "20152016"
    start_time: str | None
    venue: str | None
    plays: list[Play]


def read_feed(data: object) -> Feed:
    if not isinstance(data, Mapping):
        raise NhlStatsapiFormatError("an NHL statsapi game feed is a JSON object")
    game_data = obj(data, "gameData", "the feed", required=True)
    game = obj(game_data, "game", "gameData")
    pk = integer(data, "gamePk", "the feed", 1) or integer(game, "pk", "gameData.game", 1)
    if pk is None:
        raise NhlStatsapiFormatError("the feed has no integer 'gamePk'")
    teams = obj(game_data, "teams", "gameData", required=True)
    home, away = (_team(teams, side) for side in ("home", "away"))
    if home.id == away.id:
        raise NhlStatsapiFormatError(f"the home and away teams are both {home.id}")
    game_type = text(game, "type", "gameData.game")
    plays = obj(obj(data, "liveData", "the feed", required=True), "plays", "liveData")
    parsed = [
        _play(raw, position, game_type)
        for position, raw in enumerate(items(plays, "allPlays", "liveData.plays"))
    ]
    seen: dict[int, str] = {}
    for play in parsed:
        if play.index in seen:
            raise NhlStatsapiFormatError(
                f"{play.where}: its eventIdx is also that of {seen[play.index]}"
            )
        seen[play.index] = play.where
    return Feed(
        game_pk=str(pk),
        home=home,
        away=away,
        season=text(game, "season", "gameData.game"),
        start_time=text(obj(game_data, "datetime", "gameData"), "dateTime", "gameData.datetime"),
        venue=text(obj(game_data, "venue", "gameData"), "name", "gameData.venue"),
        plays=parsed,
    )


def _team(teams: Mapping[str, Any], side: str) -> Team:
    where = f"gameData.teams.{side}"
    raw = obj(teams, side, "gameData.teams", required=True)
    return Team(str(integer(raw, "id", where, 1, required=True)), text(raw, "name", where))


def _play(raw: object, position: int, game_type: str | None) -> Play:
    where = f"play {position}"
    if not isinstance(raw, Mapping):
        raise NhlStatsapiFormatError(f"{where} is {type(raw).__name__}, not a JSON object")
    about = obj(raw, "about", where, required=True)
    index = integer(about, "eventIdx", where, 0, required=True) or 0
    where = f"play {position} (eventIdx {index})"
    result = obj(raw, "result", where, required=True)
    period = integer(about, "period", where, 1, MAX_PERIOD, required=True) or 1
    shootout = text(about, "periodType", where) == SHOOTOUT
    if shootout and period <= REGULATION_PERIODS:
        raise NhlStatsapiFormatError(
            f"{where}: a shoot-out comes after regulation, not in period {period}"
        )
    goals = obj(about, "goals", where)
    home, away = integer(goals, "home", where, 0, 999), integer(goals, "away", where, 0, 999)
    team = integer(obj(raw, "team", where), "id", f"{where} team", 1)
    players = [_player(entry, where) for entry in items(raw, "players", where)]
    return Play(
        index=index,
        kind=text(result, "eventTypeId", where, required=True) or "",
        description=text(result, "description", where),
        period=period,
        shootout=shootout,
        clock=None if shootout else _clock(about, where, period, game_type),
        created_at=text(about, "dateTime", where),
        score=(home, away) if home is not None and away is not None else None,
        team_id=str(team) if team is not None else None,
        players=tuple((role, ident) for role, ident, _ in players),
        where=where,
        names=tuple((ident, name) for _, ident, name in players if name is not None),
    )


def _clock(about: Mapping[str, Any], where: str, period: int, game_type: str | None) -> int | None:
    left = minutes(about, "periodTimeRemaining", where)
    if left is not None:
        return left
    elapsed = minutes(about, "periodTime", where)
    if elapsed is None:
        return None
    short = period > REGULATION_PERIODS and game_type in _SHORT_OVERTIME_GAMES
    length = 5 * 60 if short else 20 * 60
    if elapsed > length:
        raise NhlStatsapiFormatError(
            f"{where}: 'periodTime' is past the period's {length // 60} minutes"
        )
    return length - elapsed


def _player(entry: object, where: str) -> tuple[str, str, str | None]:
    where = f"{where} player"
    if not isinstance(entry, Mapping):
        raise NhlStatsapiFormatError(f"{where} is not a JSON object")
    role = text(entry, "playerType", where, required=True) or ""
    player = obj(entry, "player", where, required=True)
    ident = integer(player, "id", where, 1, required=True)
    return role, str(ident), player_name(text(player, "fullName", where))
