"""Rebuild and audit of read models: replay the log into a shadow copy, compare, swap.

A read model is a projection of the notification log, so a copy replayed from the
log is what the live copy should hold. Each backend says how a copy is made, listed
and swapped in (:class:`ReadModelCopies`, adapters/read_model_copies.py); this module
drives every read model and backend the same way.

Guarantees:
- :func:`replay` feeds notifications to a projection in log order, in batches of
  ``batch_size`` (one ``process`` call, so one transaction, per batch), never past
  ``stop``, with no per-event query of its own.
- The shadow copy approaches the live copy's position only from below (it chases the
  live tracking position, which only grows) and is aligned with it exactly, under the
  live writers' lock (:func:`rebuild`) or in the live snapshot (:func:`audit`). So a
  swapped-in copy has folded exactly the notifications the live copy had at the
  instant of the swap; the live projector carries on from there, skipping nothing and
  applying nothing twice. (Limits: see the adapters' module docstring.)
- :func:`audit` compares one consistent snapshot of the live copy with a copy rebuilt
  to the snapshot's position, and changes nothing live.
- A failure changes nothing live: the shadow copy is discarded, and the live copy is
  only ever replaced by a swap that commits as a whole.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from domain.scorekeeper import Scorekeeper
from projections.follower import Projection

BATCH_SIZE = 5_000  # notifications per replayed batch (one transaction each)
CLOSE_ENOUGH = 1_000  # outside the lock, chase the live copy until this close
SWAP_ATTEMPTS = 3

Key = tuple[Any, ...]  # (table, key column values...), ordered as the listing's SQL
Row = tuple[Key, str]  # (key, canonical JSON of the compared columns)
Progress = Callable[[int, int], None]  # (position reached, position aimed at)


class RebuildError(Exception):
    """A rebuild or audit could not be done; nothing live was changed."""


class SwapBusy(RebuildError):
    """The swap could not take its locks in time; nothing live was changed."""


class Listing(Protocol):
    """A copy's rows as of one position."""

    position: int

    def rows(self) -> Iterator[Row]:
        """Every row, in strictly increasing key order."""
        ...


class ReadModelCopies(Protocol):
    """One read model on one backend: its live copy and a shadow copy to rebuild into.

    Implementations guarantee: :meth:`open_shadow` gives a projection over a fresh,
    empty copy (the live store's class and schema, elsewhere); :meth:`live_snapshot`
    yields the live position and rows of one consistent read; :meth:`swap` holds the
    live writers out while its body runs, yields the live position, and on a normal
    exit installs the shadow copy in place of the live one atomically (readers see
    the old copy or the new, never a mix), on an exception changes nothing;
    :meth:`discard_shadow` removes what is left of the shadow (any number of times).
    """

    name: str

    def live_position(self) -> int: ...
    def open_shadow(self) -> Projection: ...
    def shadow_rows(self) -> Iterator[Row]: ...
    def live_snapshot(self) -> AbstractContextManager[Listing]: ...
    def swap(self) -> AbstractContextManager[int]: ...
    def discard_shadow(self) -> None: ...
    def close(self) -> None: ...


def quiet(position: int, target: int) -> None:
    """A progress callback that shows nothing."""


def replay(
    keeper: Scorekeeper,
    projection: Projection,
    *,
    stop: int,
    progress: Progress = quiet,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Feed the notifications after ``projection.position()`` up to ``stop`` (inclusive)
    to the projection, batch by batch; the position reached."""
    recorder, mapper = keeper.recorder, keeper.mapper
    position = projection.position()
    progress(position, stop)
    while position < stop:
        notifications = recorder.select_notifications(position + 1, batch_size, stop=stop)
        if not notifications:
            break
        projection.process([(mapper.to_domain_event(n), n.id) for n in notifications])
        position = notifications[-1].id
        progress(position, stop)
    return position


def chase(
    keeper: Scorekeeper,
    projection: Projection,
    copies: ReadModelCopies,
    *,
    progress: Progress = quiet,
    batch_size: int = BATCH_SIZE,
    close_enough: int = CLOSE_ENOUGH,
) -> int:
    """Replay towards the live copy's position, never past it, until a round starts
    within ``close_enough`` notifications of it, or the log has no more below it
    (a live position beyond the log); the position reached."""
    while True:
        before, target = projection.position(), copies.live_position()
        position = replay(keeper, projection, stop=target, progress=progress, batch_size=batch_size)
        if target - before <= close_enough or position == before:
            return position


def rebuild(
    keeper: Scorekeeper,
    copies: ReadModelCopies,
    *,
    progress: Progress = quiet,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Replay the log into a fresh copy and swap it in at the live copy's position
    (returned). RebuildError, live copy unchanged, if that cannot be done."""
    projection = copies.open_shadow()
    try:
        chase(keeper, projection, copies, progress=progress, batch_size=batch_size)
        for attempt in range(1, SWAP_ATTEMPTS + 1):
            try:
                with copies.swap() as live:
                    reached = replay(
                        keeper, projection, stop=live, progress=progress, batch_size=batch_size
                    )
                    if reached != live:
                        raise RebuildError(
                            f"{copies.name}: the live copy is at notification {live}, but the"
                            f" log replays only to {reached}; nothing was swapped"
                        )
                return live
            except SwapBusy:
                if attempt == SWAP_ATTEMPTS:
                    raise
                time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")
    finally:
        copies.discard_shadow()


def audit(
    keeper: Scorekeeper,
    copies: ReadModelCopies,
    *,
    progress: Progress = quiet,
    batch_size: int = BATCH_SIZE,
    limit: int = 100,
) -> Comparison:
    """Rebuild into a shadow copy and compare it with the live copy, row by row."""
    projection = copies.open_shadow()
    try:
        chase(keeper, projection, copies, progress=progress, batch_size=batch_size)
        with copies.live_snapshot() as live:
            replay(keeper, projection, stop=live.position, progress=progress, batch_size=batch_size)
            found = compare(
                copies.name,
                live.rows(),
                copies.shadow_rows(),
                positions=(live.position, projection.position()),
                limit=limit,
            )
        return replace(found, log_head=keeper.recorder.max_notification_id() or 0)
    finally:
        copies.discard_shadow()


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
