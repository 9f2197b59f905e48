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
eventsourcing's own SQLite and PostgreSQL recorders the same rows in the same order
with equal Notifications made cheaper: each row unpacked rather than read by column
name (SQLite: each game's UUID made once), the frozen dataclass filled as the
library's mapper fills domain events (``object.__new__``, then its ``__dict__``).

PostgreSQL: the page's upper bound is applied after the query, never in it. The
library's query bounds ``notification_id`` on both sides, and where the events table
has no statistics (autovacuum off, or a log loaded in bulk since the last ANALYZE) the
planner guesses such a range holds 0.5 % of the table: it sorts the whole range on
disk for every page (1M events: about 1 s a page against 7 ms, 16.6 s for the log's
read against 6.1 s). ``notification_id >= start ORDER BY notification_id LIMIT n`` is
an index scan whatever the statistics; ``n`` is at most the ids left up to the bound
(``stop - start + 1``), so rows past it are read only where the log has gaps in its
ids, and dropped. Rows come in binary (the state as bytes, not hex text to decode):
4.4 s for that read, against 6.1 s in text.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.persistence import InterfaceError, Notification, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteProcessRecorder
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier


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
    if type(recorder) in (PostgresApplicationRecorder, PostgresProcessRecorder):
        return _postgres_reader(recorder, limit, stop)
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
            found.append(_notification(rowid, uuid, version, topic, state))
        return found

    return read


def _postgres_reader(
    recorder: PostgresApplicationRecorder, limit: int, stop: int
) -> Callable[[int], Sequence[Notification]]:
    """The PostgreSQL pages (see the module docstring): the library's rows, values and
    retries (``select_notifications``), its upper bound applied after the query."""
    statement = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state"
        " FROM {} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
    ).format(Identifier(recorder.datastore.schema, recorder.events_table_name))

    def read(start: int) -> Sequence[Notification]:
        wanted = min(limit, stop - start + 1)
        if wanted <= 0:
            return []
        with (
            recorder.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(statement, (start, wanted), prepare=True, binary=True)
            rows = curs.fetchall()
        found = []
        for notification_id, originator_id, version, topic, state in rows:
            if notification_id > stop:
                break
            found.append(_notification(notification_id, originator_id, version, topic, state))
        return found

    retried: Callable[[int], Sequence[Notification]] = retry(
        (InterfaceError, OperationalError), max_attempts=10, wait=0.2
    )(read)
    return retried


def _notification(
    notification_id: int, originator_id: Any, version: int, topic: str, state: bytes
) -> Notification:
    """A Notification equal to the library's, filled as its mapper fills domain events
    (``object.__new__``, then its ``__dict__``: the frozen dataclass's ``__init__`` sets
    each field by ``object.__setattr__``)."""
    notification = object.__new__(Notification)
    object.__setattr__(
        notification,
        "__dict__",
        {
            "originator_id": originator_id,
            "originator_version": version,
            "topic": topic,
            "state": bytes(state),
            "id": notification_id,
        },
    )
    return notification
