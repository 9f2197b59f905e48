"""Comparing a live read model with a rebuilt copy: row by row, with checksums.

A copy is listed as rows ``(key, canonical JSON of the compared columns)`` in
strictly increasing key order (each backend's listing SQL orders them so);
:func:`compare` merges two such listings in one pass, holding one row of each, and
hashes each as it goes.

Guarantees: the checksum of a listing is sha256 over every row (key and canonical
JSON) in key order, so equal listings have equal checksums whatever the backend;
a listing out of key order raises RebuildError (no sound merge is possible then);
``counts`` are complete, ``differing`` holds at most ``limit`` keys of each kind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

Key = tuple[Any, ...]  # (table, key column values...), ordered as the listing's SQL
Row = tuple[Key, str]  # (key, canonical JSON of the compared columns)


class RebuildError(Exception):
    """A rebuild or audit could not be done; nothing live was changed."""


@dataclass(frozen=True)
class Comparison:
    """A live copy against a copy rebuilt to the same position.

    A checksum is sha256 over every row (key and canonical JSON) in key order.
    ``differing`` lists keys by kind ("differ", "only in the live copy", "missing
    from the live copy"), at most ``limit`` each; ``counts`` are complete.
    """

    name: str
    positions: tuple[int, int]  # live, rebuilt
    checksums: tuple[str, str]
    sizes: tuple[int, int]
    differing: dict[str, list[str]]
    counts: dict[str, int]
    log_head: int | None = None  # the log's last notification when compared (if known)

    @property
    def equal(self) -> bool:
        return (
            self.positions[0] == self.positions[1]
            and self.checksums[0] == self.checksums[1]
            and not any(self.counts.values())
        )

    def report(self) -> list[str]:
        """The verdict, both checksums, then the differing keys."""
        live, rebuilt = self.positions
        verdict = "equal" if self.equal else "DIFFERENT"
        lines = [f"{self.name}: {verdict} at notification {live}"]
        if self.log_head is not None:
            lines[0] += f" of {self.log_head} in the log"
        if rebuilt != live:
            lines[0] += f" (the rebuilt copy reached {rebuilt})"
        lines.append(f"  live    sha256 {self.checksums[0]}  {self.sizes[0]} rows")
        lines.append(f"  rebuilt sha256 {self.checksums[1]}  {self.sizes[1]} rows")
        for kind, keys in self.differing.items():
            count = self.counts[kind]
            if count:
                shown = f" (first {len(keys)})" if count > len(keys) else ""
                lines.append(f"  {count} rows {kind}{shown}:")
                lines.extend(f"    {self.name} {key}" for key in keys)
        return lines


KINDS = ("differ", "only in the live copy", "missing from the live copy")


def compare(
    name: str,
    live: Iterable[Row],
    rebuilt: Iterable[Row],
    *,
    positions: tuple[int, int],
    limit: int = 100,
) -> Comparison:
    """Merge two key-ordered listings in one pass, holding one row of each."""
    differing: dict[str, list[str]] = {kind: [] for kind in KINDS}
    counts = dict.fromkeys(KINDS, 0)

    def note(kind: str, key: Key) -> None:
        counts[kind] += 1
        if len(differing[kind]) < limit:
            differing[kind].append(show_key(key))

    left, right = _Hashed(name, live), _Hashed(name, rebuilt)
    a, b = left.next(), right.next()
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            note(KINDS[1], a[0])
            a = left.next()
        elif a is None or b[0] < a[0]:
            note(KINDS[2], b[0])
            b = right.next()
        else:
            if a[1] != b[1]:
                note(KINDS[0], a[0])
            a, b = left.next(), right.next()
    return Comparison(
        name,
        positions,
        (left.digest.hexdigest(), right.digest.hexdigest()),
        (left.count, right.count),
        differing,
        counts,
    )


class _Hashed:
    """A listing read row by row, hashed as it goes; RebuildError if its keys are not
    strictly increasing (the SQL order would disagree with Python's: no sound merge)."""

    def __init__(self, name: str, rows: Iterable[Row]) -> None:
        self.name = name
        self.rows = iter(rows)
        self.digest = hashlib.sha256()
        self.count = 0
        self.previous: Key | None = None

    def next(self) -> Row | None:
        found = next(self.rows, None)
        if found is None:
            return None
        key, value = found
        if self.previous is not None and not self.previous < key:
            raise RebuildError(f"{self.name}: rows not in increasing key order at {key}")
        self.previous = key
        self.digest.update(f"{canonical(list(key))}\t{value}\n".encode())
        self.count += 1
        return found


def show_key(key: Key) -> str:
    """``table part/part`` for a report."""
    table, *parts = key
    return f"{table} " + "/".join(_plain(part) for part in parts)


def canonical(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, dates and times in ISO 8601."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
