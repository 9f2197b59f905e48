"""The notifier's state (games, holds, outbox) in PostgreSQL, with its tracking position.

Guarantees (the NotifierStore contract of projections/notifier.py, as
adapters/notifier_store.py):
- :meth:`PostgresNotifierStore.save` writes games, outbox changes and the tracking
  position in one transaction; a stale position raises IntegrityError, a cancel of a
  notification already taken for release raises ReleasedMeanwhile; nothing is written
  then. The tracking row is written first, so concurrent writers queue on it.
- :meth:`due` raises the release clock (a one-row table) and reads the due
  notifications in one transaction; :meth:`save` reads that clock ``FOR SHARE`` before
  it checks its cancels, so the two are ordered: a save either commits before the
  release reads the outbox, or sees the release's clock and refuses to cancel what it
  may have read.
- Reads see committed data only.
- A board is stored as text (adapters/postgres_board_column.py); one read back as
  this store last committed it is a copy, not a decoding.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb

from adapters.board_texts import board_text
from adapters.notifier_store import cancel_refusal, notifier_game
from adapters.postgres_board_column import board_column_as_text, stored_board, written_texts
from adapters.postgres_schema import ensure_schema, postgres_datastore
from domain.held_notifications import Scheduled
from domain.push import PushNotification
from projections.notifier import NotifierGame, ReleasedMeanwhile


class PostgresNotifierStore(PostgresTrackingRecorder):
    """Tables ``notifier_games``, ``notifier_outbox``, ``notifier_release`` and
    ``notifier_tracking``."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        games_table_name: str = "notifier_games",
        outbox_table_name: str = "notifier_outbox",
        release_table_name: str = "notifier_release",
        tracking_table_name: str = "notifier_tracking",
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name)
        for name in (games_table_name, outbox_table_name, release_table_name):
            self.check_identifier_length(name)
        self.games_table_name = games_table_name
        self.outbox_table_name = outbox_table_name
        self.release_table_name = release_table_name
        self.table_names = (
            games_table_name,
            outbox_table_name,
            release_table_name,
            tracking_table_name,
        )
        names = {
            "schema": Identifier(datastore.schema),
            "games": Identifier(games_table_name),
            "outbox": Identifier(outbox_table_name),
            "release": Identifier(release_table_name),
            "due_index": Identifier(f"{outbox_table_name}_due"),
        }
        self.sql_create_statements.extend(
            SQL(statement).format(**names)
            for statement in (
                "CREATE TABLE IF NOT EXISTS {schema}.{games} ("
                " game_id text PRIMARY KEY,"
                " board text NOT NULL,"
                " hold jsonb NOT NULL,"
                " updated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE IF NOT EXISTS {schema}.{outbox} ("
                " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " id text NOT NULL UNIQUE,"
                " game_id text NOT NULL,"
                " due_at double precision NOT NULL,"
                " notification jsonb NOT NULL)",
                "CREATE INDEX IF NOT EXISTS {due_index} ON {schema}.{outbox} (due_at, seq)",
                "CREATE TABLE IF NOT EXISTS {schema}.{release} ("
                " id integer PRIMARY KEY CHECK (id = 1),"
                " watermark double precision NOT NULL)",
                "INSERT INTO {schema}.{release} (id, watermark) VALUES (1, 0)"
                " ON CONFLICT (id) DO NOTHING",
            )
        )
        self.sql_create_statements.append(board_column_as_text(datastore.schema, games_table_name))
        self._texts = written_texts()  # a board read back as written is copied, not decoded
        self._upsert_game = SQL(
            "INSERT INTO {schema}.{games} (game_id, board, hold) VALUES (%s, %s, %s)"
            " ON CONFLICT (game_id) DO UPDATE SET board = excluded.board,"
            " hold = excluded.hold, updated_at = now()"
        ).format(**names)
        self._upsert_outbox = SQL(
            "INSERT INTO {schema}.{outbox} (id, game_id, due_at, notification)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
            " due_at = excluded.due_at, notification = excluded.notification"
        ).format(**names)
        self._watermark_for_share = SQL(
            "SELECT watermark FROM {schema}.{release} WHERE id = 1 FOR SHARE"
        ).format(**names)
        self._due_of = SQL("SELECT id, due_at FROM {schema}.{outbox} WHERE id = ANY(%s)").format(
            **names
        )
        self._delete = SQL("DELETE FROM {schema}.{outbox} WHERE id = ANY(%s)").format(**names)
        self._select_games = SQL(
            "SELECT game_id, board, hold FROM {schema}.{games} WHERE game_id = ANY(%s)"
        ).format(**names)
        self._raise_watermark = SQL(
            "UPDATE {schema}.{release} SET watermark = GREATEST(watermark, %s) WHERE id = 1"
        ).format(**names)
        self._select_due = SQL(
            "SELECT notification FROM {schema}.{outbox} WHERE due_at <= %s"
            " ORDER BY due_at, seq LIMIT %s"
        ).format(**names)
        self._select_outbox = SQL(
            "SELECT notification, due_at FROM {schema}.{outbox} ORDER BY due_at, seq"
        ).format(**names)

    def save(
        self,
        games: Mapping[str, NotifierGame],
        scheduled: Sequence[Scheduled],
        cancelled: Collection[str],
        tracking: Tracking,
    ) -> None:
        """Upsert games, apply outbox changes and record ``tracking``, atomically."""
        texts = {game_id: board_text(g.board) for game_id, g in games.items()}
        game_rows = [
            (game_id, texts[game_id].text, Jsonb(g.hold.to_record()))
            for game_id, g in games.items()
        ]
        outbox_rows = [
            (s.notification.id, s.notification.game_id, s.due_at, Jsonb(s.notification.to_dict()))
            for s in scheduled
        ]
        with self.datastore.transaction(commit=True) as c:
            # Tracking first: it locks the position row, so concurrent writers of this
            # store queue here, and a stale batch fails before writing anything.
            self._insert_tracking(c, tracking)
            if cancelled:
                c.execute(self._watermark_for_share)
                row = c.fetchone()
                assert row is not None, "the release clock row is created with the tables"
                c.execute(self._due_of, (list(cancelled),))
                due_at = {r["id"]: float(r["due_at"]) for r in c.fetchall()}
                refused = cancel_refusal(cancelled, due_at, float(row["watermark"]))
                if refused is not None:
                    raise refused
                c.execute(self._delete, (list(cancelled),))
            if game_rows:
                c.executemany(self._upsert_game, game_rows)
            if outbox_rows:
                c.executemany(self._upsert_outbox, outbox_rows)
        for text in texts.values():
            self._texts.wrote(text)

    def games(self, game_ids: Collection[str]) -> dict[str, NotifierGame]:
        """The stored games among ``game_ids``, in one round trip."""
        if not game_ids:
            return {}
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_games, (list(game_ids),))
            rows = c.fetchall()
        return {
            row["game_id"]: notifier_game(
                stored_board(self._texts, row["game_id"], row["board"]), row["hold"]
            )
            for row in rows
        }

    def due(self, now: float, limit: int) -> list[PushNotification]:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._raise_watermark, (now,))
            c.execute(self._select_due, (now, limit))
            rows = c.fetchall()
        return [PushNotification.from_dict(row["notification"]) for row in rows]

    def mark_released(self, notification_ids: Collection[str]) -> None:
        if not notification_ids:
            return
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._delete, (list(notification_ids),))

    def outbox(self) -> list[Scheduled]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_outbox)
            rows = c.fetchall()
        return [
            Scheduled(PushNotification.from_dict(row["notification"]), float(row["due_at"]))
            for row in rows
        ]


def open_postgres_notifier_store(
    database_url: str, *, schema: str | None = None, pool_size: int | None = None
) -> PostgresNotifierStore:
    """The store in the database the URL names (``schema`` overrides the URL's); tables
    (and the schema) are created if missing."""
    datastore = postgres_datastore(database_url, schema=schema, pool_size=pool_size)
    ensure_schema(datastore)
    store = PostgresNotifierStore(datastore)
    store.create_table()
    return store


__all__ = [
    "IntegrityError",
    "PostgresNotifierStore",
    "ReleasedMeanwhile",
    "open_postgres_notifier_store",
]
