"""One game's hold window: the notifications held and released so far, by the event id
they are about, and its serialisable record (the notifier store keeps one per game).
domain/held_notifications.py decides how every event changes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.events import GameEvent
from domain.push import PushNotification

Shown = tuple[str, str, str]
"""What devices were told of an event: (notification kind, event type, team id)."""


@dataclass(frozen=True)
class Held:
    """A held notification, the event it renders (as corrected so far) and when it is due."""

    notification: PushNotification
    event: GameEvent
    recorded_at: float
    due_at: float


@dataclass(frozen=True)
class Released:
    """A notification whose hold has passed: ``shown`` is what devices were told of its
    event (None once withdrawn); ``corrections`` how many corrections of it were sent."""

    notification: PushNotification
    event: GameEvent
    recorded_at: float
    shown: Shown | None
    corrections: int = 0


@dataclass(frozen=True)
class GameHold:
    """One game's held and released notifications, by the event id they are about."""

    pending: Mapping[str, Held] = field(default_factory=dict)
    released: Mapping[str, Released] = field(default_factory=dict)

    def settled(self, now: float) -> GameHold:
        """The hold with every notification due by ``now`` moved to released."""
        due = [event_id for event_id, held in self.pending.items() if held.due_at <= now]
        if not due:
            return self
        pending, released = dict(self.pending), dict(self.released)
        for event_id in due:
            held = pending.pop(event_id)
            released[event_id] = Released(
                held.notification,
                held.event,
                held.recorded_at,
                shown_by(held.notification, held.event),
            )
        return GameHold(pending, released)

    def to_record(self) -> dict[str, Any]:
        """The hold as JSON-ready data: :meth:`from_record` gives an equal hold back."""
        return {
            "pending": {event_id: held_record(h) for event_id, h in self.pending.items()},
            "released": {event_id: released_record(r) for event_id, r in self.released.items()},
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> GameHold:
        """The hold :meth:`to_record` gave (missing sections: empty)."""
        pending = {
            event_id: Held(
                PushNotification.from_dict(h["notification"]),
                GameEvent.from_dict(h["event"]),
                float(h["recorded_at"]),
                float(h["due_at"]),
            )
            for event_id, h in data.get("pending", {}).items()
        }
        released = {
            event_id: Released(
                PushNotification.from_dict(r["notification"]),
                GameEvent.from_dict(r["event"]),
                float(r["recorded_at"]),
                shown_from(r.get("shown")),
                int(r.get("corrections", 0)),
            )
            for event_id, r in data.get("released", {}).items()
        }
        return cls(pending, released)


def held_record(h: Held) -> dict[str, Any]:
    """One entry of :meth:`GameHold.to_record`'s ``pending``."""
    return {
        "notification": h.notification.to_dict(),
        "event": h.event.to_dict(),
        "recorded_at": h.recorded_at,
        "due_at": h.due_at,
    }


def released_record(r: Released) -> dict[str, Any]:
    """One entry of :meth:`GameHold.to_record`'s ``released``."""
    return {
        "notification": r.notification.to_dict(),
        "event": r.event.to_dict(),
        "recorded_at": r.recorded_at,
        "shown": list(r.shown) if r.shown is not None else None,
        "corrections": r.corrections,
    }


def shown_by(notification: PushNotification, event: GameEvent) -> Shown:
    """What ``notification`` tells devices of ``event``."""
    return (notification.kind.value, event.event_type.value, event.team_id or "")


def shown_from(data: Any) -> Shown | None:
    """:data:`Shown` as :meth:`GameHold.to_record` stored it."""
    if data is None:
        return None
    kind, event_type, team_id = data
    return (str(kind), str(event_type), str(team_id))
