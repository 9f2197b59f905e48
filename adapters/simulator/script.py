"""A game's script: its timeline scaled into demo time, as native event JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters.simulator.timeline import Entry
from domain.sports import EventType, Sport


@dataclass(frozen=True)
class ScriptedEvent:
    """One event of a scripted game and when to send it.

    ``at`` is seconds after the game's kickoff in *demo* time (the script starts at
    0 with GAME_SCHEDULED); ``event`` is the native event JSON to deliver.
    """

    at: float
    event: dict[str, Any]


def write_script(
    sport: Sport,
    game_id: str,
    entries: list[Entry],
    duration: float,
    kickoff: datetime | None,
    names: Mapping[str, str] | None = None,
) -> list[ScriptedEvent]:
    """Order the timeline, scale it into demo time and write native event JSON; an
    event's player gets their ``player_name`` from ``names`` (player id -> name)."""
    names = names or {}
    entries = sorted(entries, key=lambda e: (e.t, e.order))
    final = entries[-1]
    assert final.event_type == EventType.GAME_FINAL and final.t > 0
    scale = duration / final.t
    for number, entry in enumerate(entries, start=1):
        entry.event_id = f"{game_id}-{number}"
    ats = [duration if e is final else min(duration, round(e.t * scale, 3)) for e in entries]

    def stamp(at: float) -> str | None:
        return (kickoff + timedelta(seconds=at)).isoformat() if kickoff else None

    started = next(
        at for at, e in zip(ats, entries, strict=True) if e.event_type == EventType.GAME_STARTED
    )
    script: list[ScriptedEvent] = []
    for number, (at, entry) in enumerate(zip(ats, entries, strict=True), start=1):
        event: dict[str, Any] = {
            "event_id": entry.event_id,
            "game_id": game_id,
            "sport": sport.value,
            "sequence_number": number,
            "event_type": entry.event_type.value,
            "team_id": entry.team_id,
            "player_id": entry.player_id,
            "clock_seconds": entry.clock,
            "period": entry.period,
            "description": entry.description,
            "created_at": stamp(at),
            "references_event_id": entry.target.event_id if entry.target else None,
        }
        name = names.get(entry.player_id) if entry.player_id is not None else None
        if name is not None:
            event["player_name"] = name
        if entry.schedule is not None:
            event["schedule"] = {**entry.schedule, "start_time": stamp(started)}
        script.append(ScriptedEvent(at=at, event=event))
    return script
