"""Ingestion: takes normalised events from any provider transport into the EventLog.

Guarantees:
- A delivery is all or nothing: if any event is refused (conflict or a rule that can
  be judged without order), nothing of it is appended.
- :meth:`accept` returns only once the accepted events are durable in the log.
- Already-recorded events with the same content are acknowledged as ``duplicate``
  and not appended again; so are repeats within one delivery.
Transports (webhook, TCP feed) parse and authenticate, then call this.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from domain.events import GameEvent
from domain.feed_monitor import FeedMonitor
from domain.ports import EventLog, LogRecord
from domain.scorekeeper import Scorekeeper


@dataclass(frozen=True)
class Outcome:
    event_id: str
    outcome: str  # "accepted" | "duplicate"


class DeliveryRefused(Exception):
    """The delivery is refused; ``index`` and ``field`` say where, ``kind`` why."""

    def __init__(self, kind: str, index: int, field: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind  # "conflict" | "invalid"
        self.index = index
        self.field = field
        self.detail = detail


class Ingestion:
    def __init__(
        self, scorekeeper: Scorekeeper, event_log: EventLog, monitor: FeedMonitor | None = None
    ) -> None:
        self.scorekeeper = scorekeeper
        self.event_log = event_log
        self.monitor = monitor or FeedMonitor()

    async def accept(self, events: Sequence[GameEvent]) -> list[Outcome]:
        if self.scorekeeper.sole_writer and self.scorekeeper.has_cached(events):
            # Every game is in the trusted cache: judging them is memory work only,
            # cheaper than the trip to a worker thread (and no wait for a free one).
            verdicts = self.scorekeeper.classify(events)
        else:
            verdicts = await asyncio.to_thread(self.scorekeeper.classify, events)
        seen: dict[tuple[str, str], GameEvent] = {}  # fingerprints only for repeats
        fresh: list[GameEvent] = []
        outcomes: list[Outcome] = []
        for index, (event, verdict) in enumerate(zip(events, verdicts, strict=True)):
            if verdict.outcome == "conflict":
                raise DeliveryRefused("conflict", index, "event_id", verdict.reason)
            if verdict.outcome == "rejected":
                field = str(verdict.extra.get("field", ""))
                raise DeliveryRefused("invalid", index, field, verdict.reason)
            key = (event.game_id, event.event_id)
            if key in seen:
                if seen[key].fingerprint() != event.fingerprint():
                    detail = (
                        f"event {event.event_id!r} appears twice in the delivery "
                        "with different content"
                    )
                    raise DeliveryRefused("conflict", index, "event_id", detail)
                outcomes.append(Outcome(event.event_id, "duplicate"))
                continue
            seen[key] = event
            if verdict.outcome == "duplicate":
                outcomes.append(Outcome(event.event_id, "duplicate"))
                continue
            fresh.append(event)
            outcomes.append(Outcome(event.event_id, "accepted"))
        now = time.time()
        for event in events:
            self.monitor.note_received(event.provider, event.game_id, now)
        if fresh:
            await self.event_log.append(
                [LogRecord(e.game_id, json.dumps(e.to_dict()).encode(), now) for e in fresh]
            )
        return outcomes
