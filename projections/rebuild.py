"""Rebuild and audit of read models: replay the log into a shadow copy, compare, swap.

A read model is a projection of the notification log, so a copy replayed from the
log is what the live copy should hold. Each backend says how a copy is made, listed
and swapped in (:class:`ReadModelCopies`, adapters/read_model_copies.py); this module
drives every read model and backend the same way. Rows are compared by
projections/read_model_comparison.py.

Guarantees:
- :func:`~projections.replay.replay` (projections/replay.py) feeds the copies.
- The shadow copy approaches the live copy's position only from below (it chases the
  live tracking position, which only grows) and is aligned with it exactly, under the
  live writers' lock (:func:`rebuild`) or in the live snapshot (:func:`audit`). So a
  swapped-in copy has folded exactly the notifications the live copy had at the
  instant of the swap; the live projector carries on from there, skipping nothing and
  applying nothing twice. (Limits: see the adapters' module docstring.)
- :func:`rebuild_all` gives each model the same guarantee as :func:`rebuild`: the
  models are replayed together, each up to its own live position as it was when the
  replay began, then each is chased and swapped in alone, one after another.
- :func:`audit` compares one consistent snapshot of the live copy with a copy rebuilt
  to the snapshot's position, and changes nothing live.
- A failure changes nothing live of the model it hit (:func:`rebuild_all`: models
  swapped in before it stay swapped): the shadow copy is discarded, and the live copy
  is only ever replaced by a swap that commits as a whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Protocol

from domain.scorekeeper import Scorekeeper
from projections.follower import Projection
from projections.read_model_comparison import Comparison, RebuildError, Row, compare
from projections.replay import BATCH_SIZE, Progress, quiet, replay

CLOSE_ENOUGH = 1_000  # outside the lock, chase the live copy until this close
SWAP_ATTEMPTS = 3


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
    empty copy (the live store's class and schema, elsewhere); what the projection
    saves may be buffered, but :meth:`shadow_rows` and :meth:`swap` see all of it;
    :meth:`live_snapshot` yields the live position and rows of one consistent read;
    :meth:`swap` holds the live writers out while its body runs, yields the live
    position, and on a normal exit installs the shadow copy in place of the live one
    atomically (readers see the old copy or the new, never a mix), on an exception
    changes nothing; :meth:`discard_shadow` removes what is left of the shadow (any
    number of times).
    """

    name: str

    def live_position(self) -> int: ...
    def open_shadow(self) -> Projection: ...
    def shadow_rows(self) -> Iterator[Row]: ...
    def live_snapshot(self) -> AbstractContextManager[Listing]: ...
    def swap(self) -> AbstractContextManager[int]: ...
    def discard_shadow(self) -> None: ...
    def close(self) -> None: ...


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
        return _chase_and_swap(keeper, projection, copies, progress, batch_size)
    finally:
        copies.discard_shadow()


def rebuild_all(
    keeper: Scorekeeper,
    models: Sequence[ReadModelCopies],
    *,
    progress: Progress = quiet,
    each: Callable[[str], Progress] = lambda name: quiet,
    batch_size: int = BATCH_SIZE,
) -> Iterator[tuple[str, int]]:
    """Rebuild several read models over one reading of the log: (name, position
    swapped in at) as each is swapped in. ``progress`` follows the shared replay,
    ``each(name)`` a model's own catch-up and swap. A RebuildError stops the rest;
    the models already swapped in stay swapped."""
    shadows: list[tuple[ReadModelCopies, Projection]] = []
    try:
        for copies in models:
            shadows.append((copies, copies.open_shadow()))
        if shadows:
            stops = [copies.live_position() for copies in models]
            replay(
                keeper,
                [p for _, p in shadows],
                stop=stops,
                progress=progress,
                batch_size=batch_size,
            )
        for copies, projection in shadows:
            yield (
                copies.name,
                _chase_and_swap(keeper, projection, copies, each(copies.name), batch_size),
            )
            copies.discard_shadow()
    finally:
        for copies, _ in shadows:
            copies.discard_shadow()


def _chase_and_swap(
    keeper: Scorekeeper,
    projection: Projection,
    copies: ReadModelCopies,
    progress: Progress,
    batch_size: int,
) -> int:
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


__all__ = [
    "Comparison",
    "Listing",
    "ReadModelCopies",
    "RebuildError",
    "SwapBusy",
    "audit",
    "rebuild",
    "rebuild_all",
    "replay",
]
