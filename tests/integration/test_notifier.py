"""The notifier end to end: a Scorekeeper's log, followed by the NotifierProjection,
released by NotificationRelease into a fan-out queue, for a registry of devices."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.event_log import MemoryEventLog
from adapters.notifier_store import MemoryNotifierStore, open_sqlite_notifier_store
from domain.devices import Device, Interest, Platform
from domain.events import GameEvent, Schedule
from domain.push import DeliveryBatch, NotificationKind, token_shard
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.follower import LogFollower
from projections.notification_release import NotificationRelease
from projections.notifier import NotifierProjection, NotifierStore, ReleasedMeanwhile
from tests.game_events import AWAY, HOME, GameScript
from tests.recording_registry import RecordingRegistry

SHARDS, BATCH, PAGE = 4, 3, 5


def device(
    token: str, teams: Collection[str] = (HOME,), *wants: Interest, game: str = ""
) -> Device:
    return Device(
        token,
        Platform.APNS if len(token) % 2 else Platform.FCM,
        frozenset(teams),
        frozenset({game} if game else set()),
        frozenset(wants or {Interest.ALL}),
    )


FANS = [device(f"home-{n:02d}") for n in range(9)] + [
    device("away-goals", (AWAY,), Interest.GOALS),
    device("game-fan", (), Interest.GOALS, game="g1"),
    device("finals-only", (HOME,), Interest.FINALS),
    device("other-team", ("elsewhere",)),
]
GOAL_FANS = {d.token for d in FANS} - {"finals-only", "other-team"}


class Clock:
    """Real time plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Pipeline:
    keeper: Scorekeeper
    store: NotifierStore
    clock: Clock
    follower: LogFollower
    release: NotificationRelease
    queue: MemoryEventLog
    registry: RecordingRegistry
    script: GameScript

    def record(self, event: GameEvent) -> None:
        verdicts = self.keeper.record([event])
        assert [v.outcome for v in verdicts] == ["recorded"], verdicts

    async def batches(self) -> list[tuple[str, DeliveryBatch]]:
        records = await self.queue.read(0, 100_000, 0)
        return [(p.record.key, DeliveryBatch.decode(p.record.value)) for p in records]


@pytest.fixture(name="p", params=["memory", "sqlite"])
def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pipeline]:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    store: NotifierStore = (
        MemoryNotifierStore()
        if request.param == "memory"
        else open_sqlite_notifier_store(str(tmp_path / "notifier.sqlite"))
    )
    clock = Clock()
    projection = NotifierProjection(store, keeper.name, hold_seconds=30, max_age=900, clock=clock)
    queue, registry = MemoryEventLog(), RecordingRegistry(FANS)
    release = NotificationRelease(
        store, registry, queue, shards=SHARDS, batch_size=BATCH, page=PAGE, clock=clock
    )
    script = GameScript("g1")
    yield Pipeline(
        keeper, store, clock, LogFollower(keeper, projection), release, queue, registry, script
    )
    keeper.close()


async def kick_off(p: Pipeline) -> GameEvent:
    p.record(
        p.script.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, "Arsenal", "Chelsea"))
    )
    p.record(p.script.start())
    goal = p.script.score(EventType.GOAL, HOME, clock_seconds=600, period=1)
    p.record(goal)
    await p.follower.catch_up()
    return goal


async def test_a_goal_is_held_then_released_in_batches_sharded_by_token(p: Pipeline) -> None:
    goal = await kick_off(p)
    assert await p.release.step() == 0  # held
    assert await p.batches() == []
    p.clock.offset += 31
    assert await p.release.step() == 1
    batches = await p.batches()
    tokens = [t.token for _, b in batches for t in b.targets]
    assert sorted(tokens) == sorted(GOAL_FANS)  # each wanting device once
    for key, batch in batches:
        assert batch.notification.id == f"g1/{goal.event_id}/goal"
        assert batch.notification.title == "GOAL! Arsenal 1-0 Chelsea"
        assert 1 <= len(batch.targets) <= BATCH
        assert {str(token_shard(t.token, SHARDS)) for t in batch.targets} == {key}
    # Devices of a shard are batched across registry pages: only the last batch of a
    # shard may be short.
    by_shard: dict[str, list[int]] = {}
    for key, batch in batches:
        by_shard.setdefault(key, []).append(len(batch.targets))
    assert all(all(n == BATCH for n in sizes[:-1]) for sizes in by_shard.values())
    assert p.registry.pages == len(GOAL_FANS) // PAGE + 1 + (len(GOAL_FANS) % PAGE > 0)
    assert p.store.outbox() == []
    assert await p.release.step() == 0  # released once


async def test_a_goal_retracted_inside_the_hold_enqueues_nothing(p: Pipeline) -> None:
    goal = await kick_off(p)
    p.clock.offset += 10
    p.record(p.script.retract(goal))
    await p.follower.catch_up()
    p.clock.offset += 3600
    assert await p.release.step() == 0
    assert await p.batches() == []
    assert p.store.outbox() == []


async def test_a_goal_retracted_after_its_release_is_corrected(p: Pipeline) -> None:
    goal = await kick_off(p)
    p.clock.offset += 31
    await p.release.step()
    sent = len(await p.batches())
    p.record(p.script.retract(goal))
    await p.follower.catch_up()
    assert await p.release.step() == 1  # at once: no new hold
    corrections = (await p.batches())[sent:]
    assert {b.notification.kind for _, b in corrections} == {NotificationKind.CORRECTION}
    assert {b.notification.title for _, b in corrections} == {
        "Goal disallowed: Arsenal 0-0 Chelsea"
    }
    assert sorted(t.token for _, b in corrections for t in b.targets) == sorted(GOAL_FANS)


