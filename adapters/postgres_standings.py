"""The standings read model in PostgreSQL, with its tracking position.

Guarantees (the StandingsStore contract of projections/standings.py, as
adapters/standings_store.py):
- :meth:`PostgresStandingsStore.save` writes the games (board and counted result), the
  changed tables and the tracking position in one transaction; a position not above the
  stored one raises IntegrityError and nothing of the batch is written, so a replayed
  batch is never counted twice, also when several processes write the same store (the
  tracking row is written first, so concurrent writers queue on it).
- Reads see committed data only; :meth:`PostgresStandingsStore.games` reads a batch's
  games in one query (unknown ids absent). Unlike the in-process stores,
  :meth:`standings` reads PostgreSQL (no memory mirror): the projector writes it,
  gateways read it.
- A board is stored as text (adapters/postgres_board_column.py); one read back as
  this store last committed it is a copy, not a decoding.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Jsonb

from adapters.board_texts import board_text
from adapters.postgres_board_column import board_column_as_text, stored_board, written_texts
from adapters.postgres_schema import ensure_schema, postgres_datastore
from adapters.standings_store import standings_game
from domain.standings import Table
from projections.standings import StandingsGame


class PostgresStandingsStore(PostgresTrackingRecorder):
    """Tables ``standings_games``, ``standings_tables`` and ``standings_tracking``."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        games_table_name: str = "standings_games",
        tables_table_name: str = "standings_tables",
        tracking_table_name: str = "standings_tracking",
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name)
        self.check_identifier_length(games_table_name)
        self.check_identifier_length(tables_table_name)
        self.games_table_name = games_table_name
        self.tables_table_name = tables_table_name
        schema = Identifier(datastore.schema)
        games = Identifier(games_table_name)
        tables = Identifier(tables_table_name)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{games} ("
                    " game_id text PRIMARY KEY,"
                    " league text,"
                    " season text,"
                    " status text NOT NULL,"
                    " counted jsonb,"
                    " board text NOT NULL,"
                    " updated_at timestamptz NOT NULL DEFAULT now())"
                ).format(schema=schema, games=games),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{tables} ("
                    " league text NOT NULL,"
                    " season text NOT NULL,"
                    " sport text NOT NULL,"
                    " version bigint NOT NULL,"
                    " record jsonb NOT NULL,"
                    " public jsonb NOT NULL,"
                    " updated_at timestamptz NOT NULL DEFAULT now(),"
                    " PRIMARY KEY (league, season))"
                ).format(schema=schema, tables=tables),
                board_column_as_text(datastore.schema, games_table_name),
            ]
        )
        self._texts = written_texts()  # a board read back as written is copied, not decoded
        self._upsert_game = SQL(
            "INSERT INTO {schema}.{games} (game_id, league, season, status, counted, board)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (game_id) DO UPDATE SET"
            " league = excluded.league, season = excluded.season, status = excluded.status,"
            " counted = excluded.counted, board = excluded.board, updated_at = now()"
        ).format(schema=schema, games=games)
        self._upsert_table = SQL(
            "INSERT INTO {schema}.{tables} (league, season, sport, version, record, public)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (league, season) DO UPDATE SET"
            " sport = excluded.sport, version = excluded.version, record = excluded.record,"
            " public = excluded.public, updated_at = now()"
        ).format(schema=schema, tables=tables)
        self._select_game = SQL(
            "SELECT board, counted FROM {schema}.{games} WHERE game_id = %s"
        ).format(schema=schema, games=games)
        self._select_games = SQL(
            "SELECT game_id, board, counted FROM {schema}.{games} WHERE game_id = ANY(%s)"
        ).format(schema=schema, games=games)
        self._select_table = SQL(
            "SELECT record, public FROM {schema}.{tables} WHERE league = %s AND season = %s"
        ).format(schema=schema, tables=tables)

    def save(
        self, games: Mapping[str, StandingsGame], tables: Sequence[Table], tracking: Tracking
    ) -> None:
        """Upsert games and tables and record ``tracking``, atomically (IntegrityError
        if the position is stale)."""
        texts = {game_id: board_text(g.board) for game_id, g in games.items()}
        game_rows = [
            (
                game_id,
                g.board.schedule.league,
                g.board.schedule.season,
                g.board.status,
                Jsonb(g.counted.to_record()) if g.counted else None,
                texts[game_id].text,
            )
            for game_id, g in games.items()
        ]
        table_rows = [
            (t.league, t.season, t.sport.value, t.version, Jsonb(t.to_record()), Jsonb(t.public()))
            for t in tables
        ]
        with self.datastore.transaction(commit=True) as c:
            # Tracking first: it locks the position row, so concurrent writers of
            # this store queue here, and a stale batch fails before writing anything.
            self._insert_tracking(c, tracking)
            if game_rows:
                c.executemany(self._upsert_game, game_rows)
            if table_rows:
                c.executemany(self._upsert_table, table_rows)
        for text in texts.values():
            self._texts.wrote(text)

    def game(self, game_id: str) -> StandingsGame | None:
        row = self._one(self._select_game, (game_id,))
        return self._game(game_id, row) if row else None

    def games(self, game_ids: Collection[str]) -> dict[str, StandingsGame]:
        """The stored games among ``game_ids``, in one round trip."""
        if not game_ids:
            return {}
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_games, (list(game_ids),))
            rows = c.fetchall()
        return {row["game_id"]: self._game(row["game_id"], row) for row in rows}

    def _game(self, game_id: str, row: DictRow) -> StandingsGame:
        return standings_game(stored_board(self._texts, game_id, row["board"]), row["counted"])

    def table(self, league: str, season: str) -> Table | None:
        row = self._one(self._select_table, (league, season))
        return Table.from_record(row["record"]) if row else None

    def standings(self, league: str, season: str) -> dict[str, Any] | None:
        row = self._one(self._select_table, (league, season))
        return dict(row["public"]) if row else None

    def _one(self, query: Composed, params: tuple[Any, ...]) -> DictRow | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(query, params)
            return c.fetchone()


def open_postgres_standings(
    database_url: str, *, schema: str | None = None
) -> PostgresStandingsStore:
    """The store in the database the URL names (``schema`` overrides the URL's); tables
    (and the schema) are created if missing."""
    datastore = postgres_datastore(database_url, schema=schema)
    ensure_schema(datastore)
    store = PostgresStandingsStore(datastore)
    store.create_table()
    return store


__all__ = ["IntegrityError", "PostgresStandingsStore", "open_postgres_standings"]
