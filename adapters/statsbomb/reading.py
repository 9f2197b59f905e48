"""Reading one match's raw StatsBomb events into checked, typed :class:`Event` s.

:func:`read_events` checks the fields every event must have and puts the events in
StatsBomb ``index`` order; :func:`match_teams` finds the home and away teams among them.
Both raise :class:`StatsBombFormatError` for input that is not StatsBomb-shaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.provider_format import player_name
from adapters.statsbomb.format_error import StatsBombFormatError, show
from adapters.statsbomb.raw_fields import id_and_name, int_field, is_int, name_of

MAX_PERIOD = 5  # 1st half, 2nd half, extra time 1 and 2, penalty shoot-out


@dataclass(frozen=True)
class Team:
    """A StatsBomb team: ``id`` is ``str`` of StatsBomb's integer team id."""

    id: str
    name: str


@dataclass(frozen=True)
class Player:
    """A StatsBomb player: ``id`` is ``str`` of StatsBomb's integer player id."""

    id: str
    name: str


@dataclass(frozen=True)
class Event:
    """The fields of one StatsBomb event that every event must have, checked."""

    id: str
    index: int | None
    type: str
    team: Team
    period: int
    minute: int
    clock: int
    player: Player | None
    raw: Mapping[str, Any]
    where: str

    def who(self) -> str:
        """The player's name, or the team's when no player is named."""
        return self.player.name if self.player else self.team.name

    @property
    def player_id(self) -> str | None:
        """The player's id, or None when no player is named."""
        return self.player.id if self.player else None

    @property
    def player_name(self) -> str | None:
        """The player's name as the native format takes it, or None (no player)."""
        return player_name(self.player.name) if self.player else None


def read_events(events: object) -> list[Event]:
    """The checked events of a StatsBomb events file, in ``index`` order when all have one."""
    if isinstance(events, (str, bytes, bytearray)) or not isinstance(events, Sequence):
        raise StatsBombFormatError(
            f"StatsBomb events must be a JSON list of event objects, not {type(events).__name__}"
        )
    parsed = [read_event(raw, position) for position, raw in enumerate(events)]
    seen: dict[str, str] = {}
    for event in parsed:
        if event.id in seen:
            raise StatsBombFormatError(
                f"{event.where}: id {show(event.id)} is also the id of {seen[event.id]}"
            )
        seen[event.id] = event.where
    if all(event.index is not None for event in parsed):
        parsed.sort(key=lambda event: event.index or 0)  # stable: file order breaks ties
    return parsed


def read_event(raw: object, position: int) -> Event:
    """The checked event at ``position`` in the file."""
    where = f"event {position}"
    if not isinstance(raw, Mapping):
        raise StatsBombFormatError(f"{where} is {type(raw).__name__}, not a JSON object")
    index = raw.get("index")
    if index is not None:
        if not is_int(index):
            raise StatsBombFormatError(f"{where}: 'index' must be an integer, not {show(index)}")
        where = f"event {position} (index {index})"
    event_id = raw.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise StatsBombFormatError(f"{where}: 'id' must be a non-empty string")
    type_name = name_of(raw, "type", where)
    if type_name is None:
        raise StatsBombFormatError(f"{where}: missing 'type' (an object with a 'name')")
    team = id_and_name(raw, "team", where)
    if team is None:
        raise StatsBombFormatError(f"{where}: missing 'team' (an object with 'id' and 'name')")
    period = int_field(raw, "period", where, 1, MAX_PERIOD)
    minute = int_field(raw, "minute", where, 0, None)
    second = int_field(raw, "second", where, 0, 59)
    player = id_and_name(raw, "player", where)
    return Event(
        id=event_id,
        index=index,
        type=type_name,
        team=Team(*team),
        period=period,
        minute=minute,
        clock=minute * 60 + second,
        player=Player(*player) if player else None,
        raw=raw,
        where=where,
    )


def match_teams(events: list[Event], home_team: str, away_team: str) -> tuple[Team, Team]:
    """The (home, away) teams: the events' two teams named exactly ``home_team`` / ``away_team``.

    ``home_team == away_team`` is a plain ``ValueError``.
    """
    if home_team == away_team:
        raise ValueError(f"home_team and away_team are both {home_team!r}")
    teams = sorted({event.team for event in events}, key=lambda team: (team.name, team.id))
    names = ", ".join(repr(team.name) for team in teams) or "none"
    if len(teams) > 2 or len({team.id for team in teams}) != len(teams):
        listed = ", ".join(f"{team.name!r} (id {team.id})" for team in teams[:5])
        more = f" and {len(teams) - 5} more" if len(teams) > 5 else ""
        raise StatsBombFormatError(f"a match has two teams; these events name {listed}{more}")
    by_name = {team.name: team for team in teams}
    for side, name in (("home_team", home_team), ("away_team", away_team)):
        if name not in by_name:
            raise StatsBombFormatError(
                f"{side} {name!r} is not a team in these events; the teams are: {names}"
            )
    return by_name[home_team], by_name[away_team]
