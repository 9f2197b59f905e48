"""Storage for the notifier (games, holds, outbox) with its tracking position: memory
and SQLite.

Guarantees (both implementations; the NotifierStore contract of projections/notifier.py):
- :meth:`save` writes games, outbox changes and the tracking position in one
  transaction; a stale position raises IntegrityError and a cancel of a notification
  already taken for release raises ReleasedMeanwhile, and then nothing is written.
- :meth:`due` records its clock as the release clock and reads the due notifications
  in the same (write) transaction, so a save that checks cancels against that clock
  is ordered before or after it, never in between (SQLite serialises writers; the
  memory store holds one lock).
- Reads return what is stored: fresh boards, and holds (immutable) equal to the
  stored ones decoded; the SQLite store hands out the hold it last wrote or read when
  the row's text is that hold's (adapters/notifier_rows.py).
- The SQLite store lives in a file of its own (eventsourcing's SQLite tracking table is
  named ``tracking`` in every file).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from adapters.board_texts import board_text
from adapters.notifier_rows import WrittenGames
from adapters.sqlite_connection import rows_in
from domain.held_notifications import GameHold, Scheduled
from domain.push import PushNotification
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_from_record, scoreboard_to_record
from projections.notifier import NotifierGame, ReleasedMeanwhile


def notifier_game_record(game: NotifierGame) -> dict[str, Any]:
    """A stored game as JSON-ready data (the board and the hold)."""
    return {"board": scoreboard_to_record(game.board), "hold": game.hold.to_record()}


def notifier_game(board: Scoreboard, hold: Mapping[str, Any] | None) -> NotifierGame:
    """A stored game from its board and its hold's record (None or empty: nothing held)."""
    return NotifierGame(board, GameHold.from_record(hold or {}))


def notifier_game_from_record(data: Mapping[str, Any]) -> NotifierGame:
    return notifier_game(scoreboard_from_record(data["board"]), data.get("hold"))


def cancel_refusal(
    cancelled: Collection[str], due_at: Mapping[str, float], watermark: float
) -> ReleasedMeanwhile | None:
    """The refusal of cancelling ``cancelled`` given the outbox's due times (of those
    still there) and the release clock; None if every one may be cancelled."""
    taken = [i for i in cancelled if i not in due_at or due_at[i] <= watermark]
    return ReleasedMeanwhile(watermark, taken) if taken else None


class MemoryNotifierStore(POPOTrackingRecorder):
    """The notifier's state in this process only (tests, ``build_in_memory``)."""

    def __init__(self) -> None:
        super().__init__()
        self._games: dict[str, dict[str, Any]] = {}
        # notification id -> (due_at, order scheduled, notification as a dict)
        self._outbox: dict[str, tuple[float, int, dict[str, Any]]] = {}
        self._scheduled = 0
        self._watermark = 0.0

    def save(
        self,
        games: Mapping[str, NotifierGame],
        scheduled: Sequence[Scheduled],
        cancelled: Collection[str],
        tracking: Tracking,
    ) -> None:
        game_rows = {game_id: notifier_game_record(g) for game_id, g in games.items()}
        outbox_rows = [(s.notification.id, s.due_at, s.notification.to_dict()) for s in scheduled]
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            due_at = {i: self._outbox[i][0] for i in cancelled if i in self._outbox}
            refused = cancel_refusal(cancelled, due_at, self._watermark)
            if refused is not None:
                raise refused
            for notification_id in cancelled:
                del self._outbox[notification_id]
            for notification_id, due, notification in outbox_rows:
                self._scheduled += 1
                self._outbox[notification_id] = (due, self._scheduled, notification)
            self._games.update(game_rows)
            self._insert_tracking(tracking)

    def games(self, game_ids: Collection[str]) -> dict[str, NotifierGame]:
        with self._database_lock:
            records = {g: self._games.get(g) for g in game_ids}
        return {g: notifier_game_from_record(r) for g, r in records.items() if r}

    def due(self, now: float, limit: int) -> list[PushNotification]:
        with self._database_lock:
            self._watermark = max(self._watermark, now)
            found = sorted(
                (due_at, order, n) for due_at, order, n in self._outbox.values() if due_at <= now
            )[:limit]
        return [PushNotification.from_dict(n) for _, _, n in found]

    def mark_released(self, notification_ids: Collection[str]) -> None:
        with self._database_lock:
            for notification_id in notification_ids:
                self._outbox.pop(notification_id, None)

    def outbox(self) -> list[Scheduled]:
        with self._database_lock:
            found = sorted(self._outbox.values(), key=lambda row: row[:2])
        return [Scheduled(PushNotification.from_dict(n), due_at) for due_at, _, n in found]


