"""One active writer per read model, by a PostgreSQL session advisory lock.

Guarantees: at most one holder across every process on the database at a time; the
lock dies with its session (a crashed holder frees it at once, a standby takes
over). Writers also store tracking positions, so even two writers racing briefly
(a network split) cannot apply a notification twice: the second gets IntegrityError.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import psycopg

from adapters.postgres_schema import conninfo

log = logging.getLogger("scoreline.lock")


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLock:
    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self.key = lock_key(name)
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def _try(self) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(conninfo(self.url), autocommit=True)
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        return bool(row and row[0])

    async def acquire(self, poll_interval: float = 1.0) -> None:
        """Wait until this process holds the lock."""
        announced = False
        while True:
            try:
                if await asyncio.to_thread(self._try):
                    log.info("holding the %s writer lock", self.name)
                    return
            except psycopg.Error as error:
                log.warning("cannot reach PostgreSQL for the %s lock: %s", self.name, error)
                self._conn = None
            if not announced:
                log.info("standing by: another process writes %s", self.name)
                announced = True
            await asyncio.sleep(poll_interval)

    async def still_held(self) -> bool:
        """False once the lock's session is gone (then stop writing and acquire again)."""

        def ping() -> bool:
            if self._conn is None or self._conn.closed:
                return False
            try:
                self._conn.execute("SELECT 1")
            except psycopg.Error:
                return False
            return True

        return await asyncio.to_thread(ping)

    def release(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()  # closing the session releases the lock
        self._conn = None
