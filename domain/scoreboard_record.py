"""A Scoreboard as plain JSON-ready data, and back: how read models persist it."""

from __future__ import annotations

from typing import Any

from domain.events import Correction, Schedule
from domain.scoreboard import Play, Scoreboard
from domain.sports import EventType, Sport


def scoreboard_to_record(board: Scoreboard) -> dict[str, Any]:
    data = {k: v for k, v in board.__dict__.items() if k not in ("plays", "schedule", "sport")}
    data["sport"] = board.sport.value
    data["schedule"] = dict(board.schedule.__dict__)
    data["plays"] = {
        event_id: [
            p.sequence_number,
            p.event_type.value,
            p.team_id,
            p.player_id,
            [[seq, _correction_record(c)] for seq, c in p.corrections],
            p.retracted_at,
        ]
        for event_id, p in board.plays.items()
    }
    return data


def scoreboard_from_record(data: dict[str, Any]) -> Scoreboard:
    values = dict(data)
    values["sport"] = Sport(values["sport"])
    values["schedule"] = Schedule(**values["schedule"])
    values["plays"] = {
        event_id: Play(
            seq,
            EventType(kind),
            team,
            player,
            tuple((cseq, _correction_from_record(c)) for cseq, c in corrections),
            retracted_at,
        )
        for event_id, (seq, kind, team, player, corrections, retracted_at) in data["plays"].items()
    }
    return Scoreboard(**values)


def _correction_record(c: Correction) -> dict[str, Any]:
    data = dict(c.__dict__)
    if c.event_type is not None:
        data["event_type"] = c.event_type.value
    return data


def _correction_from_record(data: dict[str, Any]) -> Correction:
    values = dict(data)
    if values.get("event_type") is not None:
        values["event_type"] = EventType(values["event_type"])
    return Correction(**values)
