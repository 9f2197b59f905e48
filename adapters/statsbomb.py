"""StatsBomb events file -> Scoreline native events (the JSON shape of ``GameEvent.to_dict``).

:func:`convert` is pure: it takes the parsed JSON list of one match's StatsBomb events and
returns native soccer events for one game; it reads no file and keeps no state.

What it guarantees for any input that it does not refuse:

- The output is ``GAME_SCHEDULED`` first, then (when the feed has any play) ``GAME_STARTED``
  immediately before the first in-play event (the first period's start), then the match
  events in StatsBomb ``index`` order (file order if an event has no ``index``), then
  ``GAME_FINAL`` last, only when the feed's last period has a "Half End" (a feed that stops
  mid-period is a game still LIVE).
- ``sequence_number`` runs 1..N in output order; every ``event_id`` is distinct.
- Every ``team_id`` is null or one of the two scheduled teams (``str`` of the StatsBomb team
  id); after GAME_SCHEDULED, ``period`` is 1..5 (5: penalty shoot-out) and ``clock_seconds``
  is ``minute * 60 + second``, the elapsed match time (so it steps back at a period start
  after stoppage time: the 2nd half starts at 45:00).
- One ``PERIOD_START`` / ``PERIOD_END`` per period, however many teams report it.
- Goals: a "Shot" whose outcome is "Goal" is ``GOAL`` (``PENALTY_GOAL`` for a penalty,
  ``SHOOTOUT_GOAL`` in period 5). An own goal is counted from "Own Goal For" only, as
  ``OWN_GOAL`` whose ``team_id`` is the conceding team (the domain scores it for the
  other side); its player comes from the paired "Own Goal Against" when there is one.
- Fouls, cards (from "Foul Committed" and "Bad Behaviour") and substitutions become
  ``FOUL``, ``YELLOW_CARD`` / ``RED_CARD`` (``f"{id}:card"``) and ``SUBSTITUTION``;
  every other StatsBomb event type is left out.
- ``created_at`` is ``None``: StatsBomb gives times within a period, not wall-clock times.

Input that is not StatsBomb-shaped raises :class:`StatsBombFormatError` (a ``ValueError``)
and never another exception: not a list of objects; an event without a string ``id``
(ids must be distinct), ``type.name`` or ``team`` (integer ``id``, string ``name``); an
integer ``period`` 1..5, ``minute`` >= 0 or ``second`` 0..59 missing; a malformed ``index`` or
``player``; a converted event missing what it needs (``shot.outcome`` on a Shot,
``substitution.replacement`` on a Substitution, a known card name); other than two teams;
or a ``home_team`` / ``away_team`` that is not exactly one of the events' ``team.name`` s (the
message lists the names there are). An empty ``game_id`` or ``home_team == away_team`` is
a plain ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from domain.sports import RULES, EventType, Sport

__all__ = ["StatsBombFormatError", "convert"]

_SOCCER = RULES[Sport.SOCCER]
_MAX_PERIOD = 5  # 1st half, 2nd half, extra time 1 and 2, penalty shoot-out
_SHOOTOUT_PERIOD = 5

_CARDS: Mapping[str, tuple[EventType, str]] = {
    "Yellow Card": (EventType.YELLOW_CARD, "Yellow card"),
    "Second Yellow": (EventType.RED_CARD, "Red card (second yellow)"),
    "Red Card": (EventType.RED_CARD, "Red card"),
}


class StatsBombFormatError(ValueError):
    """The input is not a StatsBomb events file (or does not match the teams given)."""


@dataclass(frozen=True)
class _Team:
    id: str
    name: str


@dataclass(frozen=True)
class _Player:
    id: str
    name: str


@dataclass(frozen=True)
class _Event:
    """The fields of one StatsBomb event that every event must have, checked."""

    id: str
    index: int | None
    type: str
    team: _Team
    period: int
    minute: int
    clock: int
    player: _Player | None
    raw: Mapping[str, Any]
    where: str

    def who(self) -> str:
        """The player's name, or the team's when no player is named."""
        return self.player.name if self.player else self.team.name

    @property
    def player_id(self) -> str | None:
        return self.player.id if self.player else None


def convert(
    events: Sequence[Mapping[str, Any]],
    *,
    game_id: str,
    home_team: str,
    away_team: str,
    league: str | None = None,
    season: str | None = None,
    start_time: str | None = None,
    venue: str | None = None,
) -> list[dict[str, Any]]:
    """Native events of one game from one match's StatsBomb events (see the module doc).

    ``home_team`` / ``away_team`` are StatsBomb team names, exactly as in ``team.name``
    (StatsBomb events do not say which side is at home).
    """
    if not isinstance(game_id, str) or not game_id:
        raise ValueError("game_id must be a non-empty string")
    parsed = _parse_all(events)
    home, away = _match_teams(parsed, home_team, away_team)
    return _Builder(game_id, home, away).build(
        parsed, league=league, season=season, start_time=start_time, venue=venue
    )


# --------------------------------------------------------------------------- parsing
def _parse_all(events: object) -> list[_Event]:
    if isinstance(events, (str, bytes, bytearray)) or not isinstance(events, Sequence):
        raise StatsBombFormatError(
            f"StatsBomb events must be a JSON list of event objects, not {type(events).__name__}"
        )
    parsed = [_parse(raw, position) for position, raw in enumerate(events)]
    seen: dict[str, str] = {}
    for event in parsed:
        if event.id in seen:
            raise StatsBombFormatError(
                f"{event.where}: id {_show(event.id)} is also the id of {seen[event.id]}"
            )
        seen[event.id] = event.where
    if all(event.index is not None for event in parsed):
        parsed.sort(key=lambda event: event.index or 0)  # stable: file order breaks ties
    return parsed


def _parse(raw: object, position: int) -> _Event:
    where = f"event {position}"
    if not isinstance(raw, Mapping):
        raise StatsBombFormatError(f"{where} is {type(raw).__name__}, not a JSON object")
    index = raw.get("index")
    if index is not None:
        if not _is_int(index):
            raise StatsBombFormatError(f"{where}: 'index' must be an integer, not {_show(index)}")
        where = f"event {position} (index {index})"
    event_id = raw.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise StatsBombFormatError(f"{where}: 'id' must be a non-empty string")
    type_name = _name_of(raw, "type", where)
    if type_name is None:
        raise StatsBombFormatError(f"{where}: missing 'type' (an object with a 'name')")
    team = _id_and_name(raw, "team", where)
    if team is None:
        raise StatsBombFormatError(f"{where}: missing 'team' (an object with 'id' and 'name')")
    period = _int_field(raw, "period", where, 1, _MAX_PERIOD)
    minute = _int_field(raw, "minute", where, 0, None)
    second = _int_field(raw, "second", where, 0, 59)
    player = _id_and_name(raw, "player", where)
    return _Event(
        id=event_id,
        index=index,
        type=type_name,
        team=_Team(*team),
        period=period,
        minute=minute,
        clock=minute * 60 + second,
        player=_Player(*player) if player else None,
        raw=raw,
        where=where,
    )


def _show(value: object) -> str:
    """``repr(value)``, cut short: garbage input can be arbitrarily large."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_field(raw: Mapping[str, Any], key: str, where: str, low: int, high: int | None) -> int:
    value = raw.get(key)
    if _is_int(value) and low <= value and (high is None or value <= high):
        return value
    bound = f"{low}..{high}" if high is not None else f">= {low}"
    raise StatsBombFormatError(f"{where}: {key!r} must be an integer {bound}, not {_show(value)}")


