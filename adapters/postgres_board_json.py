"""A board as a ``jsonb`` query parameter, its JSON text made once per board.

:func:`board_jsonb` gives psycopg the text of ``scoreboard_json`` (domain/
scoreboard_record.py), which inside ``records_shared`` is made once for every store
that saves the same board (game state, standings, player stats); outside it, once per
call. The text is what ``Jsonb(scoreboard_to_record(board))`` would send: psycopg's
own dumps is ``json.dumps`` too.
"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_json


def _as_is(text: object) -> str:
    assert isinstance(text, str)
    return text


def board_jsonb(board: Scoreboard) -> Jsonb:
    """The board's record as a jsonb parameter (its JSON shared inside records_shared)."""
    return Jsonb(scoreboard_json(board), dumps=_as_is)
