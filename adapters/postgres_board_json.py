"""A board as a ``jsonb`` query parameter, its JSON text made from the game's last one.

:func:`board_jsonb` gives psycopg the text :func:`adapters.board_texts.board_text`
makes: only the plays new or changed since the game's last text are encoded (a live
game's board grows by a play an event, and a whole-board ``json.dumps`` per save cost
a third of the fleet projector's game-state follower at 600 events a game), and the
same board saved by several stores (game state, standings, player stats) gets the very
same text. It parses to what ``Jsonb(scoreboard_to_record(board))`` sends
(tests/unit/test_board_texts.py): PostgreSQL stores the same ``jsonb``.
"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from adapters.board_texts import board_text
from domain.scoreboard import Scoreboard


def _as_is(text: object) -> str:
    assert isinstance(text, str)
    return text


def board_jsonb(board: Scoreboard) -> Jsonb:
    """The board's record as a jsonb parameter (encoded from the game's last text)."""
    return Jsonb(board_text(board).text, dumps=_as_is)
