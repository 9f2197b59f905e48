"""DeviceRegistry implementations: in memory, and in a SQLite file.

See domain.notification_ports.DeviceRegistry for the guarantees, and
adapters/device_records.py for how a device is stored (targets, wants bitmask) and how
:meth:`followers` merges each target's page, in token order.

SQLite layout: ``devices`` (one row per live token: platform, wants, targets joined
by U+001F, registered_at, updated_at), ``device_follows`` (target, token, platform, wants;
clustered on (target, token) WITHOUT ROWID, so a page of followers is one range of
one B-tree, no join), ``pruned_devices`` (token, reason, pruned_at).
"""

from __future__ import annotations

import bisect
import sqlite3
import threading
import time
from collections.abc import Collection, Sequence
from pathlib import Path

from adapters.device_records import (
    PrunedDevice,
    audience_targets,
    check_limit,
    decode_targets,
    device_from_targets,
    device_targets,
    encode_targets,
    interest_mask,
    latest_by_token,
    merged_page,
    token_of,
    wants_mask,
)
from adapters.sqlite_connection import SQLiteConnection, rows_in
from domain.devices import Device, Interest
from domain.push import Target


class MemoryDeviceRegistry:
    """The devices in this process only (tests, ``build_in_memory``); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, Device] = {}
        self._follows: dict[str, set[str]] = {}
        self._ordered: dict[str, list[str]] = {}  # target -> sorted tokens, rebuilt lazily
        self._pruned: dict[str, PrunedDevice] = {}
        self._stored: dict[str, tuple[int, str]] = {}  # token -> (wants mask, platform)

    def register(self, device: Device) -> bool:
        with self._lock:
            return self._register(device)

    def register_many(self, devices: Sequence[Device]) -> None:
        with self._lock:
            for device in latest_by_token(devices).values():
                self._register(device)

    def _register(self, device: Device) -> bool:
        new = self._forget(device.token) is None
        self._devices[device.token] = device
        self._stored[device.token] = (wants_mask(device.wants), device.platform.value)
        for target in device_targets(device):
            self._follows.setdefault(target, set()).add(device.token)
            self._ordered.pop(target, None)
        self._pruned.pop(device.token, None)
        return new

    def _forget(self, token: str) -> Device | None:
        old = self._devices.pop(token, None)
        self._stored.pop(token, None)
        for target in device_targets(old) if old else ():
            self._follows[target].discard(token)
            self._ordered.pop(target, None)
        return old

    def get(self, token: str) -> Device | None:
        with self._lock:
            return self._devices.get(token)

    def remove(self, token: str) -> bool:
        with self._lock:
            return self._forget(token) is not None

    def prune(self, tokens: Collection[str], reason: str) -> int:
        now = time.time()
        with self._lock:
            live = [token for token in set(tokens) if self._forget(token) is not None]
            for token in live:
                self._pruned[token] = PrunedDevice(token, reason, now)
        return len(live)

    def pruned(self, token: str) -> PrunedDevice | None:
        """When and why ``token`` was pruned (None: never, or registered again since)."""
        with self._lock:
            return self._pruned.get(token)

    def followers(
        self,
        teams: Collection[str],
        game_id: str,
        interest: Interest,
        *,
        after: str = "",
        limit: int = 10_000,
    ) -> list[Target]:
        check_limit(limit)
        mask = interest_mask(interest)
        with self._lock:
            pages = [
                self._page(target, mask, after, limit)
                for target in audience_targets(teams, game_id)
            ]
        return merged_page(pages, limit)

    def _page(self, target: str, mask: int, after: str, limit: int) -> list[tuple[str, str]]:
        ordered = self._ordered.get(target)
        if ordered is None:
            ordered = self._ordered[target] = sorted(self._follows.get(target, ()))
        page: list[tuple[str, str]] = []
        for index in range(bisect.bisect_right(ordered, after), len(ordered)):
            token = ordered[index]
            wants, platform = self._stored[token]
            if wants & mask:
                page.append((token, platform))
                if len(page) == limit:
                    break
        return page

    def close(self) -> None:
        pass


class SQLiteDeviceRegistry:
    """The registry in a SQLite file of its own (WAL, synchronous=FULL); thread-safe
    (one connection, serialised by :class:`SQLiteConnection`'s lock)."""

    def __init__(self, path: Path | str) -> None:
        self._db = SQLiteConnection(path)
        with self._db.transaction() as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS devices (token TEXT PRIMARY KEY,"
                " platform TEXT NOT NULL, wants INTEGER NOT NULL, targets TEXT NOT NULL,"
                " registered_at REAL NOT NULL, updated_at REAL NOT NULL)"
            )
            c.execute(
                "CREATE TABLE IF NOT EXISTS device_follows (target TEXT NOT NULL,"
                " token TEXT NOT NULL, platform TEXT NOT NULL, wants INTEGER NOT NULL,"
                " PRIMARY KEY (target, token)) WITHOUT ROWID"
            )
            c.execute(
                "CREATE TABLE IF NOT EXISTS pruned_devices (token TEXT PRIMARY KEY,"
                " reason TEXT NOT NULL, pruned_at REAL NOT NULL)"
            )

    def register(self, device: Device) -> bool:
        with self._db.transaction() as c:
            new = not self._forget(c, [device.token])
            self._write(c, [device], time.time())
        return new

    def register_many(self, devices: Sequence[Device]) -> None:
        latest = latest_by_token(devices)
        with self._db.transaction() as c:
            self._forget(c, list(latest))
            self._write(c, list(latest.values()), time.time())

    def _forget(self, c: sqlite3.Cursor, tokens: Sequence[str]) -> list[tuple[str, list[str]]]:
        """Delete the follows of the live ``tokens`` (not their rows); (token, targets)."""
        query = "SELECT token, targets FROM devices WHERE token IN ({marks})"
        live = [(token, decode_targets(targets)) for token, targets in rows_in(c, query, tokens)]
        c.executemany(
            "DELETE FROM device_follows WHERE target = ? AND token = ?",
            [(target, token) for token, targets in live for target in targets],
        )
        return live

    def _write(self, c: sqlite3.Cursor, devices: Sequence[Device], now: float) -> None:
        rows = []
        by_target: dict[str, list[tuple[str, str, str, int]]] = {}
        # In key order, so both B-trees are appended to, not split at random: bulk
        # loads stay fast.
        for d in sorted(devices, key=token_of):
            targets, mask = device_targets(d), wants_mask(d.wants)
            rows.append((d.token, d.platform.value, mask, encode_targets(targets), now, now))
            for target in targets:
                by_target.setdefault(target, []).append((target, d.token, d.platform.value, mask))
        follows = [row for target in sorted(by_target) for row in by_target[target]]
        c.executemany(
            "INSERT INTO devices (token, platform, wants, targets, registered_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token) DO UPDATE SET"
            " platform = excluded.platform, wants = excluded.wants,"
            " targets = excluded.targets, updated_at = excluded.updated_at",
            rows,
        )
        c.executemany(
            "INSERT INTO device_follows (target, token, platform, wants) VALUES (?, ?, ?, ?)",
            follows,
        )
        if c.execute("SELECT EXISTS (SELECT 1 FROM pruned_devices)").fetchone()[0]:
            c.executemany(
                "DELETE FROM pruned_devices WHERE token = ?", [(d.token,) for d in devices]
            )

    def get(self, token: str) -> Device | None:
        with self._db.reading() as c:
            row = c.execute(
                "SELECT platform, wants, targets FROM devices WHERE token = ?", (token,)
            ).fetchone()
        if row is None:
            return None
        return device_from_targets(token, row[0], row[1], decode_targets(row[2]))

    def remove(self, token: str) -> bool:
        with self._db.transaction() as c:
            live = self._forget(c, [token])
            c.execute("DELETE FROM devices WHERE token = ?", (token,))
        return bool(live)

    def prune(self, tokens: Collection[str], reason: str) -> int:
        now = time.time()
        with self._db.transaction() as c:
            live = [token for token, _ in self._forget(c, sorted(set(tokens)))]
            c.executemany("DELETE FROM devices WHERE token = ?", [(t,) for t in live])
            c.executemany(
                "INSERT INTO pruned_devices (token, reason, pruned_at) VALUES (?, ?, ?)"
                " ON CONFLICT (token) DO UPDATE SET reason = excluded.reason,"
                " pruned_at = excluded.pruned_at",
                [(token, reason, now) for token in live],
            )
        return len(live)

    def pruned(self, token: str) -> PrunedDevice | None:
        """When and why ``token`` was pruned (None: never, or registered again since)."""
        with self._db.reading() as c:
            row = c.execute(
                "SELECT reason, pruned_at FROM pruned_devices WHERE token = ?", (token,)
            ).fetchone()
        return PrunedDevice(token, row[0], row[1]) if row else None

    def followers(
        self,
        teams: Collection[str],
        game_id: str,
        interest: Interest,
        *,
        after: str = "",
        limit: int = 10_000,
    ) -> list[Target]:
        check_limit(limit)
        mask = interest_mask(interest)
        with self._db.reading() as c:
            pages = [
                c.execute(
                    "SELECT token, platform FROM device_follows WHERE target = ?"
                    " AND token > ? AND (wants & ?) != 0 ORDER BY token LIMIT ?",
                    (target, after, mask, limit),
                ).fetchall()
                for target in audience_targets(teams, game_id)
            ]
        return merged_page(pages, limit)

    def close(self) -> None:
        self._db.close()


def open_sqlite_device_registry(path: str) -> SQLiteDeviceRegistry:
    """The registry in the SQLite file ``path`` (created, with its tables, if missing)."""
    return SQLiteDeviceRegistry(path)


__all__ = [
    "MemoryDeviceRegistry",
    "PrunedDevice",
    "SQLiteDeviceRegistry",
    "open_sqlite_device_registry",
]
