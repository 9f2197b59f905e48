"""RejectedStore in PostgreSQL: shared by every ingest and recorder process of a fleet.

See domain.ports.RejectedStore for the guarantees.
"""

from __future__ import annotations

import builtins
import json
import time
from dataclasses import replace
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from adapters.postgres_schema import conninfo
from domain.ports import Rejection

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rejected ("
    " id BIGSERIAL PRIMARY KEY, received_at DOUBLE PRECISION NOT NULL,"
    " source TEXT NOT NULL, provider TEXT NOT NULL, reason TEXT NOT NULL,"
    " detail JSONB NOT NULL, body BYTEA NOT NULL, content_type TEXT NOT NULL,"
    " dedupe_key TEXT UNIQUE)",
    "CREATE TABLE IF NOT EXISTS rejected_replays ("
    " rejection_id BIGINT NOT NULL REFERENCES rejected (id),"
    " at DOUBLE PRECISION NOT NULL, result JSONB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS rejected_replays_by_rejection ON rejected_replays (rejection_id)",
)
COLUMNS = "id, received_at, source, provider, reason, detail, body, content_type"


class PostgresRejectedStore:
    def __init__(self, url: str, *, pool_size: int = 2, create: bool = True) -> None:
        self._pool = ConnectionPool(conninfo(url), min_size=1, max_size=pool_size, open=True)
        if create:
            create_rejected_tables(url)

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
        with self._pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO rejected (received_at, source, provider, reason, detail, body,"
                " content_type, dedupe_key) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                (
                    time.time(),
                    source,
                    provider,
                    reason,
                    Jsonb(detail),
                    body,
                    content_type,
                    dedupe_key,
                ),
            ).fetchone()
            if row is None:  # kept before under this dedupe key
                row = conn.execute(
                    "SELECT id FROM rejected WHERE dedupe_key = %s", (dedupe_key,)
                ).fetchone()
            assert row is not None
            return int(row[0])

    def list(self, *, after_id: int = 0, limit: int = 100) -> builtins.list[Rejection]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM rejected WHERE id > %s ORDER BY id LIMIT %s",
                (after_id, limit),
            ).fetchall()
        return self._with_replays([_rejection(r) for r in rows])

    def get(self, rejection_id: int) -> Rejection | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM rejected WHERE id = %s", (rejection_id,)
            ).fetchone()
        return self._with_replays([_rejection(row)])[0] if row else None

    def note_replay(self, rejection_id: int, result: dict[str, Any]) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO rejected_replays (rejection_id, at, result) VALUES (%s, %s, %s)",
                (rejection_id, time.time(), Jsonb(result)),
            )

    def _with_replays(self, found: builtins.list[Rejection]) -> builtins.list[Rejection]:
        if not found:
            return found
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT rejection_id, at, result FROM rejected_replays"
                " WHERE rejection_id = ANY(%s) ORDER BY at",
                ([r.id for r in found],),
            ).fetchall()
        replays: dict[int, builtins.list[dict[str, Any]]] = {}
        for rid, at, result in rows:
            replays.setdefault(int(rid), []).append({"at": at, **result})
        return [replace(r, replays=tuple(replays.get(r.id, ()))) for r in found]

    def close(self) -> None:
        self._pool.close()


def create_rejected_tables(url: str) -> None:
    """The store's tables (idempotent; ``scoreline db upgrade`` calls it)."""
    import psycopg

    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        for statement in SCHEMA:
            conn.execute(statement)


def _rejection(row: tuple[Any, ...]) -> Rejection:
    rid, received_at, source, provider, reason, detail, body, content_type = row
    detail = detail if isinstance(detail, dict) else json.loads(detail)
    return Rejection(
        int(rid), received_at, source, provider, reason, detail, bytes(body), content_type
    )
