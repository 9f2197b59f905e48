"""The process's one write-behind thread (projections/write_behind.py ``background``).

Guarantees of :class:`WriteBehindThread`: writes run one at a time, in the order they
were submitted (from any thread); each one's Future gets its result or its exception;
a run of writes found queued back to back runs inside one ``records_shared``
(domain/scoreboard_record.py), so a board saved by several stores and written in the
same run is made into its record and JSON once; the callers promise that what they
hand over is never changed afterwards. The thread starts with the first write and is
a daemon: callers wait for their Futures before they rely on a write.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from domain.scoreboard_record import records_shared


class WriteBehindThread:
    """One thread running the writes handed to it, in order; a run of writes queued
    back to back shares one ``records_shared`` (saved boards never change)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Future[None], Callable[[], None]]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, write: Callable[[], None]) -> Future[None]:
        done: Future[None] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="write-behind", daemon=True)
                self._thread.start()
            self._queue.put((done, write))
        return done

    def _run(self) -> None:
        while True:
            task = self._queue.get()
            with records_shared():
                while True:
                    done, write = task
                    if done.set_running_or_notify_cancel():
                        try:
                            write()
                        except BaseException as error:
                            done.set_exception(error)
                        else:
                            done.set_result(None)
                    try:
                        task = self._queue.get_nowait()
                    except queue.Empty:
                        break


WRITER = WriteBehindThread()  # the process's one
