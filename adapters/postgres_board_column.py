"""A board's column in the PostgreSQL read models: its JSON as ``text``, not ``jsonb``.

A live game's board grows by a play an event, and every read model that keeps one
(game states, standings, player stats, the notifier) saves it whole each batch: at a
live pace, each event. Nothing queries inside a board (the service reads it back
whole), so it is stored as the text :func:`adapters.board_texts.board_text` makes, as
SQLite stores it. As ``jsonb``, PostgreSQL parsed all of it again on every save, a cost
growing with the game (``bench.board_save``: the server's CPU per save of the game
state rose ~2.4x over a 600-event game as ``jsonb``, ~1.3x as ``text``). The read models'
connections compress such values with lz4 where the server has it
(adapters/postgres_schema.py).

Guarantees:
- A store writes ``board_text(board).text`` (it parses to
  ``scoreboard_to_record(board)``: tests/unit/test_board_texts.py) and tells its
  ``WrittenTexts`` once the transaction committed.
- :func:`stored_board` reads a board column back, as text (decoded by the store's
  ``WrittenTexts``, :func:`written_texts`: a board read back as written is a copy, not
  a decoding; the last ``KEPT`` games written are remembered) or, in a
  table not yet upgraded, as ``jsonb`` (psycopg gives its record).
- :func:`board_column_as_text` is the upgrade of an older table whose board column is
  ``jsonb``: it rewrites that column as its text, once (the table is locked while it
  does); on a table already upgraded it does nothing and takes no lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg.sql import SQL, Composed, Identifier, Literal

from adapters.board_texts import WrittenTexts
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_from_record

KEPT = 2_000  # games whose last written board a store remembers: a busy day's live ones


def written_texts() -> WrittenTexts:
    """What a PostgreSQL store remembers of the boards it wrote (at most ``KEPT``)."""
    return WrittenTexts(KEPT)


def stored_board(texts: WrittenTexts, game_id: str, value: str | Mapping[str, Any]) -> Scoreboard:
    """A fresh board from its column's value: text, or a not yet upgraded jsonb's record."""
    if isinstance(value, str):
        return texts.decode(game_id, value)
    return scoreboard_from_record(dict(value))


def board_column_as_text(schema: str, table: str) -> Composed:
    """The statement that makes ``schema.table``'s ``board`` column text if it is jsonb."""
    return SQL(
        "DO $$ BEGIN IF EXISTS (SELECT FROM information_schema.columns"
        " WHERE table_schema = {schema_name} AND table_name = {table_name}"
        " AND column_name = 'board' AND data_type = 'jsonb') THEN"
        " ALTER TABLE {schema}.{table} ALTER COLUMN board TYPE text USING board::text;"
        " END IF; END $$"
    ).format(
        schema_name=Literal(schema),
        table_name=Literal(table),
        schema=Identifier(schema),
        table=Identifier(table),
    )