async def test_a_release_racing_a_retraction_gets_a_correction_not_silence(
    p: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release's clock is ahead of the notifier's: it sends the goal while the
    notifier still thinks it held; the notifier's cancel is refused, and decided again
    it corrects the goal."""
    goal = await kick_off(p)
    p.release.clock = lambda: time.time() + 40
    assert await p.release.step() == 1
    refused: list[ReleasedMeanwhile] = []
    save = p.store.save

    def spy(*args: Any) -> None:
        try:
            save(*args)
        except ReleasedMeanwhile as error:
            refused.append(error)
            raise

    monkeypatch.setattr(p.store, "save", spy)
    p.record(p.script.retract(goal))
    await p.follower.catch_up()
    assert [set(r.notification_ids) for r in refused] == [{f"g1/{goal.event_id}/goal"}]
    assert await p.release.step() == 1
    kinds = [b.notification.kind for _, b in await p.batches()]
    assert set(kinds) == {NotificationKind.GOAL, NotificationKind.CORRECTION}
    assert kinds.index(NotificationKind.CORRECTION) > max(
        i for i, k in enumerate(kinds) if k == NotificationKind.GOAL
    )


async def test_replaying_the_log_never_decides_again(p: Pipeline) -> None:
    goal = await kick_off(p)
    p.clock.offset += 31
    await p.release.step()
    p.record(p.script.final())
    await p.follower.catch_up()
    await p.release.step()
    sent = await p.batches()
    assert {b.notification.kind for _, b in sent} == {NotificationKind.GOAL, NotificationKind.FINAL}
    # Another follower of the same store starts where it stopped.
    projection = p.follower.projection
    again = LogFollower(p.keeper, projection)
    assert again.position == p.keeper.recorder.max_notification_id()
    await again.catch_up()
    # Feeding it a batch it already saved is refused, and decides nothing.
    old = p.keeper.recorder.select_notifications(1, 10)
    with pytest.raises(IntegrityError):
        projection.process(again.decoded.decode(old))
    p.clock.offset += 3600
    assert await p.release.step() == 0
    assert await p.batches() == sent
    assert goal.event_id in sent[0][1].notification.id


async def test_a_notifier_started_on_an_old_log_sends_nothing(p: Pipeline) -> None:
    p.clock.offset += 2 * 3600  # the games were recorded two hours before it starts
    goal = await kick_off(p)
    p.record(p.script.retract(goal))
    p.record(p.script.final())
    await p.follower.catch_up()
    assert p.store.outbox() == []
    assert await p.release.step() == 0
    assert await p.batches() == []


async def test_the_running_release_wakes_when_poked(
    p: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    await kick_off(p)
    p.release.poll_interval = 3600  # only a poke can wake it in time
    looked = asyncio.Event()
    step = p.release.step

    async def spy() -> int:
        found = await step()
        looked.set()
        return found

    monkeypatch.setattr(p.release, "step", spy)
    task = asyncio.create_task(p.release.run())
    try:
        await looked.wait()  # it found the outbox empty (the goal is held) and waits
        p.record(p.script.final())
        await p.follower.catch_up()
        p.release.poke()
        records = await p.queue.read(0, 100, timeout=10)
        assert records, "the poked release enqueued nothing"
        assert {DeliveryBatch.decode(r.record.value).notification.kind for r in records} == {
            NotificationKind.FINAL
        }
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_notification_expired_before_its_release_is_dropped(p: Pipeline) -> None:
    await kick_off(p)
    p.clock.offset += 3600 + 31  # the release was down past the goal's ttl
    assert await p.release.step() == 1
    assert await p.batches() == []
    assert p.release.counts.expired == 1 and p.store.outbox() == []


async def test_a_goal_and_its_retraction_in_one_batch_enqueue_nothing(p: Pipeline) -> None:
    p.record(
        p.script.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, "Arsenal", "Chelsea"))
    )
    p.record(p.script.start())
    goal = p.script.score(EventType.GOAL, HOME)
    p.record(goal)
    p.record(p.script.retract(goal))
    await p.follower.catch_up()
    assert p.store.outbox() == []


plays = st.lists(
    st.tuples(st.sampled_from(["goal", "card", "retract", "move", "final"]), st.integers(0, 9)),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(plays, st.integers(1, 8))
def test_the_outbox_is_the_same_for_any_cut_of_the_log_into_batches(
    script: list[tuple[str, int]], batch_size: int
) -> None:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    game = GameScript("g1")
    keeper.record([game.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY))])
    keeper.record([game.start()])
    notable: list[GameEvent] = []
    for action, n in script:
        if action in ("goal", "card"):
            kind = EventType.GOAL if action == "goal" else EventType.RED_CARD
            event = game.score(kind, (HOME, AWAY)[n % 2])
            notable.append(event)
        elif action == "final":
            event = game.final()
        elif notable:
            target = notable[n % len(notable)]
            event = (
                game.retract(target)
                if action == "retract"
                else game.correct(target, team_id=AWAY if target.team_id == HOME else HOME)
            )
        else:
            continue
        if keeper.record([event])[0].outcome != "recorded":
            game.events.pop()
    now = time.time()
    outboxes = []
    for size in (1, batch_size):
        store = MemoryNotifierStore()
        projection = NotifierProjection(
            store, keeper.name, hold_seconds=30, max_age=900, clock=lambda: now
        )
        asyncio.run(LogFollower(keeper, projection, batch_size=size).catch_up())
        outboxes.append(store.outbox())
    assert outboxes[0] == outboxes[1]
    keeper.close()
