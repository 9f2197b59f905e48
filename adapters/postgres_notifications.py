"""Wake followers the moment the event store commits, by PostgreSQL LISTEN/NOTIFY.

eventsourcing's PostgreSQL recorder NOTIFYs its channel on every insert; this listens
on a connection of its own (a daemon thread) and calls ``wake`` for each notification.
A hint only: followers still poll, so a lost notification or connection costs latency,
never an event.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from adapters.postgres_schema import conninfo

log = logging.getLogger("scoreline.notifications")


class NotificationListener:
    def __init__(self, url: str, channel: str, wake: Callable[[], None]) -> None:
        self.url = url
        self.channel = channel
        self.wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)

    def start(self) -> NotificationListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo(self.url), autocommit=True) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5):
                            self.wake()
            except psycopg.Error as error:
                log.warning("LISTEN %s lost: %s; retrying", self.channel, error)
                time.sleep(1)
