"""LogFollower.fold_now: batches folded on another thread (the embedded recorder's, right
after its commit) are published by the follower's own run loop (``wake_to_publish``); with
its own batches (on pokes) every update is published once, in log order, whatever the
interleaving, and a last poke leaves nothing unpublished."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.sports import EventType
from projections.follower import LogFollower
from tests.unit.test_follower_wakeups import keeper_with_game


class Echo:
    """A projection whose updates are its notification ids, noting the folding thread."""

    name = "echo"

    def __init__(self) -> None:
        self.folded: list[int] = []
        self.threads: set[str] = set()

    def position(self) -> int:
        return self.folded[-1] if self.folded else 0

    def process(self, batch: Sequence[tuple[Any, int]]) -> Sequence[Any]:
        self.threads.add(threading.current_thread().name)
        ids = [i for _, i in batch]
        self.folded.extend(ids)
        return ids


steps = st.lists(
    st.one_of(st.integers(1, 4), st.sampled_from(["fold elsewhere", "poke", "yield"])),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(steps, st.sampled_from([3, 500]))
def test_every_update_is_published_once_in_log_order(actions: list[Any], batch: int) -> None:
    async def main() -> tuple[list[int], int]:
        keeper, game = keeper_with_game()
        published: list[int] = []

        async def publish(updates: Sequence[Any]) -> None:
            await asyncio.sleep(0)  # a publisher that yields, as Redis's does
            published.extend(updates)

        follower = LogFollower(keeper, Echo(), publish, batch_size=batch, poll_interval=3600)
        task = asyncio.create_task(follower.run())
        for action in actions:
            if isinstance(action, int):
                keeper.record([game.score(EventType.GOAL) for _ in range(action)])
            elif action == "fold elsewhere":  # as the recorder does after a commit
                await asyncio.to_thread(follower.fold_now)
                follower.wake_to_publish()
            elif action == "poke":
                follower.poke()
            else:  # let the run loop get on: to its next wait for a poke, say
                await asyncio.sleep(0.002)
        head = keeper.recorder.max_notification_id() or 0
        follower.poke()
        async with asyncio.timeout(20):
            while published[-1:] != [head]:
                await asyncio.sleep(0.001)
        task.cancel()
        return published, head

    published, head = asyncio.run(main())
    assert published == list(range(1, head + 1))


def test_a_poke_after_folding_elsewhere_publishes_without_reading_again() -> None:
    async def main() -> tuple[list[int], set[str]]:
        keeper, game = keeper_with_game()
        echo = Echo()
        published: list[int] = []

        async def publish(updates: Sequence[Any]) -> None:
            published.extend(updates)

        follower = LogFollower(keeper, echo, publish, poll_interval=3600)
        await follower.catch_up()
        echo.threads.clear()
        task = asyncio.create_task(follower.run())
        await asyncio.sleep(0.05)  # its first step found nothing; now it waits for a poke
        for _ in range(5):
            keeper.record([game.score(EventType.GOAL)])
            await asyncio.to_thread(follower.fold_now)
            follower.wake_to_publish()  # (not a poke: nothing to read)
        async with asyncio.timeout(20):
            while len(published) < 7:
                await asyncio.sleep(0.001)
        task.cancel()
        return published, echo.threads

    published, threads = asyncio.run(main())
    assert published == [1, 2, 3, 4, 5, 6, 7]
    assert not any(t.startswith("follower:") for t in threads)  # folded elsewhere only
