"""RejectedStore implementations: in memory, and in a SQLite file.

See domain.ports.RejectedStore for the guarantees.
"""

from __future__ import annotations

import builtins
import json
import time
from dataclasses import replace
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

    def note_replay(self, rejection_id: int, result: dict[str, Any]) -> None:
        for i, r in enumerate(self._items):
            if r.id == rejection_id:
                self._items[i] = replace(r, replays=(*r.replays, {"at": time.time(), **result}))

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
            c.execute(
                "CREATE TABLE IF NOT EXISTS rejected_replays ("
                " rejection_id INTEGER NOT NULL REFERENCES rejected (id),"
                " at REAL NOT NULL, result TEXT NOT NULL)"
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
        return self._with_replays([_rejection(row) for row in rows])

    def get(self, rejection_id: int) -> Rejection | None:
        with self._db.reading() as c:
            row = c.execute(
                "SELECT id, received_at, source, provider, reason, detail, body, content_type"
                " FROM rejected WHERE id = ?",
                (rejection_id,),
            ).fetchone()
        return self._with_replays([_rejection(row)])[0] if row else None

    def note_replay(self, rejection_id: int, result: dict[str, Any]) -> None:
        with self._db.transaction() as c:
            c.execute(
                "INSERT INTO rejected_replays (rejection_id, at, result) VALUES (?, ?, ?)",
                (rejection_id, time.time(), json.dumps(result)),
            )

    def _with_replays(self, found: builtins.list[Rejection]) -> builtins.list[Rejection]:
        if not found:
            return found
        with self._db.reading() as c:
            rows = c.execute(
                "SELECT rejection_id, at, result FROM rejected_replays"
                " WHERE rejection_id BETWEEN ? AND ? ORDER BY rowid",
                (found[0].id, found[-1].id),
            ).fetchall()
        replays: dict[int, list[dict[str, Any]]] = {}
        for rid, at, result in rows:
            replays.setdefault(rid, []).append({"at": at, **json.loads(result)})
        return [replace(r, replays=tuple(replays.get(r.id, ()))) for r in found]

    def close(self) -> None:
        self._db.close()


def _rejection(row: tuple[Any, ...]) -> Rejection:
    rid, received_at, source, provider, reason, detail, body, content_type = row
    return Rejection(
        rid, received_at, source, provider, reason, json.loads(detail), bytes(body), content_type
    )
