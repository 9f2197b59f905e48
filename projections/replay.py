"""Replay of the notification log into projections (the rebuild's and audit's feed).

Guarantees:
- :func:`replay` feeds notifications to projections in log order, in pages of
  ``batch_size`` (one ``process`` call per projection per page), never past ``stop``,
  with no per-event query of its own, each notification decoded as the store's mapper
  decodes it (projections/stored_event_decoding.py: the same domain event, by a
  cheaper way where that is exact). Several projections replayed together share
  one read and one decoding of each page; each is fed only the notifications after
  its own position. Pages are read as the recorder's ``select_notifications`` reads
  them (projections/log_pages.py ``notification_reader``: equal Notifications, made
  cheaper for eventsourcing's SQLite recorders); the next pages are read while one is
  folded (in a thread, projections/log_pages.py: the same pages in the same order).
  A projection that offers a fill by the database itself (projections/log_fills.py:
  what folding would write, e.g. the PostgreSQL history) is left out of the Python
  fold and filled from its position to its stop meanwhile, in a thread of its own
  (in the caller's when nothing else is replayed); its error is raised by the replay,
  and an error of the fold stops it after the part it is writing.
  Projections of games at the same position, fed the same part of a page, fold it together
  (projections/board_fold.py: each GameEvent built once, one board per game folded
  once for all), which presumes that projections at the same
  position hold equal boards: true of the fresh shadow copies a rebuild replays into.
- While replaying, the garbage collector leaves what earlier pages built alone
  (:func:`_collecting_each_page_only`); the process's collector settings are put back
  when the replay ends.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from domain.scorekeeper import Scorekeeper
from projections.board_fold import FoldingProjection, Recorded, fold_together, game_events
from projections.follower import Projection
from projections.log_fills import filling, log_fills
from projections.log_pages import notification_reader, pages_ahead
from projections.stored_event_decoding import StoredEventDecoder

BATCH_SIZE = 25_000  # notifications per replayed page
READ_AHEAD = 2  # pages read from the log while one is folded
YOUNG_OBJECTS = 100_000  # allocations between young collections while replaying

Progress = Callable[[int, int], None]  # (position reached, position aimed at)
PageItems = list[tuple[Any, int]]  # (domain event, notification id)


def quiet(position: int, target: int) -> None:
    """A progress callback that shows nothing."""


def _ahead(recorder: object, read_ahead: int) -> int:
    """No reader thread for SQLite: its reads are in-process, so reading ahead would only
    contend for the GIL (1M events, quiet machine: 22,084 events/s without, 20,152 with)."""
    return 0 if type(recorder).__module__.startswith("eventsourcing.sqlite") else read_ahead


def replay(
    keeper: Scorekeeper,
    projections: Projection | Sequence[Projection],
    *,
    stop: int | Sequence[int],
    progress: Progress = quiet,
    batch_size: int = BATCH_SIZE,
    read_ahead: int = READ_AHEAD,
) -> int:
    """Feed each projection the notifications after its own position up to its
    ``stop`` (inclusive; one for all, or one each), page by page, reading and decoding
    each page once for all, the next ``read_ahead`` pages read in a thread meanwhile
    (projections/log_pages.py), projections the database fills (projections/log_fills.py)
    filled meanwhile; the position reached (the lowest of the projections')."""
    group = [projections] if not isinstance(projections, Sequence) else list(projections)
    stops = [stop] * len(group) if isinstance(stop, int) else list(stop)
    recorder, decode = keeper.recorder, StoredEventDecoder(keeper.mapper).decode
    fills = log_fills(group, recorder, keeper.mapper)
    positions = [p.position() for p in group]
    position, last = min(positions), max(stops)
    progress(position, last)
    if position >= last:
        return position

    folded = [i for i in range(len(group)) if i not in fills]
    folded_at = min((positions[i] for i in folded), default=last)
    folded_to = max((stops[i] for i in folded), default=folded_at)

    def reached(position: int) -> int:
        filled = under_way.reached()
        return position if filled is None else min(position, filled)

    def filled(position: int) -> None:
        progress(min(folded_at, position), last)

    read = notification_reader(recorder, batch_size, folded_to)
    with (
        filling(fills, positions, stops, beside=bool(folded), progress=filled) as under_way,
        _collecting_each_page_only() as page_done,
        contextlib.closing(
            pages_ahead(read, folded_at, ahead=_ahead(recorder, read_ahead))
        ) as pages,
    ):
        for notifications in pages if folded_at < folded_to else ():
            page = [(decode(n), n.id) for n in notifications]
            first, end = page[0][1], page[-1][1]
            parts: dict[tuple[int, int], list[int]] = {}  # (after, upto) -> projections
            for index in folded:
                after, upto = positions[index], min(stops[index], end)
                if after < end and upto >= first:
                    parts.setdefault((after, upto), []).append(index)
            recorded = game_events(page, shared=False)  # (nothing else folds these)
            for (after, upto), indexes in parts.items():
                whole = after < first and end <= upto
                part = page if whole else [item for item in page if after < item[1] <= upto]
                if part:
                    shared = recorded if whole else [r for r in recorded if after < r[1] <= upto]
                    _process(group, indexes, part, shared)
                    for index in indexes:
                        positions[index] = part[-1][1]
            folded_at = end
            page_done()
            progress(reached(end), last)
            if end >= folded_to:
                break
    for index, filled_to in under_way.positions.items():
        positions[index] = filled_to
    return min(positions)


def _process(
    group: Sequence[Projection], indexes: Sequence[int], part: PageItems, recorded: Recorded
) -> None:
    """Feed one part of a page to the projections at ``indexes`` (all at the same
    position): those that fold boards (projections/board_fold.py) fold it together,
    one board per game for all, the rest each alone."""
    together: list[FoldingProjection] = []
    for index in indexes:
        projection = group[index]
        if isinstance(projection, FoldingProjection):
            together.append(projection)
        else:
            projection.process(part)
    if together:
        fold_together(together, part, recorded)


@contextlib.contextmanager
def _collecting_each_page_only() -> Iterator[Callable[[], None]]:
    """Keep the cyclic garbage collector to each page's new objects: after every page,
    what survived it (the projections' boards and buffers, long-lived by then) is set
    aside from collection (``gc.freeze``), and taken back at the end; the young
    generation is collected every YOUNG_OBJECTS allocations, not 700. Without it every
    full collection walks the whole replayed state again (measured: a quarter of the
    CPU of a rebuild of every model). Reference counting frees a page's garbage as
    usual; only cycles among set-aside objects wait for the end."""
    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *thresholds[1:])
    try:
        yield gc.freeze
    finally:
        gc.set_threshold(*thresholds)
        if frozen == 0:
            gc.unfreeze()
