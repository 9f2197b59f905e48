"""The device registry in PostgreSQL (see domain.notification_ports.DeviceRegistry).

Tables (in the datastore's schema; names are attributes, so tests can prefix them):
- ``devices``: one row per live token (platform, wants bitmask, targets text[],
  registered_at, updated_at).
- ``device_follows``: (target, token) primary key INCLUDE (platform, wants), so a page
  of one target's followers is one range of one index (an index-only scan once the
  table is vacuumed), whatever the number of devices.
- ``pruned_devices``: tokens a push service refused, with reason and pruned_at.

Tokens and targets are ``COLLATE "C"``: token order is code-point order, as in Python
and the embedded registries. A single :meth:`register` locks the device row first (so
concurrent registrations of one token apply one after the other);
:meth:`register_many` loads through COPY and locks ``devices`` against concurrent
writers for its transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from eventsourcing.postgres import PostgresDatastore, PostgresRecorder
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier

from adapters.device_records import (
    PrunedDevice,
    audience_targets,
    check_limit,
    device_from_targets,
    device_targets,
    interest_mask,
    latest_by_token,
    merged_page,
    wants_mask,
)
from domain.devices import Device, Interest
from domain.push import Target

ANALYZE_AFTER_ROWS = 10_000  # a bulk load this big refreshes the planner's statistics


class PostgresDeviceRegistry(PostgresRecorder):
    """Tables ``devices``, ``device_follows`` and ``pruned_devices`` (names overridable)."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        devices_table_name: str = "devices",
        follows_table_name: str = "device_follows",
        pruned_table_name: str = "pruned_devices",
    ) -> None:
        super().__init__(datastore)
        for name in (devices_table_name, follows_table_name, pruned_table_name):
            self.check_identifier_length(name)
        self.devices_table_name = devices_table_name
        self.follows_table_name = follows_table_name
        self.pruned_table_name = pruned_table_name
        self.table_names = (devices_table_name, follows_table_name, pruned_table_name)
        self.sql_create_statements.extend(
            self._sql(text)
            for text in (
                'CREATE TABLE IF NOT EXISTS {devices} (token text COLLATE "C" PRIMARY KEY,'
                " platform text NOT NULL, wants integer NOT NULL, targets text[] NOT NULL,"
                " registered_at timestamptz NOT NULL DEFAULT now(),"
                " updated_at timestamptz NOT NULL DEFAULT now())",
                'CREATE TABLE IF NOT EXISTS {follows} (target text COLLATE "C" NOT NULL,'
                ' token text COLLATE "C" NOT NULL, platform text NOT NULL,'
                " wants integer NOT NULL, PRIMARY KEY (target, token) INCLUDE (platform, wants))",
                'CREATE TABLE IF NOT EXISTS {pruned} (token text COLLATE "C" PRIMARY KEY,'
                " reason text NOT NULL, pruned_at timestamptz NOT NULL DEFAULT now())",
            )
        )

    def _sql(self, text: str) -> Composed:
        return SQL(text).format(
            devices=Identifier(self.datastore.schema, self.devices_table_name),
            follows=Identifier(self.datastore.schema, self.follows_table_name),
            pruned=Identifier(self.datastore.schema, self.pruned_table_name),
        )

    def register(self, device: Device) -> bool:
        targets, mask = device_targets(device), wants_mask(device.wants)
        row = (device.token, device.platform.value, mask, targets)
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                self._sql(
                    "INSERT INTO {devices} (token, platform, wants, targets)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (token) DO NOTHING"
                ),
                row,
            )
            new = c.rowcount == 1
            if not new:  # the row is there: lock it, then replace it whole
                c.execute(
                    self._sql("SELECT targets FROM {devices} WHERE token = %s FOR UPDATE"),
                    (device.token,),
                )
                found = c.fetchone()
                self._delete_follows(c, device.token, found["targets"] if found else [])
                c.execute(
                    self._sql(
                        "UPDATE {devices} SET platform = %s, wants = %s, targets = %s,"
                        " updated_at = now() WHERE token = %s"
                    ),
                    (device.platform.value, mask, targets, device.token),
                )
            c.executemany(
                self._sql(
                    "INSERT INTO {follows} (target, token, platform, wants) VALUES (%s, %s, %s, %s)"
                ),
                [(target, device.token, device.platform.value, mask) for target in targets],
            )
            c.execute(self._sql("DELETE FROM {pruned} WHERE token = %s"), (device.token,))
        return new

    def _delete_follows(self, c: Cursor[DictRow], token: str, targets: list[str]) -> None:
        c.execute(
            self._sql("DELETE FROM {follows} WHERE target = ANY(%s) AND token = %s"),
            (targets, token),
        )

    def register_many(self, devices: Sequence[Device]) -> None:
        latest = latest_by_token(devices)
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._sql("LOCK TABLE {devices} IN SHARE ROW EXCLUSIVE MODE"))
            c.execute(
                'CREATE TEMPORARY TABLE incoming_devices (token text COLLATE "C",'
                " platform text, wants integer, targets text[]) ON COMMIT DROP"
            )
            with c.copy(
                "COPY incoming_devices (token, platform, wants, targets) FROM STDIN"
            ) as copy:
                copy.set_types(["text", "text", "int4", "text[]"])
                for d in sorted(latest.values(), key=lambda d: d.token):
                    copy.write_row(
                        (d.token, d.platform.value, wants_mask(d.wants), device_targets(d))
                    )
            self._load_incoming(c)
        if len(latest) >= ANALYZE_AFTER_ROWS:
            with self.datastore.transaction(commit=True) as c:
                c.execute(self._sql("ANALYZE {devices}, {follows}"))

    def _load_incoming(self, c: Cursor[DictRow]) -> None:
        """Replace the registrations of ``incoming_devices`` whole."""
        c.execute(
            self._sql(
                "DELETE FROM {follows} f USING (SELECT d.token, unnest(d.targets) AS target"
                " FROM {devices} d JOIN incoming_devices i ON i.token = d.token) old"
                " WHERE f.target = old.target AND f.token = old.token"
            )
        )
        c.execute(
            self._sql(
                "INSERT INTO {devices} (token, platform, wants, targets)"
                " SELECT token, platform, wants, targets FROM incoming_devices"
                " ON CONFLICT (token) DO UPDATE SET platform = excluded.platform,"
                " wants = excluded.wants, targets = excluded.targets, updated_at = now()"
            )
        )
        c.execute(
            self._sql(
                "INSERT INTO {follows} (target, token, platform, wants)"
                " SELECT unnest(targets) AS target, token, platform, wants"
                " FROM incoming_devices ORDER BY 1, 2"
            )
        )
        c.execute(
            self._sql("DELETE FROM {pruned} p USING incoming_devices i WHERE p.token = i.token")
        )

    def get(self, token: str) -> Device | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                self._sql("SELECT platform, wants, targets FROM {devices} WHERE token = %s"),
                (token,),
            )
            row = c.fetchone()
        if row is None:
            return None
        return device_from_targets(token, row["platform"], row["wants"], row["targets"])

    def remove(self, token: str) -> bool:
        return bool(self._remove([token]))

    def _remove(self, tokens: list[str]) -> list[str]:
        """Delete the live ``tokens`` (rows and follows); which were live."""
        with self.datastore.transaction(commit=True) as c:
            return self._delete_devices(c, tokens)

    def _delete_devices(self, c: Cursor[DictRow], tokens: list[str]) -> list[str]:
        c.execute(
            self._sql("DELETE FROM {devices} WHERE token = ANY(%s) RETURNING token, targets"),
            (tokens,),
        )
        gone = c.fetchall()
        c.execute(
            self._sql(
                "DELETE FROM {follows} f USING unnest(%s::text[], %s::text[]) AS old(token, target)"
                " WHERE f.target = old.target AND f.token = old.token"
            ),
            (
                [row["token"] for row in gone for _ in row["targets"]],
                [target for row in gone for target in row["targets"]],
            ),
        )
        return [row["token"] for row in gone]

    def prune(self, tokens: Collection[str], reason: str) -> int:
        with self.datastore.transaction(commit=True) as c:
            live = self._delete_devices(c, sorted(set(tokens)))
            c.execute(
                self._sql(
                    "INSERT INTO {pruned} (token, reason) SELECT unnest(%s::text[]), %s"
                    " ON CONFLICT (token) DO UPDATE SET reason = excluded.reason,"
                    " pruned_at = now()"
                ),
                (live, reason),
            )
        return len(live)

    def pruned(self, token: str) -> PrunedDevice | None:
        """When and why ``token`` was pruned (None: never, or registered again since)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                self._sql(
                    "SELECT reason, extract(epoch FROM pruned_at)::float8 AS at"
                    " FROM {pruned} WHERE token = %s"
                ),
                (token,),
            )
            row = c.fetchone()
        return PrunedDevice(token, row["reason"], row["at"]) if row else None

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
        query = self._sql(
            "SELECT token, platform FROM {follows} WHERE target = %s AND token > %s"
            " AND (wants & %s) <> 0 ORDER BY token LIMIT %s"
        )
        pages: list[list[tuple[str, str]]] = []
        with self.datastore.get_connection() as conn, conn.transaction(force_rollback=True):
            c = conn.cursor(row_factory=tuple_row)  # no dict per row: pages are large
            for target in audience_targets(teams, game_id):
                c.execute(query, (target, after, mask, limit))
                pages.append(c.fetchall())
        return merged_page(pages, limit)

    def close(self) -> None:
        """Close the datastore's connections (the registry owns its datastore)."""
        self.datastore.close()


__all__ = ["PostgresDeviceRegistry"]
