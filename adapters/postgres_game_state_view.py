"""The game-state read model in PostgreSQL, with its tracking position.

Guarantees (the GameStateView contract, as adapters/game_state_view.py):
- :meth:`PostgresGameStateView.save` writes the changed games and the tracking
  position in one transaction; a position not above the stored one raises
  IntegrityError and nothing of the batch is written, so a replayed batch is never
  applied twice, also when several processes write the same view.
- Reads see committed states only; :meth:`boards` reads a batch's games in one query.
  Unlike the in-process views, :meth:`state` and :meth:`states` read PostgreSQL
  (no memory mirror): several processes write and read this view, and the serving
  path reads Redis, not this table.
- :meth:`states` orders as the other views do: by start time (none first), then
  game id, in code-point order (``COLLATE "C"``), whatever the database's locale.
- A board is stored as text (adapters/postgres_board_column.py); one read back as
  this view last committed it is a copy, not a decoding.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, LiteralString

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Jsonb

from adapters.board_texts import board_text
from adapters.postgres_board_column import board_column_as_text, stored_board, written_texts
from adapters.postgres_schema import ensure_schema, postgres_datastore
from domain.scoreboard import Scoreboard


class PostgresGameStateView(PostgresTrackingRecorder):
    """Tables ``game_states`` (one row per game) and ``game_state_tracking``."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        states_table_name: str = "game_states",
        tracking_table_name: str = "game_state_tracking",
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name)
        self.check_identifier_length(states_table_name)
        self.states_table_name = states_table_name
        schema = Identifier(datastore.schema)
        table = Identifier(states_table_name)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                    " game_id text PRIMARY KEY,"
                    " status text NOT NULL,"
                    " version bigint NOT NULL,"
                    " start_time text,"
                    " public jsonb NOT NULL,"
                    " board text NOT NULL,"
                    " updated_at timestamptz NOT NULL DEFAULT now())"
                ).format(schema=schema, table=table),
                SQL(
                    "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table}"
                    ' (status, (coalesce(start_time, \'\')) COLLATE "C", game_id COLLATE "C")'
                ).format(
                    index=Identifier(f"{states_table_name}_status_idx"),
                    schema=schema,
                    table=table,
                ),
                board_column_as_text(datastore.schema, states_table_name),
            ]
        )
        self._written = written_texts()  # a board read back as written is copied, not decoded
        self._upsert = SQL(
            "INSERT INTO {schema}.{table} (game_id, status, version, start_time, public, board)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (game_id) DO UPDATE SET"
            " status = excluded.status, version = excluded.version,"
            " start_time = excluded.start_time, public = excluded.public,"
            " board = excluded.board, updated_at = now()"
        ).format(schema=schema, table=table)
        self._order = SQL(' ORDER BY coalesce(start_time, \'\') COLLATE "C", game_id COLLATE "C"')

    def _query(self, columns: LiteralString, where: LiteralString = "") -> Composed:
        return SQL("SELECT {columns} FROM {schema}.{table}{where}").format(
            columns=SQL(columns),
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.states_table_name),
            where=SQL(where),
        )

    def generation(self) -> int:
        """Which ``game_states`` table this is: its OID, which a rebuild's swap changes
        (projections/writer_boards.py)."""
        with self.datastore.transaction(commit=False) as c:
            return self._generation(c)

    def _generation(self, c: Cursor[DictRow]) -> int:
        name = f"{self.datastore.schema}.{self.states_table_name}"
        c.execute("SELECT to_regclass(%s)::oid AS oid", (name,), prepare=True)
        found = c.fetchone()
        return int(found["oid"]) if found and found["oid"] is not None else 0

    def save(
        self,
        boards: Mapping[str, Scoreboard],
        tracking: Tracking,
        *,
        generation: int | None = None,
    ) -> None:
        """Upsert the boards and record ``tracking``, atomically (IntegrityError if stale,
        or if ``generation`` is given and the table is no longer that one)."""
        texts = {game_id: board_text(board) for game_id, board in boards.items()}
        rows = [
            (
                game_id,
                board.status,
                board.version,
                board.start_time,
                Jsonb(board.public()),
                texts[game_id].text,
            )
            for game_id, board in boards.items()
        ]
        # Two round trips: BEGIN, the statements and (given a generation) its check go
        # in one pipeline; COMMIT in the second. An error in any (a stale position: a
        # unique violation) fails the transaction: nothing is written.
        with (
            self.datastore.get_connection() as conn,
            conn.pipeline(),
            conn.transaction(),
            conn.cursor() as c,
        ):
            # Tracking first: it locks the position row, so concurrent writers of
            # this view queue here, and a stale batch fails before writing anything.
            self._insert_tracking(c, tracking)
            if rows:
                c.executemany(self._upsert, rows)
            # Checked after the upsert, whose lock holds off a swap until COMMIT: the
            # table checked is the table written.
            if generation is not None and self._generation(c) != generation:
                raise IntegrityError(f"{self.states_table_name} was swapped (a rebuild)")
        for text in texts.values():
            self._written.wrote(text)

    def board(self, game_id: str) -> Scoreboard | None:
        row = self._one(self._query("board", " WHERE game_id = %s"), (game_id,))
        return stored_board(self._written, game_id, row["board"]) if row else None

    def boards(self, game_ids: Collection[str]) -> dict[str, Scoreboard]:
        """The boards of the games that have one, in one round trip."""
        if not game_ids:
            return {}
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._query("game_id, board", " WHERE game_id = ANY(%s)"), (list(game_ids),))
            rows = c.fetchall()
        return {r["game_id"]: stored_board(self._written, r["game_id"], r["board"]) for r in rows}

    def state(self, game_id: str) -> dict[str, Any] | None:
        row = self._one(self._query("public", " WHERE game_id = %s"), (game_id,))
        return dict(row["public"]) if row else None

    def states(self, status: str | None = None) -> list[dict[str, Any]]:
        params: tuple[str, ...] = () if status is None else (status,)
        where: LiteralString = "" if status is None else " WHERE status = %s"
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._query("public", where) + self._order, params)
            return [dict(row["public"]) for row in c.fetchall()]

    def game_ids(self) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._query("game_id") + SQL(' ORDER BY game_id COLLATE "C"'))
            return [row["game_id"] for row in c.fetchall()]

    def _one(self, query: Composed, params: tuple[Any, ...]) -> DictRow | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(query, params)
            return c.fetchone()


def open_postgres_game_state_view(
    database_url: str, *, schema: str | None = None, pre_ping: bool = True
) -> PostgresGameStateView:
    """The view in the database the URL names (``schema`` overrides the URL's); tables
    (and the schema) are created if missing. ``pre_ping``: see ``postgres_datastore``."""
    datastore = postgres_datastore(database_url, schema=schema, pre_ping=pre_ping)
    ensure_schema(datastore)
    view = PostgresGameStateView(datastore)
    view.create_table()
    return view


__all__ = ["IntegrityError", "PostgresGameStateView", "open_postgres_game_state_view"]
