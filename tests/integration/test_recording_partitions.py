"""RecordingWorker over a partitioned log: one commit a poll, every partition's position
in it; for any spread of games over partitions, any poll sizes and a crash after any
poll, every event is recorded once, in sequence order, and each position is exact."""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.partitioned_recorders import process_recorder_env
from adapters.rejected_store import MemoryRejectedStore
from domain.events import GameEvent
from domain.ports import Assigned, LogConsumer, LogRecord, Positioned, Revoked
from domain.recording import RecordingWorker
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from tests.game_events import AWAY, HOME, GameScript


class PartitionedLog:
    """A log of several partitions in memory; its one consumer owns all of them and
    resumes each after the position ``on_assigned`` answers (as Kafka's does)."""

    name = "game-events"

    def __init__(self, partitions: dict[int, list[GameEvent]], poll_sizes: Sequence[int]):
        self.records = {
            p: [LogRecord(e.game_id, json.dumps(e.to_dict()).encode(), 0.0) for e in events]
            for p, events in partitions.items()
        }
        self.poll_sizes = list(poll_sizes)

    def consumer(self, on_assigned: Assigned, on_revoked: Revoked) -> LogConsumer:
        return _Consumer(self, on_assigned)

    async def append(self, records: Sequence[LogRecord]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _Consumer:
    def __init__(self, log: PartitionedLog, on_assigned: Assigned) -> None:
        self.log = log
        self.on_assigned = on_assigned
        self.next: dict[int, int] | None = None
        self.polls = 0

    async def poll(self, limit: int, timeout: float) -> list[Positioned]:
        if self.next is None:
            self.next = dict(self.on_assigned(set(self.log.records)))
        size = self.log.poll_sizes[self.polls % len(self.log.poll_sizes)]
        self.polls += 1
        found: list[Positioned] = []
        for p, records in sorted(self.log.records.items()):  # partitions interleaved
            start = self.next[p]
            for offset, record in enumerate(records[start : start + size]):
                found.append(Positioned(p, start + offset + 1, record))
            self.next[p] = min(len(records), start + size)
        return found  # (the worker asks for more than any poll here brings)

    def close(self) -> None:
        pass


def game(game_id: str, goals: int) -> list[GameEvent]:
    g = GameScript(game_id)
    g.schedule()
    g.start()
    for n in range(goals):
        g.score(EventType.GOAL, HOME if n % 2 else AWAY)
    g.final()
    return g.events


def keeper(path: Path) -> Scorekeeper:
    return Scorekeeper(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            **process_recorder_env("eventsourcing.sqlite"),
        }
    )


@settings(max_examples=40, deadline=None)
@given(
    goals=st.lists(st.integers(0, 4), min_size=1, max_size=6),
    partitions=st.integers(1, 4),
    poll_sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    crash_after=st.integers(0, 6),
    seed=st.integers(0, 2**16),
)
def test_every_event_is_recorded_once_in_order_and_every_position_is_exact(
    goals: list[int], partitions: int, poll_sizes: list[int], crash_after: int, seed: int
) -> None:
    rng = random.Random(seed)
    games = {f"g{n}": game(f"g{n}", count) for n, count in enumerate(goals)}
    spread: dict[int, list[GameEvent]] = {p: [] for p in range(partitions)}
    for events in games.values():
        spread[rng.randrange(partitions)].extend(events)  # a game keeps one partition
    for events in spread.values():  # games interleave within a partition, each in order
        rng.shuffle(events)
        by_game: dict[str, list[GameEvent]] = {}
        for e in events:
            by_game.setdefault(e.game_id, []).append(e)
        ordered = {
            g: iter(sorted(es, key=lambda e: e.sequence_number)) for g, es in by_game.items()
        }
        events[:] = [next(ordered[e.game_id]) for e in events]
    log = PartitionedLog(spread, poll_sizes)

    async def run() -> None:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "events.sqlite"
            first = keeper(path)
            worker = RecordingWorker(first, log, MemoryRejectedStore())
            for _ in range(crash_after):  # then it "crashes": nothing of it is kept
                await worker.step(max_wait=0)
            first.close()
            again = keeper(path)
            successor = RecordingWorker(again, log, MemoryRejectedStore())
            total = sum(len(r) for r in log.records.values())
            for _ in range(total + 2):
                await successor.step(max_wait=0)
            for game_id, events in games.items():
                recorded = [r.event for r in again.recorded_events(game_id)]
                assert recorded == events, game_id  # once each, in sequence order
            for p, records in log.records.items():
                assert again.tracking_position(f"game-events:{p}") == (len(records) or None)
            assert again.records_many_positions
            again.close()

    asyncio.run(run())