def _object(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    """``raw[key]`` when it is an object; ``None`` when absent or null."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise StatsBombFormatError(f"{where}: {key!r} must be an object, not {_show(value)}")
    return value


def _name_of(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    """``raw[key]["name"]`` (StatsBomb's ``{"id": .., "name": ..}`` pairs), None if absent."""
    value = _object(raw, key, where)
    if value is None:
        return None
    name = value.get("name")
    if not isinstance(name, str):
        raise StatsBombFormatError(f"{where}: '{key}.name' must be a string, not {_show(name)}")
    return name


def _id_and_name(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, str] | None:
    value = _object(raw, key, where)
    if value is None:
        return None
    ident, name = value.get("id"), value.get("name")
    if not _is_int(ident) or not isinstance(name, str):
        raise StatsBombFormatError(
            f"{where}: {key!r} must have an integer 'id' and a string 'name', not {_show(value)}"
        )
    return str(ident), name


def _match_teams(events: list[_Event], home_team: str, away_team: str) -> tuple[_Team, _Team]:
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


# -------------------------------------------------------------------------- building
class _Builder:
    def __init__(self, game_id: str, home: _Team, away: _Team) -> None:
        self.game_id = game_id
        self.home = home
        self.away = away
        self.out: list[dict[str, Any]] = []
        self.started = False
        self.period_starts: set[int] = set()
        self.period_ends: dict[int, int] = {}  # period -> clock at its end
        self.used_against: set[str] = set()

    def build(
        self,
        events: list[_Event],
        *,
        league: str | None,
        season: str | None,
        start_time: str | None,
        venue: str | None,
    ) -> list[dict[str, Any]]:
        scheduled = self._native(
            f"{self.game_id}:scheduled",
            EventType.GAME_SCHEDULED,
            description=f"{self.home.name} v {self.away.name}",
        )
        scheduled["schedule"] = {
            "home_team_id": self.home.id,
            "away_team_id": self.away.id,
            "home_team_name": self.home.name,
            "away_team_name": self.away.name,
            "venue": venue,
            "start_time": start_time,
            "league": league,
            "season": season,
        }
        self.out.append(scheduled)
        against = [event for event in events if event.type == "Own Goal Against"]
        for event in events:
            self._convert(event, against)
        last_period = max((event.period for event in events), default=None)
        if self.started and last_period is not None and last_period in self.period_ends:
            self._emit(
                f"{self.game_id}:final",
                EventType.GAME_FINAL,
                period=last_period,
                clock=self.period_ends[last_period],
                description=f"Full time: {self.home.name} v {self.away.name}",
            )
        ids = [native["event_id"] for native in self.out]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise StatsBombFormatError(
                f"two converted events would share the id {_show(duplicate)}"
            )
        return self.out

    def _convert(self, event: _Event, against: list[_Event]) -> None:
        kind = event.type
        period_name = _SOCCER.period_name(event.period)
        if kind == "Half Start":
            if event.period not in self.period_starts:
                self.period_starts.add(event.period)
                self._play(
                    event, EventType.PERIOD_START, None, f"Start of {period_name}", player_id=None
                )
        elif kind == "Half End":
            if event.period not in self.period_ends:
                self.period_ends[event.period] = event.clock
                self._play(
                    event, EventType.PERIOD_END, None, f"End of {period_name}", player_id=None
                )
        elif kind == "Shot":
            self._shot(event)
        elif kind == "Own Goal For":
            self._own_goal(event, against)
        elif kind == "Foul Committed":
            self._play(
                event,
                EventType.FOUL,
                event.team,
                f"Foul: {event.who()}",
                player_id=event.player_id,
            )
            self._card(event, "foul_committed")
        elif kind == "Bad Behaviour":
            self._card(event, "bad_behaviour")
        elif kind == "Substitution":
            self._substitution(event)

    def _shot(self, event: _Event) -> None:
        shot = _object(event.raw, "shot", event.where)
        if shot is None:
            raise StatsBombFormatError(f"{event.where}: a Shot needs a 'shot' object")
        outcome = _name_of(shot, "outcome", f"{event.where} shot")
        if outcome != "Goal":
            return
        if event.period == _SHOOTOUT_PERIOD:
            kind, label = EventType.SHOOTOUT_GOAL, "Shoot-out goal"
        elif _name_of(shot, "type", f"{event.where} shot") == "Penalty":
            kind, label = EventType.PENALTY_GOAL, "Penalty goal"
        else:
            kind, label = EventType.GOAL, "Goal"
        self._play(event, kind, event.team, f"{label}: {event.who()}", player_id=event.player_id)

    def _own_goal(self, event: _Event, against: list[_Event]) -> None:
        conceding = self._other(event.team)
        related = event.raw.get("related_events")
        related_ids = (
            set(related)
            if isinstance(related, list) and all(isinstance(i, str) for i in related)
            else set()
        )
        candidates = [a for a in against if a.id not in self.used_against and a.team == conceding]
        pair = next((a for a in candidates if a.id in related_ids), None) or next(
            (a for a in candidates if (a.period, a.minute) == (event.period, event.minute)),
            None,
        )
        if pair is not None:
            self.used_against.add(pair.id)
        player = pair.player if pair else None
        description = (
            f"Own goal: {player.name} ({conceding.name})"
            if player
            else f"Own goal ({conceding.name})"
        )
        self._play(
            event,
            EventType.OWN_GOAL,
            conceding,
            description,
            player_id=player.id if player else None,
        )

    def _card(self, event: _Event, key: str) -> None:
        details = _object(event.raw, key, event.where)
        if details is None:
            return
        card = _name_of(details, "card", f"{event.where} {key}")
        if card is None:
            return
        if card not in _CARDS:
            known = ", ".join(repr(name) for name in _CARDS)
            raise StatsBombFormatError(
                f"{event.where}: unknown card {_show(card)} (StatsBomb cards are {known})"
            )
        kind, label = _CARDS[card]
        self._play(
            event,
            kind,
            event.team,
            f"{label}: {event.who()}",
            player_id=event.player_id,
            suffix=":card",
        )

    def _substitution(self, event: _Event) -> None:
        where = f"{event.where} substitution"
        details = _object(event.raw, "substitution", event.where)
        replacement = _id_and_name(details, "replacement", where) if details else None
        if replacement is None:
            raise StatsBombFormatError(
                f"{event.where}: a Substitution needs 'substitution.replacement' (id and name)"
            )
        off = event.player.name if event.player else "a player"
        self._play(
            event,
            EventType.SUBSTITUTION,
            event.team,
            f"{off} replaced by {replacement[1]}",
            player_id=event.player_id,
        )

    def _other(self, team: _Team) -> _Team:
        return self.away if team == self.home else self.home

    # ------------------------------------------------------------------ emitting
    def _play(
        self,
        event: _Event,
        kind: EventType,
        team: _Team | None,
        description: str,
        *,
        player_id: str | None,
        suffix: str = "",
    ) -> None:
        """Emit an in-play event built from ``event`` (GAME_STARTED first if not yet)."""
        if not self.started:
            self.started = True
            self._emit(
                f"{self.game_id}:started",
                EventType.GAME_STARTED,
                period=event.period,
                clock=event.clock,
                description=f"Kick-off: {self.home.name} v {self.away.name}",
            )
        self._emit(
            event.id + suffix,
            kind,
            team=team,
            player_id=player_id,
            period=event.period,
            clock=event.clock,
            description=description,
        )

    def _emit(
        self,
        event_id: str,
        kind: EventType,
        *,
        team: _Team | None = None,
        player_id: str | None = None,
        period: int | None = None,
        clock: int | None = None,
        description: str = "",
    ) -> None:
        native = self._native(event_id, kind, description=description)
        native.update(
            team_id=team.id if team else None,
            player_id=player_id,
            clock_seconds=clock,
            period=period,
        )
        self.out.append(native)

    def _native(self, event_id: str, kind: EventType, *, description: str) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "game_id": self.game_id,
            "sport": Sport.SOCCER.value,
            "sequence_number": len(self.out) + 1,
            "event_type": kind.value,
            "team_id": None,
            "player_id": None,
            "clock_seconds": None,
            "period": None,
            "description": description,
            "created_at": None,
            "references_event_id": None,
        }
