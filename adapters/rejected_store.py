"""RejectedStore implementations: in memory, and in a SQLite file.

See domain.ports.RejectedStore for the guarantees.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from adapters.sqlite_connection import SQLiteConnection
from domain.ports import Rejection


class MemoryRejectedStore:
    def __init__(self) -> None:
        self._items: list[Rejection] = []
        self._keys: dict[str, int] = {}

    def keep(
        self,
        *,
        source: str,
        provider: str,
        reason: str,
        detail: dict[str, Any],
        body: bytes,
        content_type: str = "application/json",
        dedupe_key: str | None = None,
    ) -> int:
        if dedupe_key is not None and dedupe_key in self._keys:
            return self._keys[dedupe_key]
        item = Rejection(
            len(self._items) + 1, time.time(), source, provider, reason, detail, body, content_type
        )
        self._items.append(item)
        if dedupe_key is not None:
            self._keys[dedupe_key] = item.id
        return item.id

    def list(self, *, after_id: int = 0, limit: int = 100) -> list[Rejection]:
        return [r for r in self._items if r.id > after_id][:limit]

    def get(self, rejection_id: int) -> Rejection | None:
        return next((r for r in self._items if r.id == rejection_id), None)

    def close(self) -> None:
        pass


class SQLiteRejectedStore:
    def __init__(self, path: Path | str) -> None:
        self._db = SQLiteConnection(path)
        with self._db.transaction() as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS rejected ("
                " id INTEGER PRIMARY KEY AUTOINCREMENT, received_at REAL NOT NULL,"
                " source TEXT NOT NULL, provider TEXT NOT NULL, reason TEXT NOT NULL,"
                " detail TEXT NOT NULL, body BLOB NOT NULL, content_type TEXT NOT NULL,"
                " dedupe_key TEXT UNIQUE)"
            )

    def keep(
        self,
        *,
        source: str,
        provider: str,
        reason: str,
        detail: dict[str, Any],
        body: bytes,
        content_type: str = "application/json",
        dedupe_key: str | None = None,
    ) -> int:
        with self._db.transaction() as c:
            if dedupe_key is not None:
                row = c.execute(
                    "SELECT id FROM rejected WHERE dedupe_key = ?", (dedupe_key,)
                ).fetchone()
                if row:
                    return int(row[0])
            c.execute(
                "INSERT INTO rejected (received_at, source, provider, reason, detail, body,"
                " content_type, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    source,
                    provider,
                    reason,
                    json.dumps(detail),
                    body,
                    content_type,
                    dedupe_key,
                ),
            )
            return int(c.lastrowid or 0)

    def list(self, *, after_id: int = 0, limit: int = 100) -> list[Rejection]:
        with self._db.reading() as c:
            rows = c.execute(
                "SELECT id, received_at, source, provider, reason, detail, body, content_type"
                " FROM rejected WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            ).fetchall()
        return [_rejection(row) for row in rows]

    def get(self, rejection_id: int) -> Rejection | None:
        with self._db.reading() as c:
            row = c.execute(
                "SELECT id, received_at, source, provider, reason, detail, body, content_type"
                " FROM rejected WHERE id = ?",
                (rejection_id,),
            ).fetchone()
        return _rejection(row) if row else None

    def close(self) -> None:
        self._db.close()


def _rejection(row: tuple[Any, ...]) -> Rejection:
    rid, received_at, source, provider, reason, detail, body, content_type = row
    return Rejection(
        rid, received_at, source, provider, reason, json.loads(detail), bytes(body), content_type
    )
