"""GameEvent: one thing that happened in a game, as a provider reported it.

GameEvents are the only truth Scoreline stores; everything else is derived from them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from domain.sports import REVISION_TYPES, EventType, Sport

# Enum lookup by value without the Enum call (a rebuild builds a million events).
_SPORTS = {sport.value: sport for sport in Sport}
_EVENT_TYPES = {kind.value: kind for kind in EventType}
# The keys of :meth:`GameEvent.to_dict` in its order, without and with assists and a name.
_PLAIN_KEYS = [
    "event_id",
    "game_id",
    "sport",
    "sequence_number",
    "event_type",
    "provider",
    "team_id",
    "player_id",
    "clock_seconds",
    "period",
    "description",
    "created_at",
    "references_event_id",
]
_PLAIN_LENGTH = len(_PLAIN_KEYS)
_PLAIN_KEYS_MORE = [
    [*_PLAIN_KEYS, "assists"],
    [*_PLAIN_KEYS, "player_name"],
    [*_PLAIN_KEYS, "assists", "player_name"],
]


@dataclass(frozen=True)
class Schedule:
    """What a GAME_SCHEDULED event says about the game."""

    home_team_id: str
    away_team_id: str
    home_team_name: str | None = None
    away_team_name: str | None = None
    venue: str | None = None
    start_time: str | None = None
    league: str | None = None
    season: str | None = None


@dataclass(frozen=True)
class Correction:
    """The replacement values an EVENT_CORRECTED gives the event it references.

    A field left ``None`` keeps the referenced event's value. ``assists`` given (even
    empty) replaces the event's assists: providers add and remove assists after the play
    (NBA live edits its actions), so a correction may clear them; any sequence of player
    ids normalises to a tuple. ``player_name`` given names the (corrected) player; a
    correction that gives a ``player_id`` without a ``player_name`` clears the name (the
    name belongs to the player it was given with: domain/scoreboard.py).
    """

    event_type: EventType | None = None
    team_id: str | None = None
    player_id: str | None = None
    clock_seconds: int | None = None
    period: int | None = None
    description: str | None = None
    assists: tuple[str, ...] | None = None
    player_name: str | None = None

    def __post_init__(self) -> None:
        if self.assists is not None and not isinstance(self.assists, tuple):
            object.__setattr__(self, "assists", tuple(self.assists))  # a JSON list, say


@dataclass(frozen=True)
class GameEvent:
    """A provider's event, normalised.

    ``event_id`` is unique per provider feed of a game; ``sequence_number`` orders a
    game's events (1, 2, 3, ...). ``clock_seconds`` is the game clock as the sport
    shows it: elapsed match time for soccer, time left in the period otherwise.
    ``created_at`` is when the provider says the event happened (ISO 8601).
    ``assists`` are the ids of the players the provider credits with assisting a scoring
    event, in the provider's order (``()``: none reported; only scoring events carry any).
    ``player_name`` is the provider's name of ``player_id`` (``None``: not given; only
    with a ``player_id``).

    Content and fingerprints: ``to_dict`` writes ``assists`` only when there are some (and
    a correction's ``assists`` only when it gives them), so an event without assists has
    the dict and fingerprint it had before the field existed, and events stored before
    load with ``()``. Assists are content: a redelivery of an ``event_id`` with the same
    assists dedupes, with other assists it is a conflict (send an EVENT_CORRECTED).
    ``player_name`` likewise: written (last) only when not ``None``, and a correction's
    only when it gives one, so an event without a name keeps its dict and fingerprint;
    a name is content (another name on a redelivery is a conflict).
    """

    event_id: str
    game_id: str
    sport: Sport
    sequence_number: int
    event_type: EventType
    provider: str = ""
    team_id: str | None = None
    player_id: str | None = None
    clock_seconds: int | None = None
    period: int | None = None
    description: str = ""
    created_at: str | None = None
    references_event_id: str | None = None
    schedule: Schedule | None = None
    correction: Correction | None = None
    assists: tuple[str, ...] = ()
    player_name: str | None = None

    @property
    def is_revision(self) -> bool:
        return self.event_type in REVISION_TYPES

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; ``schedule``/``correction``/``assists``/``player_name``
        only when present.

        Each call returns a new dict (the caller may change it); it is built once per
        instance (the event is immutable) and copied, because recording, folding and
        projecting one event each ask for it.
        """
        data: dict[str, Any] | None = self.__dict__.get("_plain_dict")
        if data is None:
            data = {
                "event_id": self.event_id,
                "game_id": self.game_id,
                "sport": self.sport._value_,  # (._value_: .value is a Python descriptor)
                "sequence_number": self.sequence_number,
                "event_type": self.event_type._value_,
                "provider": self.provider,
                "team_id": self.team_id,
                "player_id": self.player_id,
                "clock_seconds": self.clock_seconds,
                "period": self.period,
                "description": self.description,
                "created_at": self.created_at,
                "references_event_id": self.references_event_id,
            }
            if self.schedule is not None:
                data["schedule"] = dict(self.schedule.__dict__)
            if self.correction is not None:
                data["correction"] = _correction_dict(self.correction)
            if self.assists:
                data["assists"] = list(self.assists)
            if self.player_name is not None:
                data["player_name"] = self.player_name
            self.__dict__["_plain_dict"] = data  # a cache, not a field: frozen stays frozen
        copied = dict(data)
        if len(copied) == len(_PLAIN_KEYS):  # the plain keys alone: nothing nested to copy
            return copied
        for nested in ("schedule", "correction"):
            if nested in copied:
                copied[nested] = dict(copied[nested])
        if "assists" in copied:
            copied["assists"] = list(copied["assists"])
        if "assists" in copied.get("correction", ()):
            copied["correction"]["assists"] = list(copied["correction"]["assists"])
        return copied

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GameEvent:
        """Inverse of :meth:`to_dict` (trusted input: validation lives in ingestion).

        Built without the dataclass ``__init__`` (it sets each field through
        ``object.__setattr__``; GameEvent has no ``__post_init__``): every field is
        given here. When ``data`` is exactly what :meth:`to_dict` gives for the event
        built (its keys in that order, values that the normalisation below leaves
        as they are: a str provider and description, an int sequence number, no
        schedule or correction, assists absent or a non-empty list, player_name absent
        or a str), the fields are
        a copy of it (sport, type and assists converted) and another copy is kept
        as the :meth:`to_dict` cache, so the event's dict is not built again.
        """
        keys = list(data)
        assists = data.get("assists")
        if keys == _PLAIN_KEYS or (
            keys in _PLAIN_KEYS_MORE
            and ((type(assists) is list and assists) or "assists" not in data)
            and type(data.get("player_name", "")) is str
        ):
            sport = _SPORTS.get(data["sport"])
            kind = _EVENT_TYPES.get(data["event_type"])
            if (
                sport is not None
                and kind is not None
                and type(data["sequence_number"]) is int
                and type(data["provider"]) is str
                and type(data["description"]) is str
            ):  # what to_dict gives: its values are the fields' but for three
                state = dict(data)
                state["sport"], state["event_type"] = sport, kind
                plain = dict(data)
                if len(keys) == _PLAIN_LENGTH:  # (the common case: neither assists nor name)
                    state["schedule"] = state["correction"] = state["player_name"] = None
                    state["assists"] = ()
                else:
                    state["schedule"] = state["correction"] = None
                    state.setdefault("player_name", None)
                    if assists:
                        state["assists"] = tuple(assists)
                        plain["assists"] = list(assists)
                    else:
                        state["assists"] = ()
                state["_plain_dict"] = plain
                event = object.__new__(cls)
                object.__setattr__(event, "__dict__", state)
                return event
        schedule = data.get("schedule")
        correction = data.get("correction")
        state = {
            "event_id": data["event_id"],
            "game_id": data["game_id"],
            "sport": _SPORTS.get(data["sport"]) or Sport(data["sport"]),
            "sequence_number": int(data["sequence_number"]),
            "event_type": _EVENT_TYPES.get(data["event_type"]) or EventType(data["event_type"]),
            "provider": data.get("provider") or "",
            "team_id": data.get("team_id"),
            "player_id": data.get("player_id"),
            "clock_seconds": data.get("clock_seconds"),
            "period": data.get("period"),
            "description": data.get("description") or "",
            "created_at": data.get("created_at"),
            "references_event_id": data.get("references_event_id"),
            "schedule": Schedule(**schedule) if schedule else None,
            "correction": _correction(correction) if correction else None,
            "assists": tuple(assists) if assists else (),
            "player_name": data.get("player_name"),
        }
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event

    def fingerprint(self) -> str:
        """Digest of the content a provider controls.

        Two deliveries of one ``event_id`` are the same event exactly when their
        fingerprints are equal. The receiving provider's name and the ingestion time
        are not content.
        """
        known: str | None = self.__dict__.get("_fingerprint")
        if known is None:
            content = self.to_dict()
            content.pop("provider", None)
            encoded = json.dumps(content, sort_keys=True, separators=(",", ":"))
            known = hashlib.sha256(encoded.encode()).hexdigest()[:32]
            self.__dict__["_fingerprint"] = known  # computed once per (immutable) event
        return known


def _plain(value: Any) -> Any:
    if isinstance(value, (Sport, EventType)):
        return value.value
    return value


def _correction_dict(correction: Correction) -> dict[str, Any]:
    data = {
        k: _plain(v)
        for k, v in correction.__dict__.items()
        if k != "assists" and k != "player_name"
    }
    if correction.assists is not None:
        data["assists"] = list(correction.assists)
    if correction.player_name is not None:
        data["player_name"] = correction.player_name
    return data


def _correction(data: dict[str, Any]) -> Correction:
    values = dict(data)
    if values.get("event_type") is not None:
        values["event_type"] = EventType(values["event_type"])
    return Correction(**values)


@dataclass(frozen=True)
class Verdict:
    """What recording decided about one delivered event."""

    event_id: str
    game_id: str
    outcome: str  # "recorded" | "duplicate" | "conflict" | "rejected" | "pending"
    reason: str = ""
    version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
