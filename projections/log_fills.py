"""Projections whose copy the database fills from the log by itself, beside the fold.

A projection may offer a :class:`LogFill` for a given event store (``log_fill(recorder,
mapper)``; None when it cannot be exact there): the database writes what folding the
notifications would write (e.g. adapters/postgres_history_fill.py), so the rebuild's
replay (projections/replay.py) leaves that projection out of its Python fold and
runs the fill in a thread of its own meanwhile (:func:`filling`), the database doing
the work while the fold holds the GIL.

Guarantees:
- :meth:`LogFill.fill` writes into the projection's copy exactly what folding the
  notifications in (``after``, ``upto``] would, committing its position with each part
  it writes, and returns the position reached: the last notification id at or below
  ``upto`` (``after`` if there is none), as the replay's own pages reach; after it the
  projection's ``position()`` is that position.
- :func:`filling` runs the fills one after another, each from its projection's
  position to its stop: in the caller's thread when ``beside`` is False (progress
  reported as each part commits), else in one thread while the caller's body runs;
  leaving the body it waits for the thread (``wait``, reporting progress meanwhile)
  and raises its error, if any. When the body raises, the thread is told to stop
  after the part it is writing and is joined before the error goes on: no fill is
  left running.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol


class LogFill(Protocol):
    def fill(self, after: int, upto: int, progress: Callable[[int], None]) -> int:
        """Fill (``after``, ``upto``]; the position reached (module docstring)."""
        ...


def store_fill(store: Any, recorder: Any, mapper: Any, upstream: str) -> LogFill | None:
    """The fill a projection's store offers (its ``log_fill(recorder, mapper,
    upstream)``) for this event store; None when it offers none or cannot be exact."""
    offer = getattr(store, "log_fill", None)
    fill: LogFill | None = offer(recorder, mapper, upstream) if offer is not None else None
    return fill


def log_fills(projections: Sequence[Any], recorder: Any, mapper: Any) -> dict[int, LogFill]:
    """The fills the projections offer for this event store, by index."""
    found: dict[int, LogFill] = {}
    for index, projection in enumerate(projections):
        offer = getattr(projection, "log_fill", None)
        fill = offer(recorder, mapper) if offer is not None else None
        if fill is not None:
            found[index] = fill
    return found


class FlushedFirst:
    """A store's LogFill run behind its write-behind buffer: the buffer flushed before
    (``flush``), told the position the fill reached after (``filled``)."""

    def __init__(
        self, fill: LogFill, flush: Callable[[], None], filled: Callable[[int], None]
    ) -> None:
        self._fill, self._flush, self._filled = fill, flush, filled

    def fill(self, after: int, upto: int, progress: Callable[[int], None]) -> int:
        self._flush()
        reached = self._fill.fill(after, upto, progress)
        if reached > after:
            self._filled(reached)
        return reached


class _Stopped(Exception):
    pass


class Filling:
    """The fills under way (see :func:`filling`): each one's position as it goes."""

    def __init__(self, fills: Mapping[int, LogFill], positions: Sequence[int]) -> None:
        self.fills = dict(fills)
        self.positions = {index: positions[index] for index in fills}
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def reached(self) -> int | None:
        """The lowest position of the fills (None: there are none)."""
        return min(self.positions.values(), default=None)

    def run(self, stops: Sequence[int], progress: Callable[[int], None]) -> None:
        for index, fill in self.fills.items():

            def moved(position: int, index: int = index) -> None:
                self.positions[index] = position
                progress(min(self.positions.values()))
                if self.stopping.is_set():
                    raise _Stopped

            if self.positions[index] < stops[index]:
                self.positions[index] = fill.fill(self.positions[index], stops[index], moved)
                progress(min(self.positions.values()))


@contextlib.contextmanager
def filling(
    fills: Mapping[int, LogFill],
    positions: Sequence[int],
    stops: Sequence[int],
    *,
    beside: bool,
    progress: Callable[[int], None] = lambda position: None,
) -> Iterator[Filling]:
    """Run the fills (see the module docstring); yields their positions."""
    under_way = Filling(fills, positions)
    if not beside or not fills:
        under_way.run(stops, progress)
        yield under_way
        return

    def run() -> None:
        try:
            under_way.run(stops, lambda position: None)
        except _Stopped:
            pass
        except BaseException as error:  # raised in the caller's thread
            under_way.error = error

    thread = threading.Thread(target=run, name="log-fill", daemon=True)
    thread.start()
    try:
        yield under_way
    except BaseException:
        under_way.stopping.set()
        thread.join()
        raise
    while thread.is_alive():
        thread.join(0.2)
        progress(min(under_way.positions.values()))
    progress(min(under_way.positions.values()))
    if under_way.error is not None:
        raise under_way.error


__all__ = ["Filling", "FlushedFirst", "LogFill", "filling", "log_fills"]
