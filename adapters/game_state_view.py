"""Storage for the game-state read model, with its tracking position.

Guarantees (both implementations):
- :meth:`save` writes the changed games and the tracking position in one
  transaction; a position not above the stored one raises IntegrityError, so a
  replayed batch is never applied twice.
- Reads see committed states only. Public states are mirrored in memory, so the
  polling and listing paths do no I/O. :meth:`boards` reads many games' boards in
  one statement per 500 (the projector's read of a batch); unknown games are absent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Mapping
from typing import Any

import msgspec
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from adapters.board_texts import BoardText, WrittenTexts, board_text
from adapters.sqlite_connection import rows_in
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_from_record, scoreboard_to_record

_encoder = msgspec.json.Encoder()  # the public state's column: compact, as polls send it


class _PublicMirror:
    def __init__(self) -> None:
        self._states: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def put(self, boards: Mapping[str, Scoreboard]) -> None:
        self.put_states({game_id: board.public() for game_id, board in boards.items()})

    def put_states(self, states: Mapping[str, dict[str, Any]]) -> None:
        with self._lock:
            self._states.update(states)

    def state(self, game_id: str) -> dict[str, Any] | None:
        return self._states.get(game_id)

    def states(self, status: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = list(self._states.values())
        if status is not None:
            found = [s for s in found if s["status"] == status]
        return sorted(found, key=lambda s: (s.get("start_time") or "", s["game_id"]))


class MemoryGameStateView(POPOTrackingRecorder):
    def __init__(self) -> None:
        super().__init__()
        self._boards: dict[str, dict[str, Any]] = {}
        self._mirror = _PublicMirror()

    def save(self, boards: Mapping[str, Scoreboard], tracking: Tracking) -> None:
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            for game_id, board in boards.items():
                self._boards[game_id] = scoreboard_to_record(board)
            self._insert_tracking(tracking)
        self._mirror.put(boards)

    def board(self, game_id: str) -> Scoreboard | None:
        record = self._boards.get(game_id)
        return scoreboard_from_record(record) if record else None

    def boards(self, game_ids: Collection[str]) -> dict[str, Scoreboard]:
        found = {g: self.board(g) for g in game_ids}
        return {g: b for g, b in found.items() if b is not None}

    def state(self, game_id: str) -> dict[str, Any] | None:
        return self._mirror.state(game_id)

    def states(self, status: str | None = None) -> list[dict[str, Any]]:
        return self._mirror.states(status)

    def game_ids(self) -> list[str]:
        return sorted(self._boards)


class SQLiteGameStateView(SQLiteTrackingRecorder):
    """The read model in its own SQLite file (delete it to rebuild from the log).

    A game's board is stored as the compact JSON text of adapters/board_texts.py (made
    from the game's last text: only new or changed plays encoded); a row read back as
    this view last committed it is copied from memory, any other text decoded."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)
        self._mirror = _PublicMirror()
        self._written = WrittenTexts()  # a board read back as written is copied, not decoded

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements.append(
            "CREATE TABLE IF NOT EXISTS game_states ("
            " game_id TEXT PRIMARY KEY, status TEXT NOT NULL, version INTEGER NOT NULL,"
            " public TEXT NOT NULL, board TEXT NOT NULL)"
        )
        return statements

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT board FROM game_states")
            boards = [scoreboard_from_record(json.loads(row[0])) for row in c.fetchall()]
        self._mirror.put({b.game_id: b for b in boards})

    def save(self, boards: Mapping[str, Scoreboard], tracking: Tracking) -> None:
        states = {game_id: b.public() for game_id, b in boards.items()}
        texts = {game_id: board_text(b) for game_id, b in boards.items()}
        with self.datastore.transaction(commit=True) as c:
            self._write(c, boards, states, texts)
            self._insert_tracking(c, tracking)
        for text in texts.values():  # (only once committed: what the rows now hold)
            self._written.wrote(text)
        self._mirror.put_states(states)

    def _write(
        self,
        c: SQLiteCursor,
        boards: Mapping[str, Scoreboard],
        states: Mapping[str, Any],
        texts: Mapping[str, BoardText],
    ) -> None:
        c.executemany(
            "INSERT INTO game_states (game_id, status, version, public, board)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (game_id) DO UPDATE SET"
            " status = excluded.status, version = excluded.version,"
            " public = excluded.public, board = excluded.board",
            [
                (
                    game_id,
                    b.status,
                    b.version,
                    _encoder.encode(states[game_id]).decode(),
                    texts[game_id].text,
                )
                for game_id, b in boards.items()
            ],
        )

    def board(self, game_id: str) -> Scoreboard | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT board FROM game_states WHERE game_id = ?", (game_id,))
            row = c.fetchone()
        return self._written.decode(game_id, row[0]) if row else None

    def boards(self, game_ids: Collection[str]) -> dict[str, Scoreboard]:
        found: dict[str, Scoreboard] = {}
        ids = list(game_ids)
        with self.datastore.transaction(commit=False) as c:
            query = "SELECT game_id, board FROM game_states WHERE game_id IN ({marks})"
            for game_id, board in rows_in(c, query, ids):
                found[game_id] = self._written.decode(game_id, board)
        return found

    def state(self, game_id: str) -> dict[str, Any] | None:
        return self._mirror.state(game_id)

    def states(self, status: str | None = None) -> list[dict[str, Any]]:
        return self._mirror.states(status)

    def game_ids(self) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT game_id FROM game_states ORDER BY game_id")
            return [row[0] for row in c.fetchall()]


def open_sqlite_game_state_view(path: str) -> SQLiteGameStateView:
    view = SQLiteGameStateView(SQLiteDatastore(path))
    view.create_table()
    return view


__all__ = [
    "IntegrityError",
    "MemoryGameStateView",
    "SQLiteGameStateView",
    "open_sqlite_game_state_view",
]
