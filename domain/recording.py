"""RecordingWorker: consumes the EventLog, orders each game's events, records them.

Guarantees, per log partition (all of a game's events share one):
- Nothing accepted is lost: the tracked position only advances past a record once it
  is recorded, refused (and kept) or found a duplicate; events held in the
  SequenceBuffer hold the position back, so after a crash or a rebalance they are
  read again. The position is stored in the same transaction as the events: one
  transaction per poll, holding every partition's events and position (see
  ``Scorekeeper.commit`` for a store that keeps one position per transaction).
- Nothing is doubled: re-read events are duplicates by ``event_id`` (Scorekeeper).
- Per game, events are recorded in ``sequence_number`` order, waiting at most the
  gap timeout for a missing one (then the gap is reported and recording goes on).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from eventsourcing.persistence import Tracking

from domain.events import GameEvent, Verdict
from domain.feed_monitor import FeedMonitor
from domain.ports import EventLog, LogConsumer, Positioned, RejectedStore
from domain.refused_records import keep_refused, keep_undecodable
from domain.scorekeeper import Scorekeeper
from domain.sequencing import Gap, SequenceBuffer

log = logging.getLogger("scoreline.recorder")

RETRY_FIRST, RETRY_MAX = 0.1, 5.0  # seconds between attempts after a failed step

RecordedCallback = Callable[[Sequence[Verdict]], Awaitable[None]]
GapCallback = Callable[[str, int, int], Awaitable[None]]  # game id, first and last missing


@dataclass
class PartitionState:
    buffer: SequenceBuffer
    tracked: int  # the position stored with the events
    consumed: int  # the last position read
    received_at: dict[int, float] = field(default_factory=dict)


@dataclass
class _PartitionWork:
    """What one poll has for one partition: the events released in order, and the
    position to store with them (the last one read, unless an event is held back)."""

    partition: int
    state: PartitionState
    released: list[tuple[GameEvent, int]]
    safe: int

    @property
    def advances(self) -> bool:
        """Whether the position to store is past the one stored."""
        return self.safe > self.state.tracked


def _released(work: Sequence[_PartitionWork]) -> list[tuple[_PartitionWork, tuple[GameEvent, int]]]:
    return [(item, pair) for item in work for pair in item.released]


class RecordingWorker:
    def __init__(
        self,
        scorekeeper: Scorekeeper,
        event_log: EventLog,
        rejected: RejectedStore,
        *,
        gap_timeout: float = 2.0,
        batch_size: int = 500,
        on_recorded: RecordedCallback | None = None,
        on_gap: GapCallback | None = None,
        monitor: FeedMonitor | None = None,
        clock: Callable[[], float] = time.monotonic,
        after_commit: Callable[[], object] | None = None,
    ) -> None:
        """``after_commit``: called on the recorder's thread right after each commit
        that recorded events, before ``on_recorded``: for a read model of the same
        process that should follow the store without a hand-off to another thread (the
        embedded game states). What it raises is logged, never the recording's failure:
        the events are committed, and its follower catches up on its own."""
        self.scorekeeper = scorekeeper
        self.event_log = event_log
        self.rejected = rejected
        self.gap_timeout = gap_timeout
        self.batch_size = batch_size
        self.on_recorded = on_recorded
        self.on_gap = on_gap
        self.after_commit = after_commit
        self.monitor = monitor or FeedMonitor()
        self.clock = clock
        self.partitions: dict[int, PartitionState] = {}
        self.recorded_count = 0
        self._gaps_asked: set[tuple[str, int, int]] = set()
        self.consumer: LogConsumer | None = None  # joins the consumer group on first step
        # Its own thread for deciding and committing (one batch at a time anyway): the
        # score path never queues for the loop's shared pool behind read-model folds.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="recorder")

    def upstream(self, partition: int) -> str:
        """The tracking name of a partition: what its position is stored under."""
        return f"{self.event_log.name}:{partition}"

    def _assigned(self, partitions: set[int]) -> dict[int, int]:
        # Another recorder may have written these partitions' games since this one
        # cached them: a Scorekeeper that trusts its cache must read them afresh.
        self.scorekeeper.forget()
        resume: dict[int, int] = {}
        for partition in partitions:
            tracked = self.scorekeeper.tracking_position(self.upstream(partition)) or 0
            buffer = SequenceBuffer(self.gap_timeout, self.scorekeeper.next_sequence)
            self.partitions[partition] = PartitionState(buffer, tracked, tracked)
            resume[partition] = tracked
        log.info("assigned partitions %s", sorted(partitions))
        return resume

    def _revoked(self, partitions: set[int]) -> None:
        for partition in partitions:
            self.partitions.pop(partition, None)  # held events are re-read by the next owner
        log.info("revoked partitions %s", sorted(partitions))

    async def run(self) -> None:
        """Step until cancelled. A step that fails (the store away, a commit refused)
        is not the end: the consumer is dropped, which gives its partitions back (held
        events and all), and a new one resumes each partition after its recorded
        position, ``RETRY_FIRST`` seconds later, doubling to ``RETRY_MAX`` while it
        keeps failing. Nothing of the failed poll was committed, so nothing is lost."""
        delay = RETRY_FIRST
        try:
            while True:
                try:
                    await self.step()
                except Exception:
                    log.exception("recording failed; resuming from the recorded positions")
                    self._start_over()
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX)
                else:
                    delay = RETRY_FIRST
        finally:
            if self.consumer is not None:
                self.consumer.close()

    def _start_over(self) -> None:
        """Forget all this member read since its positions: the next step rejoins."""
        if self.consumer is not None:
            consumer, self.consumer = self.consumer, None
            try:
                consumer.close()
            except Exception:
                log.exception("closing the log consumer failed")
        self.partitions.clear()
        self.scorekeeper.forget()

    async def step(self, max_wait: float = 0.5) -> None:
        """Read what is there (waiting a little), record what may be recorded."""
        deadlines = [d for s in self.partitions.values() if (d := s.buffer.next_deadline())]
        wait = max_wait if not deadlines else max(0.0, min(max_wait, min(deadlines) - self.clock()))
        if self.consumer is None:
            self.consumer = self.event_log.consumer(self._assigned, self._revoked)
        batch = await self.consumer.poll(self.batch_size, wait)
        now = self.clock()
        ready: dict[int, list[tuple[GameEvent, int]]] = {}
        undecodable: list[tuple[Positioned, Exception]] = []
        for item in batch:
            state = self.partitions.get(item.partition)
            if state is None:
                continue
            try:
                event = GameEvent.from_dict(json.loads(item.record.value))
            except Exception as error:  # kept as it came (below); the position moves on
                undecodable.append((item, error))
                state.consumed = item.position
                continue
            state.received_at[item.position] = item.record.received_at
            ready.setdefault(item.partition, []).extend(
                state.buffer.offer(event, item.position, now)
            )
            state.consumed = item.position
        if undecodable:  # kept before any position past them is stored
            await asyncio.get_running_loop().run_in_executor(
                self._thread, keep_undecodable, self.rejected, self.upstream, undecodable
            )
        work: list[_PartitionWork] = []
        for partition, state in list(self.partitions.items()):
            released = ready.get(partition, []) + state.buffer.expire(now)
            held = state.buffer.lowest_held_position()
            safe = state.consumed if held is None else held - 1
            part = _PartitionWork(partition, state, released, safe)
            if released or part.advances:
                work.append(part)
        if work:
            await self._record(work)
        await self._ask_for_missing()

    async def _record(self, work: list[_PartitionWork]) -> None:
        """Record every partition's released events and store their positions: one
        commit for all of them, on the recorder's thread."""
        released = _released(work)
        verdicts = await asyncio.get_running_loop().run_in_executor(
            self._thread, self._decide_and_commit, work, released
        )
        wall = time.time()
        for item in work:
            if item.advances:
                item.state.tracked = item.safe
        for verdict, (item, (event, position)) in zip(verdicts, released, strict=True):
            received_at = item.state.received_at.pop(position, wall)
            if verdict.outcome == "recorded":
                self.recorded_count += 1
                self.monitor.note_recorded(
                    event.provider, event.game_id, event.sequence_number, received_at, wall
                )
        if self.on_recorded is not None and verdicts:
            await self.on_recorded(verdicts)

    def _decide_and_commit(
        self,
        work: list[_PartitionWork],
        released: list[tuple[_PartitionWork, tuple[GameEvent, int]]],
    ) -> list[Verdict]:
        """Decide, keep what is refused, then commit the rest with the positions: one
        trip to a worker thread, one transaction, for the whole poll. (A game's events
        are all on one partition, so deciding the partitions' events together judges
        each game's in its own order.)"""
        events = [event for _, (event, _) in released]
        received = [item.state.received_at.get(position) for item, (_, position) in released]
        decision = self.scorekeeper.decide(events, received)
        for verdict, (item, (event, position)) in zip(decision.verdicts, released, strict=True):
            if verdict.outcome in ("conflict", "rejected"):
                keep_refused(self.rejected, self.upstream, item.partition, verdict, event, position)
        trackings = [
            Tracking(self.upstream(item.partition), item.safe) for item in work if item.advances
        ]
        self.scorekeeper.commit(decision, trackings)
        if self.after_commit is not None and any(
            v.outcome == "recorded" for v in decision.verdicts
        ):
            try:
                self.after_commit()
            except Exception:
                log.exception("after-commit call failed; its follower will catch up")
        return decision.verdicts

    async def _ask_for_missing(self) -> None:
        """Ask once per open gap for the missing events (a provider's recovery call)."""
        if self.on_gap is None:
            return
        for state in list(self.partitions.values()):
            for game_id in state.buffer.waiting_games():
                for first, last in state.buffer.open_gaps(game_id):
                    if (game_id, first, last) not in self._gaps_asked:
                        self._gaps_asked.add((game_id, first, last))
                        await self.on_gap(game_id, first, last)

    # ---------------------------------------------------------------- reports
    def open_gaps(self, game_id: str) -> list[tuple[int, int]]:
        return [g for s in self.partitions.values() for g in s.buffer.open_gaps(game_id)]

    def gaps_waited_out(self) -> list[Gap]:
        return [g for s in self.partitions.values() for g in s.buffer.gaps]

    def held_count(self) -> int:
        return sum(s.buffer.held_count() for s in self.partitions.values())
