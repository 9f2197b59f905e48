"""A Scoreboard as plain JSON-ready data, and back: how read models persist it.

Several read models store the same board (game state, standings, player stats); when
they are folded together (projections/board_fold.py) they save the very same board
objects, one after another, and nothing changes those boards meanwhile. Inside
:func:`records_shared`, :func:`scoreboard_to_record` and :func:`scoreboard_json` make
each board's record (and its JSON) once and give every caller the same one.

Guarantees: :func:`scoreboard_to_record` and :func:`scoreboard_json` return what they
would return outside :func:`records_shared` provided no board is changed while inside
(what the caller of :func:`records_shared` promises) and no caller changes a record it
is given (none does: stores serialise or copy them).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from domain.events import Correction, Schedule
from domain.scoreboard import Play, Scoreboard
from domain.sports import EventType, Sport

_VALUES = {kind: kind.value for kind in EventType}  # (cheaper than .value per play)


_Shared = dict[int, tuple[Scoreboard, dict[str, Any], list[str]]]  # id -> board, record, JSON
_SHARED: ContextVar[_Shared | None] = ContextVar("shared_board_records", default=None)


@contextlib.contextmanager
def records_shared() -> Iterator[None]:
    """Make each board's record once while inside (boards must not change meanwhile)."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def scoreboard_to_record(board: Scoreboard) -> dict[str, Any]:
    """The board as plain JSON-ready data (a new dict, or inside :func:`records_shared`
    the one made for this board there)."""
    return _shared(board)[1]


def scoreboard_json(board: Scoreboard) -> str:
    """``json.dumps(scoreboard_to_record(board))``, made once inside :func:`records_shared`."""
    found = _shared(board)
    if not found[2]:
        found[2].append(json.dumps(found[1]))
    return found[2][0]


def _shared(board: Scoreboard) -> tuple[Scoreboard, dict[str, Any], list[str]]:
    shared = _SHARED.get()
    if shared is None:
        return (board, _record(board), [])
    found = shared.get(id(board))
    if found is None or found[0] is not board:
        found = shared[id(board)] = (board, _record(board), [])
    return found


def _record(board: Scoreboard) -> dict[str, Any]:
    data = {k: v for k, v in board.__dict__.items() if k not in ("plays", "schedule", "sport")}
    data["sport"] = board.sport.value
    data["schedule"] = dict(board.schedule.__dict__)
    values = _VALUES
    data["plays"] = {
        event_id: [
            p.sequence_number,
            values[p.event_type],
            p.team_id,
            p.player_id,
            [[seq, _correction_record(c)] for seq, c in p.corrections] if p.corrections else [],
            p.retracted_at,
            # (absent: the record from before assists and names)
            *(_extra(p) if p.assists or p.player_name is not None else ()),
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
            tuple(extra[0]) if extra else (),
            extra[1] if len(extra) > 1 else None,
        )
        for event_id, (seq, kind, team, player, corrections, retracted_at, *extra) in data[
            "plays"
        ].items()
    }
    return Scoreboard(**values)


def _extra(p: Play) -> tuple[Any, ...]:
    """A play's record after its retraction: ``[assists]`` or ``[assists, name]``."""
    if p.player_name is None:
        return (list(p.assists),)
    return (list(p.assists), p.player_name)


def _correction_record(c: Correction) -> dict[str, Any]:
    data = dict(c.__dict__)
    if c.player_name is None:
        del data["player_name"]  # (absent: the record from before names)
    if c.event_type is not None:
        data["event_type"] = c.event_type.value
    return data


def _correction_from_record(data: dict[str, Any]) -> Correction:
    values = dict(data)
    if values.get("event_type") is not None:
        values["event_type"] = EventType(values["event_type"])
    return Correction(**values)
