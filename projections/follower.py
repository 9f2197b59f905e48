"""LogFollower: feeds the event store's notification log to a projection.

Guarantees: notifications are processed in log order, each exactly once (the
projection saves its position with its writes); updates are published only after
they are committed. A batch that fails with a database error another connection may
not have (OperationalError, InterfaceError: a restart, a failover) is read again
after a wait (0.1 s, doubling to 5 s): :meth:`LogFollower.run` outlives the outage.
Works on every eventsourcing backend by polling ``select_notifications``, woken early
by :meth:`poke` when this process records (a follower given a ``linger`` then waits
that long, to fold more in one batch).
The followers of one Scorekeeper share the decoding of what they read
(:class:`DecodedNotifications`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Mapper,
    Notification,
    OperationalError,
)

from domain.scorekeeper import Scorekeeper
from projections.game_state import StateUpdate
from projections.stored_event_decoding import StoredEventDecoder

log = logging.getLogger("scoreline.projector")

Publish = Callable[[Sequence[StateUpdate]], Awaitable[None]]


class Projection(Protocol):
    """A read model fed from the notification log, with its own tracking position."""

    name: str

    def position(self) -> int: ...

    def process(self, batch: Sequence[tuple[Any, int]]) -> Sequence[Any]:
        """Fold (domain event, notification id) pairs and save them with the last id."""
        ...


# Notifications a follower reads at most per batch. A batch writes each game it touches
# once (its board, its rows), so a follower catching up does less per event the more
# events of a game a batch holds: 2,000 against 500 took the fleet projector from ~0.19
# to ~0.15 ms of CPU an event (BENCHMARKS.md, "2026-12-03 14:23-14:54 UTC"). At a live pace batches
# hold what arrived since the last, far fewer.
BATCH_SIZE = 2_000
LINGER_SLACK = 2.0  # seconds a lingering follower's batch may take (see lingering_at_head)
RETRY_WAIT, RETRY_WAIT_MAX = 0.1, 5.0  # seconds after a failed batch (doubling)
DECODED_KEPT = 20_000  # notifications kept decoded for the next follower to read them


class DecodedNotifications:
    """Domain events of the latest notifications, decoded once for every follower.

    All the read models of a process follow the same log a moment apart, and decoding
    a notification costs more than reading it: the latest ``DECODED_KEPT`` decoded
    events are kept by notification id (a notification's event never changes) and
    shared; followers only read them.
    """

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        self._decode = StoredEventDecoder(mapper).decode  # = mapper.to_domain_event, cheaper
        self._events: dict[int, Any] = {}
        self._lock = threading.Lock()

    def decode(self, notifications: Sequence[Notification]) -> list[tuple[Any, int]]:
        events, found = self._events, []
        for n in notifications:
            event = events.get(n.id)
            if event is None:
                event = self._decode(n)
                with self._lock:
                    events[n.id] = event
                    while len(events) > DECODED_KEPT:
                        del events[next(iter(events))]
            found.append((event, n.id))
        return found


_DECODED: weakref.WeakKeyDictionary[Scorekeeper, DecodedNotifications] = weakref.WeakKeyDictionary()
_DECODED_LOCK = threading.Lock()


def decoded_notifications(scorekeeper: Scorekeeper) -> DecodedNotifications:
    """The decoder every follower of this Scorekeeper's log shares."""
    with _DECODED_LOCK:
        decoded = _DECODED.get(scorekeeper)
        if decoded is None:
            decoded = _DECODED[scorekeeper] = DecodedNotifications(scorekeeper.mapper)
        return decoded


class LogFollower:
    def __init__(
        self,
        scorekeeper: Scorekeeper,
        projection: Projection,
        publish: Publish | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        poll_interval: float = 0.5,
        linger: float = 0.0,
        breather: float = 0.0,
    ) -> None:
        """``linger``: once woken, wait that long before reading, so that what is
        recorded meanwhile is folded in the same batch (for read models off the
        fans' path: fewer, larger transactions for a bounded delay).

        ``breather``: after each batch, wait that many times the batch's own time
        before the next (0: none). For read models off the fans' path in a process
        that also serves the fans: their folds hold the GIL in stretches no longer than
        one batch, with gaps the fans' path gets the GIL in at once (a CPU-bound
        thread makes every other thread wait up to the switch interval for the GIL
        after each of its system calls)."""
        self.scorekeeper = scorekeeper
        self.projection = projection
        self.publish = publish
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.linger = linger
        self.breather = breather
        self._wake = asyncio.Event()
        self._more = False  # the last batch was full (or cut short): read again at once
        # Its own thread (batches are one at a time anyway): a follower never waits for
        # a free worker of the loop's shared pool behind the other read models' folds.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"follower:{projection.name}")
        self.decoded = decoded_notifications(scorekeeper)
        self.position = projection.position()
        self._batch_lock = threading.Lock()  # one batch at a time, on whichever thread
        self._folded: deque[list[Any]] = deque()  # folded batches' updates, to publish
        self._publishing = asyncio.Lock()  # one publisher at a time, in folding order
        self._read_asked = False  # poked since the last read
        self._retry_wait = 0.0  # after a failed batch: the wait before the next try
        # time.monotonic() when a read last found the head (a batch not full, or none)
        self.reached_head_at: float | None = None

    def lingering_at_head(self, now: float) -> bool:
        """Whether this follower is behind the head only because it lingers: its last
        read found the head less than ``linger`` + ``poll_interval`` + LINGER_SLACK
        seconds before ``now`` (time.monotonic()). Never for a follower without linger."""
        at = self.reached_head_at
        if self.linger <= 0 or at is None:
            return False
        return now - at <= self.linger + self.poll_interval + LINGER_SLACK

    def resume_from_store(self) -> None:
        """Take the position the projection has stored: call it on becoming the writer
        (a standby's remembered position is stale; another writer moved it on)."""
        self.position = self.projection.position()

    def poke(self) -> None:
        """Something new may be in the log: read it (thread-safe only from the loop)."""
        self._read_asked = True
        self._wake.set()

    def fold_now(self) -> int:
        """Process one batch on the calling thread; return how many notifications it held.

        For the embedded recorder, right after its commit: the game states are folded
        on its thread instead of after a hand-off to this follower's. Then, from the
        loop, :meth:`wake_to_publish` (not :meth:`poke`). Thread-safe: batches never
        overlap, whichever threads run them, and their updates are published in the
        order they were folded. If it raises, the next wake reads again."""
        try:
            return self._process_batch()
        except BaseException:
            self._read_asked = True
            raise

    def wake_to_publish(self) -> None:
        """After :meth:`fold_now`: publish what was folded, and read nothing more unless
        that batch was full or failed (or the follower is poked meanwhile)."""
        if self._more:
            self._read_asked = True
        self._wake.set()

    async def run(self) -> None:
        """Process batches for ever. After a batch that was not full, wait for a poke
        (or the poll interval) before reading again: a poke during the batch is kept,
        so nothing recorded meanwhile waits for the poll. A wake by :meth:`fold_now`
        (:meth:`wake_to_publish`) publishes what was folded and reads nothing."""
        loop = asyncio.get_running_loop()
        read = True
        while True:
            if not read:
                await self._publish_folded()
            else:
                started = loop.time()
                self._read_asked = False
                if not await self._step_or_wait():
                    continue
                if self.breather > 0:
                    await asyncio.sleep((loop.time() - started) * self.breather)
                if self._more:
                    continue
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel
            # that arrives as the event fires, and shutdown would hang.
            timed_out = False
            try:
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            except TimeoutError:
                timed_out = True
            self._wake.clear()
            read = timed_out or self._read_asked
            if self._read_asked and self.linger > 0:
                await asyncio.sleep(self.linger)

    async def _step_or_wait(self) -> bool:
        """One batch; on a database error that another connection may not have (a
        connection killed by a restart, a failover, the pool timing out), wait and say
        so: the batch is read again (nothing of it was kept, see ``_process_batch``)."""
        try:
            await self.step()
        except (OperationalError, InterfaceError) as error:
            self._retry_wait = min(RETRY_WAIT_MAX, max(RETRY_WAIT, 2 * self._retry_wait))
            log.warning(
                "%s: the store failed (%s); reading the batch again in %.1f s",
                *(self.projection.name, error, self._retry_wait),
            )
            await asyncio.sleep(self._retry_wait)
            return False
        self._retry_wait = 0.0
        return True

    async def step(self) -> int:
        """Process one batch; return how many notifications it held."""
        loop = asyncio.get_running_loop()
        count = await loop.run_in_executor(self._thread, self._process_batch)
        await self._publish_folded()
        return count

    async def _publish_folded(self) -> None:
        """Publish what was folded, batch after batch, in the order they were folded."""
        async with self._publishing:
            while self._folded:
                updates = self._folded.popleft()
                if self.publish is not None:
                    await self.publish(updates)

    def _process_batch(self) -> int:
        with self._batch_lock:
            notifications = self.scorekeeper.recorder.select_notifications(
                self.position + 1, self.batch_size
            )
            read_at = time.monotonic()
            self._more = len(notifications) >= self.batch_size
            if not notifications:
                self.reached_head_at = read_at
                return 0
            batch = self.decoded.decode(notifications)
            try:
                updates = self.projection.process(batch)
            except IntegrityError:
                # Another writer got there first (two projectors, briefly): resume after it.
                self.position = self.projection.position()
                self._more = True
                log.warning(
                    "projection position moved by another writer; resuming at %s", self.position
                )
                return 1
            self.position = notifications[-1].id
            if not self._more:
                self.reached_head_at = read_at  # (the head as it was read, now folded)
            if updates and self.publish is not None:
                self._folded.append(list(updates))
            return len(notifications)

    async def catch_up(self) -> None:
        """Process until the projection has reached the head of the log."""
        while await self.step():
            pass
