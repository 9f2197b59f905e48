"""RecordingWorker: consumes the EventLog, orders each game's events, records them.

Guarantees:
- Nothing accepted is lost: the tracked log position only advances past a record
  once it is recorded, rejected (and kept) or found a duplicate; events held in the
  SequenceBuffer hold the position back, so after a crash they are read again.
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

from eventsourcing.persistence import Tracking

from domain.events import GameEvent, Verdict
from domain.feed_monitor import FeedMonitor
from domain.ports import EventLog, RejectedStore
from domain.scorekeeper import Scorekeeper
from domain.sequencing import SequenceBuffer

log = logging.getLogger("scoreline.recorder")

RecordedCallback = Callable[[Sequence[Verdict]], Awaitable[None]]
GapCallback = Callable[[str, int, int], Awaitable[None]]  # game id, first and last missing


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
    ) -> None:
        self.scorekeeper = scorekeeper
        self.event_log = event_log
        self.rejected = rejected
        self.batch_size = batch_size
        self.on_recorded = on_recorded
        self.clock = clock
        self.buffer: SequenceBuffer = SequenceBuffer(gap_timeout, scorekeeper.next_sequence)
        self.upstream = event_log.name
        self.tracked = scorekeeper.tracking_position(self.upstream) or 0
        self.consumed = self.tracked
        self.recorded_count = 0
        self.on_gap = on_gap
        self.monitor = monitor or FeedMonitor()
        self._received_at: dict[int, float] = {}  # log position -> when it was received
        self._gaps_asked: set[tuple[str, int, int]] = set()

    async def run(self) -> None:
        while True:
            await self.step()

    async def step(self, max_wait: float = 0.5) -> None:
        """Read what is there (waiting a little), record what may be recorded."""
        deadline = self.buffer.next_deadline()
        wait = max_wait if deadline is None else max(0.0, min(max_wait, deadline - self.clock()))
        batch = await self.event_log.read(self.consumed, self.batch_size, wait)
        now = self.clock()
        ready: list[tuple[GameEvent, int]] = []
        for item in batch:
            event = GameEvent.from_dict(json.loads(item.record.value))
            self._received_at[item.position] = item.record.received_at
            ready.extend(self.buffer.offer(event, item.position, now))
        if batch:
            self.consumed = batch[-1].position
        ready.extend(self.buffer.expire(now))
        await self._record(ready)
        await self._ask_for_missing()

    async def _ask_for_missing(self) -> None:
        """Ask once per open gap for the missing events (a provider's recovery call)."""
        if self.on_gap is None:
            return
        for game_id in self.buffer.waiting_games():
            for first, last in self.buffer.open_gaps(game_id):
                if (game_id, first, last) not in self._gaps_asked:
                    self._gaps_asked.add((game_id, first, last))
                    await self.on_gap(game_id, first, last)

    def _keep_refused(self, verdict: Verdict, event: GameEvent, position: int) -> None:
        log.warning(
            "event refused by recorder: %s",
            verdict.reason,
            extra={"game_id": event.game_id, "event_id": event.event_id},
        )
        self.rejected.keep(
            source="recorder",
            provider=event.provider,
            reason="conflict" if verdict.outcome == "conflict" else "rule",
            detail={
                "detail": verdict.reason,
                **verdict.extra,
                "game_id": event.game_id,
                "event_id": event.event_id,
                "log_position": position,
            },
            body=json.dumps(event.to_dict()).encode(),
            dedupe_key=f"{self.upstream}:{position}:{event.event_id}",
        )

    async def _record(self, ready: list[tuple[GameEvent, int]]) -> None:
        held = self.buffer.lowest_held_position()
        safe = self.consumed if held is None else held - 1
        if not ready and safe <= self.tracked:
            return
        events = [event for event, _ in ready]
        decision = await asyncio.to_thread(self.scorekeeper.decide, events)
        verdicts = decision.verdicts
        for verdict, (event, position) in zip(verdicts, ready, strict=True):
            if verdict.outcome in ("conflict", "rejected"):
                await asyncio.to_thread(self._keep_refused, verdict, event, position)
        tracking = Tracking(self.upstream, safe) if safe > self.tracked else None
        await asyncio.to_thread(self.scorekeeper.commit, decision, tracking)
        if tracking is not None:
            self.tracked = safe
        self.recorded_count += sum(1 for v in verdicts if v.outcome == "recorded")
        wall = time.time()
        for verdict, (event, position) in zip(verdicts, ready, strict=True):
            received_at = self._received_at.pop(position, wall)
            if verdict.outcome == "recorded":
                self.monitor.note_recorded(
                    event.provider, event.game_id, event.sequence_number, received_at, wall
                )
        if self.on_recorded is not None and verdicts:
            await self.on_recorded(verdicts)
