"""Scoreline's native provider format: JSON, one event or a list of them.

``parse`` turns raw bytes into GameEvents or raises NativeFormatError listing every
problem as a JSON pointer-ish path (``$[2].sequence_number``) and a reason, so a
provider can fix its payload. It never raises anything else, whatever the bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from domain.events import Correction, GameEvent, Schedule
from domain.player_stats import assisted_types
from domain.sports import REVISION_TYPES, EventType, Sport

# No white space of either regex dialect (Python checks it; the published JSON Schema is
# read with JavaScript's), and no final newline (Python's ``$`` would let one through).
Id = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\s\x1c-\x1f\x85\ufeff]+$(?!\n)"),
]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
# The players credited with assisting a score, in the provider's order (hockey has two).
Assists = Annotated[tuple[Id, ...], msgspec.Meta(max_length=10)]
# A player's name as the provider gives it (trimmed and not blank: checked in _check_name).
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class NativeSchedule(msgspec.Struct, forbid_unknown_fields=True):
    home_team_id: Id
    away_team_id: Id
    home_team_name: Text | None = None
    away_team_name: Text | None = None
    venue: Text | None = None
    start_time: Text | None = None
    league: Id | None = None
    season: Id | None = None


class NativeCorrection(msgspec.Struct, forbid_unknown_fields=True):
    event_type: EventType | None = None
    team_id: Id | None = None
    player_id: Id | None = None
    clock_seconds: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None
    period: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    description: Text | None = None
    assists: Assists | None = None
    player_name: Name | None = None


class NativeEvent(msgspec.Struct, forbid_unknown_fields=True):
    """One event in Scoreline's native provider format."""

    event_id: Id
    game_id: Id
    sport: Sport
    sequence_number: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    event_type: EventType
    team_id: Id | None = None
    player_id: Id | None = None
    clock_seconds: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None
    period: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    description: Text = ""
    created_at: Text | None = None
    references_event_id: Id | None = None
    schedule: NativeSchedule | None = None
    correction: NativeCorrection | None = None
    provider: Id | None = None
    assists: Assists = ()
    player_name: Name | None = None


@dataclass(frozen=True)
class Problem:
    pointer: str
    detail: str


class NativeFormatError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.pointer}: {p.detail}" for p in problems))
        self.problems = problems


_decoder = msgspec.json.Decoder(list[NativeEvent] | NativeEvent)
_AT = re.compile(r"^(?P<detail>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.S)


def parse(body: bytes, *, provider: str, max_events: int = 1000) -> list[GameEvent]:
    """Validate and normalise a delivery; ``provider`` is who sent it."""
    try:
        decoded = _decoder.decode(body)
    except msgspec.ValidationError as error:
        match = _AT.match(str(error))
        assert match is not None
        raise NativeFormatError([Problem(match["path"] or "$", match["detail"])]) from None
    except msgspec.DecodeError as error:
        raise NativeFormatError([Problem("$", str(error))]) from None
    items = decoded if isinstance(decoded, list) else [decoded]
    if not items:
        raise NativeFormatError([Problem("$", "no events in the delivery")])
    if len(items) > max_events:
        raise NativeFormatError(
            [Problem("$", f"{len(items)} events in one delivery; at most {max_events}")]
        )
    prefix = "$" if not isinstance(decoded, list) else None
    problems: list[Problem] = []
    events: list[GameEvent] = []
    for index, item in enumerate(items):
        where = prefix or f"$[{index}]"
        problems.extend(_check(item, where))
        events.append(_normalise(item, provider))
    if problems:
        raise NativeFormatError(problems)
    return events


def _check(item: NativeEvent, where: str) -> list[Problem]:
    problems: list[Problem] = []
    if item.event_type == EventType.GAME_SCHEDULED and item.schedule is None:
        problems.append(Problem(f"{where}.schedule", "GAME_SCHEDULED needs a schedule object"))
    if item.event_type != EventType.GAME_SCHEDULED and item.schedule is not None:
        problems.append(Problem(f"{where}.schedule", "only GAME_SCHEDULED carries a schedule"))
    if item.schedule and item.schedule.home_team_id == item.schedule.away_team_id:
        problems.append(Problem(f"{where}.schedule.away_team_id", "a team cannot play itself"))
    if item.event_type in REVISION_TYPES and item.references_event_id is None:
        problems.append(
            Problem(
                f"{where}.references_event_id",
                f"{item.event_type.value} must name the event it revises",
            )
        )
    if item.event_type not in REVISION_TYPES and item.references_event_id is not None:
        problems.append(
            Problem(f"{where}.references_event_id", "only revisions reference another event")
        )
    if item.event_type == EventType.EVENT_CORRECTED and item.correction is None:
        problems.append(Problem(f"{where}.correction", "EVENT_CORRECTED needs a correction"))
    if item.event_type != EventType.EVENT_CORRECTED and item.correction is not None:
        problems.append(Problem(f"{where}.correction", "only EVENT_CORRECTED carries one"))
    if item.references_event_id is not None and item.references_event_id == item.event_id:
        problems.append(Problem(f"{where}.references_event_id", "an event cannot revise itself"))
    if item.assists and item.event_type not in assisted_types(item.sport):
        problems.append(
            Problem(
                f"{where}.assists",
                f"a {item.event_type.value} credits no assists in {item.sport.value}",
            )
        )
    problems.extend(_check_assists(item.assists, item.player_id, f"{where}.assists"))
    if item.correction is not None and item.correction.assists:
        problems.extend(
            _check_assists(
                item.correction.assists, item.correction.player_id, f"{where}.correction.assists"
            )
        )
    if item.player_name is not None and item.player_id is None:
        problems.append(Problem(f"{where}.player_name", "a player_name needs a player_id"))
    problems.extend(_check_name(item.player_name, f"{where}.player_name"))
    if item.correction is not None:
        problems.extend(_check_name(item.correction.player_name, f"{where}.correction.player_name"))
    return problems


def _check_name(name: str | None, where: str) -> list[Problem]:
    if name is None or (name == name.strip() and name):
        return []
    return [Problem(where, "a name must not be blank nor begin or end with white space")]


def _check_assists(assists: tuple[str, ...], scorer: str | None, where: str) -> list[Problem]:
    problems: list[Problem] = []
    for index, player_id in enumerate(assists):
        if player_id == scorer:
            problems.append(Problem(f"{where}[{index}]", "a scorer cannot assist their own score"))
        elif player_id in assists[:index]:
            problems.append(Problem(f"{where}[{index}]", f"player {player_id!r} is listed twice"))
    return problems


def _normalise(item: NativeEvent, provider: str) -> GameEvent:
    schedule = msgspec.structs.asdict(item.schedule) if item.schedule else None
    correction = msgspec.structs.asdict(item.correction) if item.correction else None
    return GameEvent(
        event_id=item.event_id,
        game_id=item.game_id,
        sport=item.sport,
        sequence_number=item.sequence_number,
        event_type=item.event_type,
        provider=provider,
        team_id=item.team_id,
        player_id=item.player_id,
        clock_seconds=item.clock_seconds,
        period=item.period,
        description=item.description,
        created_at=item.created_at,
        references_event_id=item.references_event_id,
        schedule=Schedule(**schedule) if schedule else None,
        correction=Correction(**correction) if correction else None,
        assists=item.assists,
        player_name=item.player_name,
    )


def json_schema() -> dict[str, Any]:
    """JSON Schema of a delivery (one event or a list), for /openapi.json."""
    schema: dict[str, Any] = msgspec.json.schema(list[NativeEvent] | NativeEvent)
    return schema
