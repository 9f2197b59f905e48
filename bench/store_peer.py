"""Peers of the throughput benchmark: the event store written directly, no Kafka, no HTTP.

- ``raw_insert``: the raw ceiling of the store. The same events, already turned into
  the Scorekeeper's stored events (untimed), inserted by eventsourcing's PostgreSQL
  process recorder in batches of the recorder's batch size, each batch with a tracking
  position in the same transaction (as the RecordingWorker commits), from ``writers``
  threads at once (as many as the fleet has recorders).
- ``scorekeeper_direct``: the command side in process: ``Scorekeeper.record`` on
  PostgreSQL in batches (decide against the aggregates, then commit), one writer. Its
  distance from ``raw_insert`` is the domain's cost; the fleet's distance from it is the
  transport's (HTTP, ingestion's pre-check, Kafka, the recorder loop).

Each runs on a fresh database of its own, dropped afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import ProcessRecorder, StoredEvent, Tracking

from adapters.postgres_schema import postgres_env
from bench.services import postgres_database
from bench.traffic import Event, LiveGame, round_robin
from domain.events import GameEvent
from domain.scorekeeper import Scorekeeper


def ordered_events(games: Sequence[LiveGame]) -> list[GameEvent]:
    """All events as the fleet receives them: the schedules, then game by game in turn."""
    first = [g.events[0] for g in games]
    return [_game_event(e) for e in [*first, *round_robin(games, skip=1)]]


def _game_event(event: Event) -> GameEvent:
    return GameEvent.from_dict({**event, "provider": "bench"})


def stored_events(events: Sequence[GameEvent], batch_size: int) -> list[StoredEvent]:
    """The stored events the Scorekeeper writes for ``events`` (decided in memory)."""
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        for start in range(0, len(events), batch_size):
            verdicts = keeper.record(events[start : start + batch_size])
            refused = [v for v in verdicts if v.outcome != "recorded"]
            if refused:
                raise RuntimeError(f"the simulator's events were refused: {refused[:3]}")
        found = keeper.recorder.select_notifications(1, len(events) + 1)
        return [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in found]
    finally:
        keeper.close()


def raw_insert(stored: Sequence[StoredEvent], batch_size: int, writers: int) -> dict[str, Any]:
    """Insert ``stored`` into a fresh store: ``writers`` threads, round-robin batches."""
    batches = [stored[i : i + batch_size] for i in range(0, len(stored), batch_size)]
    with postgres_database("peer") as url:
        keeper = Scorekeeper(env=postgres_env(url))
        try:
            recorder = keeper.recorder
            assert isinstance(recorder, ProcessRecorder)
            recorder.max_notification_id()  # open the pool before timing
            errors: list[BaseException] = []

            def write(writer: int) -> None:
                try:
                    for n, batch in enumerate(batches[writer::writers], start=1):
                        recorder.insert_events(batch, tracking=Tracking(f"peer:{writer}", n))
                except BaseException as error:  # reported after the join
                    errors.append(error)

            threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - started
            if errors:
                raise errors[0]
            count = recorder.max_notification_id() or 0
        finally:
            keeper.close()
    if count != len(stored):
        raise RuntimeError(f"raw insert stored {count} of {len(stored)} events")
    return {"events": count, "seconds": seconds, "events_per_s": count / seconds}


def scorekeeper_direct(events: Sequence[GameEvent], batch_size: int) -> dict[str, Any]:
    """``Scorekeeper.record`` on a fresh PostgreSQL store, one batch after another."""
    with postgres_database("peer") as url:
        keeper = Scorekeeper(env=postgres_env(url))
        try:
            keeper.recorder.max_notification_id()
            started = time.perf_counter()
            cpu = time.process_time()
            recorded = 0
            for n, start in enumerate(range(0, len(events), batch_size), start=1):
                verdicts = keeper.record(
                    events[start : start + batch_size], Tracking("direct:0", n)
                )
                recorded += sum(1 for v in verdicts if v.outcome == "recorded")
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
        finally:
            keeper.close()
    return {
        "events": recorded,
        "seconds": seconds,
        "events_per_s": recorded / seconds,
        "cpu_cores": cpu / seconds,
    }