class SQLiteNotifierStore(SQLiteTrackingRecorder):
    """Tables ``notifier_games``, ``notifier_outbox``, ``notifier_release`` (the release
    clock) and the library's ``tracking``."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)
        # Rows as last written or read: a row read back as written is not decoded, a
        # board's plays encoded before are not encoded again, nor an unchanged hold
        # (adapters/notifier_rows.py).
        self._written = WrittenGames()

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements += [
            "CREATE TABLE IF NOT EXISTS notifier_games ("
            " game_id TEXT PRIMARY KEY, board TEXT NOT NULL, hold TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS notifier_outbox ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
            " game_id TEXT NOT NULL, due_at REAL NOT NULL, notification TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS notifier_outbox_due ON notifier_outbox (due_at, seq)",
            "CREATE TABLE IF NOT EXISTS notifier_release ("
            " id INTEGER PRIMARY KEY CHECK (id = 1), watermark REAL NOT NULL)",
            "INSERT OR IGNORE INTO notifier_release (id, watermark) VALUES (1, 0)",
        ]
        return statements

    def save(
        self,
        games: Mapping[str, NotifierGame],
        scheduled: Sequence[Scheduled],
        cancelled: Collection[str],
        tracking: Tracking,
    ) -> None:
        with self.datastore.transaction(commit=True) as c:
            # Tracking first: a write, so this transaction holds the write lock before
            # it reads the release clock, and a stale batch fails before anything else.
            self._insert_tracking(c, tracking)
            if cancelled:
                self._cancel(c, list(cancelled))
            boards = {game_id: board_text(g.board) for game_id, g in games.items()}
            rows = [
                (game_id, boards[game_id].text, self._written.hold_json(game_id, g.hold))
                for game_id, g in games.items()
            ]
            c.executemany(
                "INSERT INTO notifier_games (game_id, board, hold) VALUES (?, ?, ?)"
                " ON CONFLICT (game_id) DO UPDATE SET board = excluded.board,"
                " hold = excluded.hold",
                rows,
            )
            if scheduled:
                c.executemany(
                    "INSERT INTO notifier_outbox (id, game_id, due_at, notification)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                    " due_at = excluded.due_at, notification = excluded.notification",
                    [
                        (
                            s.notification.id,
                            s.notification.game_id,
                            s.due_at,
                            json.dumps(s.notification.to_dict()),
                        )
                        for s in scheduled
                    ],
                )
        for game_id, _, hold in rows:  # (committed)
            self._written.wrote(boards[game_id], games[game_id].hold, hold)

    def _cancel(self, c: SQLiteCursor, cancelled: list[str]) -> None:
        c.execute("SELECT watermark FROM notifier_release WHERE id = 1")
        watermark = float(c.fetchone()[0])
        due_at: dict[str, float] = {}
        query = "SELECT id, due_at FROM notifier_outbox WHERE id IN ({marks})"
        due_at.update((row[0], float(row[1])) for row in rows_in(c, query, cancelled))
        refused = cancel_refusal(cancelled, due_at, watermark)
        if refused is not None:
            raise refused
        c.executemany("DELETE FROM notifier_outbox WHERE id = ?", [(i,) for i in cancelled])

    def games(self, game_ids: Collection[str]) -> dict[str, NotifierGame]:
        found: dict[str, NotifierGame] = {}
        ids = list(game_ids)
        with self.datastore.transaction(commit=False) as c:
            query = "SELECT game_id, board, hold FROM notifier_games WHERE game_id IN ({marks})"
            for game_id, board, hold in rows_in(c, query, ids):
                found[game_id] = NotifierGame(*self._written.read(game_id, board, hold))
        return found

    def due(self, now: float, limit: int) -> list[PushNotification]:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "UPDATE notifier_release SET watermark = max(watermark, ?) WHERE id = 1", (now,)
            )
            c.execute(
                "SELECT notification FROM notifier_outbox WHERE due_at <= ?"
                " ORDER BY due_at, seq LIMIT ?",
                (now, limit),
            )
            rows = c.fetchall()
        return [PushNotification.from_dict(json.loads(row[0])) for row in rows]

    def mark_released(self, notification_ids: Collection[str]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                "DELETE FROM notifier_outbox WHERE id = ?", [(i,) for i in notification_ids]
            )

    def outbox(self) -> list[Scheduled]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT notification, due_at FROM notifier_outbox ORDER BY due_at, seq")
            rows = c.fetchall()
        return [
            Scheduled(PushNotification.from_dict(json.loads(row[0])), float(row[1])) for row in rows
        ]


def open_sqlite_notifier_store(path: str) -> SQLiteNotifierStore:
    """The store in the SQLite file ``path`` (created if missing)."""
    store = SQLiteNotifierStore(SQLiteDatastore(path))
    store.create_table()
    return store


__all__ = [
    "IntegrityError",
    "MemoryNotifierStore",
    "ReleasedMeanwhile",
    "SQLiteNotifierStore",
    "cancel_refusal",
    "notifier_game",
    "notifier_game_from_record",
    "notifier_game_record",
    "open_sqlite_notifier_store",
]
