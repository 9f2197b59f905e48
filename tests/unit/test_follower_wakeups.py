"""LogFollower.run: what is recorded while a batch is folded is read on the poke, not the
poll; a lingering follower folds what was recorded meanwhile in one batch; every
notification is folded once, in log order, whatever the poking."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.follower import LogFollower
from tests.game_events import GameScript


class Folded:
    """A projection that remembers each batch's notification ids."""

    name = "folded"

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.arrived = asyncio.Event()  # set from the follower's thread via the loop
        self.loop: asyncio.AbstractEventLoop | None = None

    def position(self) -> int:
        return self.batches[-1][-1] if self.batches else 0

    def process(self, batch: Sequence[tuple[Any, int]]) -> Sequence[Any]:
        self.batches.append([i for _, i in batch])
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.arrived.set)
        return []

    def ids(self) -> list[int]:
        return [i for b in self.batches for i in b]


def keeper_with_game() -> tuple[Scorekeeper, GameScript]:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    game = GameScript()
    game.schedule()
    game.start()
    keeper.record(game.events)
    return keeper, game


async def until(folded: Folded, count: int) -> None:
    """Wait for ``count`` notifications folded (bounded: a lost wake-up fails, not hangs)."""
    async with asyncio.timeout(20):
        while len(folded.ids()) < count:
            folded.arrived.clear()
            if len(folded.ids()) < count:
                await folded.arrived.wait()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=6), st.sampled_from([0.0, 0.01]))
def test_every_recorded_batch_is_folded_once_in_order_on_pokes_alone(
    bursts: list[int], linger: float
) -> None:
    async def main() -> list[int]:
        keeper, game = keeper_with_game()
        folded = Folded()
        folded.loop = asyncio.get_running_loop()
        follower = LogFollower(keeper, folded, batch_size=3, poll_interval=3600, linger=linger)
        task = asyncio.create_task(follower.run())
        await until(folded, 2)
        total = 2
        for size in bursts:
            keeper.record([game.score(EventType.GOAL) for _ in range(size)])
            follower.poke()  # as the recorder does after each commit
            total += size
        await until(folded, total)
        task.cancel()
        return folded.ids()

    ids = asyncio.run(main())
    assert ids == list(range(1, len(ids) + 1))


LINGER = 2.0


def test_a_lingering_follower_folds_what_was_recorded_meanwhile_in_one_batch() -> None:
    async def main() -> list[list[int]]:
        keeper, game = keeper_with_game()
        folded = Folded()
        folded.loop = asyncio.get_running_loop()
        follower = LogFollower(keeper, folded, poll_interval=3600, linger=LINGER)
        task = asyncio.create_task(follower.run())
        await until(folded, 2)
        keeper.record([game.score(EventType.GOAL)])
        follower.poke()
        await asyncio.sleep(LINGER / 20)  # time enough to fold it, had it not lingered
        for _ in range(4):
            keeper.record([game.score(EventType.GOAL)])
            follower.poke()
        await until(folded, 7)
        task.cancel()
        return folded.batches

    batches = asyncio.run(main())
    assert batches[-1] == [3, 4, 5, 6, 7]


class Slow(Folded):
    """Each batch takes ``seconds`` of its thread's time."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def process(self, batch: Sequence[tuple[Any, int]]) -> Sequence[Any]:
        time.sleep(self.seconds)
        return super().process(batch)


def rests_catching_up(folded: Folded, breather: float) -> list[float]:
    """The follower's asyncio.sleep calls while it folds 11 notifications, 4 a batch."""

    async def scenario() -> list[float]:
        keeper, game = keeper_with_game()
        for _ in range(9):
            game.add(EventType.CLOCK_UPDATE, period=1, clock_seconds=5)
        keeper.record(game.events[2:])  # 11 notifications: batches of 4, 4, 3
        folded.loop = asyncio.get_running_loop()
        follower = LogFollower(keeper, folded, batch_size=4, breather=breather)
        rests: list[float] = []
        real_sleep = asyncio.sleep

        async def recorded_sleep(seconds: float) -> None:
            rests.append(seconds)
            await real_sleep(0)

        with mock.patch.object(asyncio, "sleep", recorded_sleep):
            runner = asyncio.create_task(follower.run())
            try:
                await until(folded, 11)
            finally:
                runner.cancel()
        return rests

    return asyncio.run(scenario())


def test_a_breathing_follower_rests_its_breather_times_each_batch_between_batches() -> None:
    folded = Slow(0.05)
    rests = rests_catching_up(folded, breather=2.0)
    assert [len(b) for b in folded.batches] == [4, 4, 3]
    # after each batch, a rest of twice its time (each took at least 0.05 s)
    assert len(rests) >= 2 and all(rest >= 2 * 0.05 for rest in rests[:2]), rests


def test_without_a_breather_a_follower_goes_on_at_once_while_behind() -> None:
    folded = Folded()
    assert rests_catching_up(folded, breather=0.0) == []
    assert [len(b) for b in folded.batches] == [4, 4, 3]
