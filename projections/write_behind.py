"""Write-behind buffers in front of a shadow read model while it is rebuilt: the
mechanism (:class:`WriteBehindBuffer`, :class:`PendingWrites`); each model's buffer is
in projections/buffered_stores.py.

A rebuild replays the whole log into a fresh copy that nothing else reads or writes
until it is swapped in. Saving each page of notifications as it is folded would read
every touched game back from the store and write it again, page after page; these
buffers keep what the projection saved in memory instead, answer its reads from
there, and write it to the store in one transaction every ``flush_every``
notifications (each game, table or season line once, at its latest state) and on
:meth:`flush`.

Guarantees (each buffer implements its store's Protocol, for one writer):
- :meth:`save` refuses a position not above the buffered one (IntegrityError), as
  the stores do.
- Reads return what was saved last, buffered or stored, as fresh objects the caller
  may change; a key never saved is looked up in the store once.
- After :meth:`flush` the store holds exactly what the saves so far would have left
  in it, with the last position saved; nothing is written between flushes, so a
  failure loses only buffered work of a copy that is discarded anyway.
- Memory: what is cached is dropped after a flush once it holds more than
  ``max_cached`` keys (reads then go to the store again).
- ``fresh``: the store held nothing when the buffer was made (a shadow copy just
  created), so a key never saved is known absent without asking the store, until
  the cache is first dropped.
- ``background``: a flush that a save makes due is written by the process's one
  write-behind thread while the caller goes on (one write at a time, every buffer's
  in the order they were handed over, a run of them inside one ``records_shared``
  of domain/scoreboard_record.py: a board saved by several read models and flushed
  at the same position is turned into its record and JSON once); the next
  save that makes a flush due, any read of the store, and :meth:`flush` first wait
  for it, and raise its error if it failed. So :meth:`flush` still returns with
  everything written. The values saved must not be changed afterwards (the folds of
  projections/board_fold.py never change a saved board; tables and season lines are
  frozen). For a store whose connections may be used from another thread
  (PostgreSQL's pool), not SQLite's.

Not for live read models: another writer's changes would go unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from concurrent.futures import Future
from typing import Any, Generic, Protocol, TypeVar

from eventsourcing.persistence import IntegrityError, Tracking

from projections.write_behind_thread import WRITER

FLUSH_EVERY = 250_000  # notifications between writes to the store
MAX_CACHED = 50_000  # keys kept in memory after a flush

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")


class Tracked(Protocol):
    def max_tracking_id(self, application_name: str) -> int | None: ...


class ShadowBuffer(Protocol):
    def flush(self) -> None:
        """Write everything buffered to the store, with the last position saved."""
        ...

    def close(self) -> None:
        """Wait for any write in the background (raising its error)."""
        ...


class PendingWrites(Generic[K, V]):
    """Last saved values by key (None: known absent), and the keys saved since the
    flush; ``complete``: every stored key is in ``known`` (a fresh store, until the
    first drop)."""

    def __init__(self, complete: bool = False) -> None:
        self.known: dict[K, V | None] = {}
        self.dirty: dict[K, V] = {}
        self.complete = complete

    def put(self, key: K, value: V) -> None:
        self.known[key] = self.dirty[key] = value

    def get(self, key: K, load: Callable[[], V | None]) -> V | None:
        if key not in self.known:
            self.known[key] = None if self.complete else load()
        return self.known[key]

    def unknown(self, keys: Collection[K]) -> list[K]:
        """The keys to look up in the store (none, if the cache is complete)."""
        missing = [k for k in keys if k not in self.known]
        if self.complete:
            self.known.update(dict.fromkeys(missing))
            return []
        return missing

    def flushed(self, max_cached: int) -> dict[K, V]:
        """The keys saved since the last flush (taken away: a new ``dirty`` begins)."""
        written, self.dirty = self.dirty, {}
        if len(self.known) > max_cached:
            self.known, self.complete = {}, False
        return written


class WriteBehindBuffer:
    """Position bookkeeping and the writing of flushes, shared by the buffers."""

    def __init__(
        self, store: Tracked, flush_every: int, max_cached: int, fresh: bool, background: bool
    ) -> None:
        self._tracked, self.flush_every, self.max_cached = store, flush_every, max_cached
        self.fresh, self.background = fresh, background
        self.tracking: Tracking | None = None
        self.flushed_at = 0
        self._writing: Future[None] | None = None
        self._failure: BaseException | None = None

    def max_tracking_id(self, application_name: str) -> int | None:
        if self.tracking is not None and self.tracking.application_name == application_name:
            return self.tracking.notification_id
        if self.fresh and self.tracking is None:
            return None
        self.settle()
        return self._tracked.max_tracking_id(application_name)

    def settle(self) -> None:
        """Wait for the write in the background, if any; raise the error of any
        write that failed (every time: nothing is written after a failed write)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            try:
                writing.result()
            except BaseException as error:
                self._failure = error
        if self._failure is not None:
            raise self._failure

    def flush(self) -> None:
        """Write everything buffered to the store, with the last position saved."""
        self._flush(behind=False)

    def _flush(self, *, behind: bool) -> None:
        self.settle()
        tracking = self.pending()
        if tracking is None:
            return
        save = self._take()
        self.done()
        if behind and self.background:
            self._writing = WRITER.submit(lambda: save(tracking))
            return
        try:
            save(tracking)
        except BaseException as error:
            self._failure = error
            raise

    def _settled(self, read: Callable[..., R], *args: Any) -> R:
        """``read(*args)`` of the store, once no write is running."""
        self.settle()
        return read(*args)

    def _take(self) -> Callable[[Tracking], None]:
        """Take what was saved since the last flush: the write of it, with a position."""
        raise NotImplementedError

    def close(self) -> None:
        """Wait for the background write, if any (raising its error)."""
        self.settle()

    def check(self, tracking: Tracking) -> None:
        stored = self.max_tracking_id(tracking.application_name) or 0
        if tracking.notification_id <= stored:
            raise IntegrityError(f"position {tracking.notification_id} not above {stored}")
        if self.tracking is None:
            self.flushed_at = stored
        self.tracking = tracking

    def due(self) -> bool:
        assert self.tracking is not None
        return self.tracking.notification_id - self.flushed_at >= self.flush_every

    def pending(self) -> Tracking | None:
        """The position to write with the next flush (None: nothing new)."""
        if self.tracking is None or self.tracking.notification_id == self.flushed_at:
            return None
        return self.tracking

    def done(self) -> None:
        assert self.tracking is not None
        self.flushed_at = self.tracking.notification_id
