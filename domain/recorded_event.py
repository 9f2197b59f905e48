"""RecordedEvent: a GameEvent as the store holds it, with its game's version after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from domain.events import GameEvent


@dataclass(frozen=True)
class RecordedEvent:
    """A GameEvent as stored: its game's version after it, and when it was stored
    (``timestamp``, the stored event's; ``recorded_at`` is its ISO 8601 text, made on
    first use: formatting costs more than the rest of the build and few read it)."""

    version: int
    event: GameEvent
    timestamp: datetime
    received_at: float | None = None

    @cached_property
    def recorded_at(self) -> str:
        return self.timestamp.isoformat()


def recorded_event(domain_event: Any) -> RecordedEvent:
    """The RecordedEvent carried by a stored Game domain event (built without the
    frozen dataclass's ``__init__``, which sets each field by ``object.__setattr__``:
    every field is given, and RecordedEvent has no ``__post_init__``)."""
    recorded = object.__new__(RecordedEvent)
    object.__setattr__(
        recorded,
        "__dict__",
        {
            "version": domain_event.originator_version,
            "event": GameEvent.from_dict(domain_event.game_event),
            "timestamp": domain_event.timestamp,
            "received_at": getattr(domain_event, "received_at", None),
        },
    )
    return recorded
