"""RecordingWorker: ordering, gap timeout, and nothing lost or doubled across a crash."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from pathlib import Path

from adapters.event_log import MemoryEventLog, SQLiteEventLog
from adapters.rejected_store import MemoryRejectedStore
from domain.events import GameEvent
from domain.ports import EventLog, LogRecord
from domain.recording import RecordingWorker
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from tests.game_events import HOME, GameScript, finished_soccer_game


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def soccer_game() -> GameScript:
    return finished_soccer_game()


async def append(log: EventLog, *events: GameEvent) -> None:
    await log.append([LogRecord(e.game_id, json.dumps(e.to_dict()).encode(), 0.0) for e in events])


def popo() -> Scorekeeper:
    return Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


async def test_shuffled_events_are_recorded_in_sequence_order() -> None:
    game = soccer_game()
    keeper, log = popo(), MemoryEventLog()
    worker = RecordingWorker(keeper, log, MemoryRejectedStore(), clock=Clock())
    e = game.events
    await append(log, e[3], e[0], e[5], e[2], e[1], e[4])
    await worker.step(max_wait=0)
    recorded = keeper.recorded_events("g1")
    assert [r.event.sequence_number for r in recorded] == [1, 2, 3, 4, 5, 6]
    assert [r.version for r in recorded] == [1, 2, 3, 4, 5, 6]
    board = keeper.scoreboard("g1")
    assert board is not None and (board.home_score, board.away_score, board.status) == (
        2,
        1,
        "FINAL",
    )


async def test_a_gap_is_waited_out_then_reported_and_the_late_event_still_applied() -> None:
    game = soccer_game()
    keeper, log, clock = popo(), MemoryEventLog(), Clock()
    worker = RecordingWorker(keeper, log, MemoryRejectedStore(), gap_timeout=2.0, clock=clock)
    e = game.events
    await append(log, e[0], e[1], e[3], e[4])
    await worker.step(max_wait=0)
    assert keeper.next_sequence("g1") == 3
    clock.now = 2.5
    await worker.step(max_wait=0)
    assert [r.event.sequence_number for r in keeper.recorded_events("g1")] == [1, 2, 4, 5]
    assert [(g.first_missing, g.last_missing) for g in worker.gaps_waited_out()] == [(3, 3)]
    await append(log, e[2], e[5])
    await worker.step(max_wait=0)
    board = keeper.scoreboard("g1")
    assert board is not None and (board.home_score, board.away_score) == (2, 1)


async def test_held_events_survive_a_crash_and_nothing_is_recorded_twice(tmp_path: Path) -> None:
    game = soccer_game()
    e = game.events
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "events.sqlite"),
    }
    log = SQLiteEventLog(tmp_path / "log.sqlite")
    keeper = Scorekeeper(env=env)
    worker = RecordingWorker(keeper, log, MemoryRejectedStore(), clock=Clock())
    await append(log, e[0], e[1], e[3])  # 4th event waits for the 3rd
    await worker.step(max_wait=0)
    assert keeper.tracking_position(worker.upstream(0)) == 2  # held position 3 is not safe
    keeper.close()  # the crash: the held event is only in memory

    keeper = Scorekeeper(env=env)
    worker = RecordingWorker(keeper, log, MemoryRejectedStore(), clock=Clock())
    await worker.step(max_wait=0)
    assert worker.partitions[0].consumed == 3  # re-read from the tracked position
    await append(log, e[2], e[4], e[5], e[1])  # plus a resend of an old one
    await worker.step(max_wait=0)
    recorded = keeper.recorded_events("g1")
    assert [r.event.sequence_number for r in recorded] == [1, 2, 3, 4, 5, 6]
    assert keeper.tracking_position(worker.upstream(0)) == 7
    keeper.close()
    log.close()


async def test_refused_events_are_kept_once_even_when_read_again() -> None:
    game = GameScript()
    game.schedule()
    game.score(EventType.GOAL, HOME)  # before GAME_STARTED: refused by the rules
    keeper, log, rejected = popo(), MemoryEventLog(), MemoryRejectedStore()
    await append(log, *game.events)
    worker = RecordingWorker(keeper, log, rejected, clock=Clock())
    await worker.step(max_wait=0)
    again = RecordingWorker(keeper, log, rejected, clock=Clock())
    again.consumer = log.consumer(lambda parts: {0: 0}, lambda parts: None)
    again.partitions[0] = worker.partitions[0]
    again.partitions[0].consumed = 0  # as if the position had not been tracked
    await again.step(max_wait=0)
    (kept,) = rejected.list()
    assert kept.source == "recorder" and kept.reason == "rule"
    assert "before GAME_STARTED" in kept.detail["detail"]
    assert json.loads(kept.body)["event_id"] == game.events[1].event_id


async def test_recorded_events_keep_when_ingestion_received_them() -> None:
    game = soccer_game()
    keeper, log = popo(), MemoryEventLog()
    await log.append(
        [
            LogRecord(e.game_id, json.dumps(e.to_dict()).encode(), 1000.0 + n)
            for n, e in enumerate(game.events)
        ]
    )
    await RecordingWorker(keeper, log, MemoryRejectedStore(), clock=Clock()).step(max_wait=0)
    assert [r.received_at for r in keeper.recorded_events("g1")] == [1000.0 + n for n in range(6)]


async def test_after_commit_runs_on_the_recorders_thread_and_never_fails_the_recording() -> None:
    game = soccer_game()
    keeper, log = popo(), MemoryEventLog()
    calls: list[tuple[str, int]] = []

    def after_commit() -> None:
        calls.append((threading.current_thread().name, len(keeper.recorded_events("g1"))))
        raise RuntimeError("a read model's fold failed")

    worker = RecordingWorker(
        keeper, log, MemoryRejectedStore(), clock=Clock(), after_commit=after_commit
    )
    await append(log, *game.events[:3])
    await worker.step(max_wait=0)
    await append(log, game.events[0])  # a duplicate alone: nothing recorded, no call
    await worker.step(max_wait=0)
    await append(log, *game.events[3:])
    await worker.step(max_wait=0)
    assert [n for _, n in calls] == [3, 6]  # after each commit that recorded, seeing it
    assert all(name.startswith("recorder") for name, _ in calls)
    assert [r.event.sequence_number for r in keeper.recorded_events("g1")] == [1, 2, 3, 4, 5, 6]


async def test_a_record_that_is_not_an_event_is_kept_raw_and_the_partition_goes_on() -> None:
    game = soccer_game()
    keeper, log, rejected = popo(), MemoryEventLog(), MemoryRejectedStore()
    await append(log, *game.events[:2])
    await log.append([LogRecord("g1", b'{"not": "an event"', 0.0)])
    await append(log, *game.events[2:])
    worker = RecordingWorker(keeper, log, rejected, clock=Clock())
    await worker.step(max_wait=0)
    assert [r.event for r in keeper.recorded_events("g1")] == game.events
    assert keeper.tracking_position(worker.upstream(0)) == len(game.events) + 1
    (kept,) = rejected.list()
    assert (kept.source, kept.reason, kept.body) == (
        "recorder",
        "undecodable",
        b'{"not": "an event"',
    )
    assert kept.detail["log_position"] == 3


async def test_a_failed_commit_is_retried_from_the_recorded_positions() -> None:
    """The store away for a moment: the worker keeps running, and what the failed
    poll had read is read again and recorded, once."""
    from eventsourcing.persistence import OperationalError

    game = soccer_game()
    keeper, log = popo(), MemoryEventLog()
    failures = [OperationalError("the database is restarting")] * 2
    commit = keeper.commit

    def flaky_commit(*args: object, **kwargs: object) -> None:
        if failures:
            raise failures.pop()
        commit(*args, **kwargs)  # type: ignore[arg-type]

    keeper.commit = flaky_commit  # type: ignore[method-assign]
    worker = RecordingWorker(keeper, log, MemoryRejectedStore(), clock=Clock())
    await append(log, *game.events[:3])
    running = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(10):
            while len(keeper.recorded_events("g1")) < 3:
                await asyncio.sleep(0.01)
            await append(log, *game.events[3:])
            while len(keeper.recorded_events("g1")) < len(game.events):
                await asyncio.sleep(0.01)
        assert not failures and not running.done()
        assert [r.event for r in keeper.recorded_events("g1")] == game.events
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
