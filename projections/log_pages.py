"""Pages of the notification log, read ahead in a thread while the caller works.

A rebuild folds one page while the database would sit idle, then waits for the next
page while its own process sits idle. :func:`pages_ahead` reads the next pages in a
thread of its own (the database driver releases the GIL while it waits), so the two
overlap.

Guarantees of :func:`pages_ahead`:
- It yields exactly the pages the plain loop would (``read(start)`` from
  ``after + 1``, each next page starting after the last id of the one before, until
  an empty page), in that order, each page as ``read`` returned it.
- At most ``ahead`` pages are held that the caller has not taken (and one being read).
  With ``ahead`` 0 it is the plain loop itself, in the caller's thread (a reader
  thread only pays off when reads wait on a server: an in-process SQLite read would
  just contend for the GIL).
- An exception raised by ``read`` is raised to the caller in place of the page that
  failed, after every page before it; nothing is read after it.
- When the caller stops early (``close``, an exception, the generator dropped), the
  reader is stopped and joined before the generator finishes: no read is left running.

:func:`notification_reader` reads the pages: ``recorder.select_notifications``, or for
eventsourcing's own SQLite recorders the same query (same transaction, same rows, in
the same order) with equal Notifications made cheaper: each row unpacked rather than
read by column name, each game's UUID made once, the frozen dataclass filled as the
library's mapper fills domain events (``object.__new__``, then its ``__dict__``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteProcessRecorder


class Identified(Protocol):
    @property
    def id(self) -> int: ...


N = TypeVar("N", bound=Identified)

AHEAD = 2  # pages read ahead of the caller
UUIDS_KEPT = 100_000  # originator ids remembered by a SQLite reader


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def pages_ahead(
    read: Callable[[int], Sequence[N]], after: int, *, ahead: int = AHEAD
) -> Generator[Sequence[N], None, None]:
    """The pages of the log after ``after``, read ahead (see the module docstring)."""
    if ahead < 0:
        raise ValueError("ahead must be at least 0")
    if ahead == 0:
        start = after + 1
        while page := read(start):
            yield page
            start = page[-1].id + 1
        return
    ready: queue.Queue[Sequence[N] | _Failed] = queue.Queue(maxsize=ahead)
    stopping = threading.Event()

    def hand_over(item: Sequence[N] | _Failed) -> bool:
        while not stopping.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        start = after + 1
        while not stopping.is_set():
            try:
                page = read(start)
            except BaseException as error:  # handed to the caller, raised there
                hand_over(_Failed(error))
                return
            if not hand_over(page) or not page:
                return
            start = page[-1].id + 1

    thread = threading.Thread(target=reader, name="log-pages-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if isinstance(item, _Failed):
                raise item.error
            if not item:
                return
            yield item
    finally:
        stopping.set()
        thread.join()


def notification_reader(
    recorder: Any, limit: int, stop: int
) -> Callable[[int], Sequence[Notification]]:
    """``read(start)``: ``recorder.select_notifications(start, limit, stop=stop)`` (see
    the module docstring)."""
    if type(recorder) not in (SQLiteApplicationRecorder, SQLiteProcessRecorder) or (
        recorder.datastore.originator_id_type != "uuid"
    ):
        return lambda start: recorder.select_notifications(start, limit, stop=stop)
    statement = (
        "SELECT rowid, originator_id, originator_version, topic, state"
        f" FROM {recorder.events_table_name} WHERE rowid>=? AND rowid<=? ORDER BY rowid LIMIT ?"
    )
    datastore = recorder.datastore
    uuids: dict[str, UUID] = {}

    def read(start: int) -> Sequence[Notification]:
        with datastore.transaction(commit=False) as c:
            c.execute(statement, (start, stop, limit))
            rows = c.fetchall()
        if len(uuids) > UUIDS_KEPT:
            uuids.clear()
        found = []
        for rowid, originator_id, version, topic, state in rows:
            uuid = uuids.get(originator_id)
            if uuid is None:
                uuid = uuids[originator_id] = UUID(originator_id)
            notification = object.__new__(Notification)
            object.__setattr__(
                notification,
                "__dict__",
                {
                    "originator_id": uuid,
                    "originator_version": version,
                    "topic": topic,
                    "state": state,
                    "id": rowid,
                },
            )
            found.append(notification)
        return found

    return read
