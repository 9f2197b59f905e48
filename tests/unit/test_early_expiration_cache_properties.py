"""EarlyExpirationCache under any interleaving of reads, time, releases, failures,
cancellations and invalidations: never stale, never two computes of a key in flight,
nothing served that was begun before an invalidate, and every reader answered."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters.early_expiration_cache import EarlyExpirationCache

TTL = 60.0
KEYS = ("a", "b")


class Down(Exception):
    pass


@dataclass(frozen=True)
class Produced:
    key: str
    begun_at_op: int
    finished_at: float


@dataclass
class Pending:
    key: str
    begun_at_op: int
    outcome: asyncio.Future[None]
    detached: bool = False  # invalidated while in flight


@dataclass
class World:
    now: float = 0.0
    op: int = 0
    pending: list[Pending] = field(default_factory=list)
    invalidations: list[tuple[str, int]] = field(default_factory=list)  # (key, op)
    readers: list[asyncio.Task[None]] = field(default_factory=list)
    answered: int = 0

    def clock(self) -> float:
        return self.now

    def compute_for(self, key: str) -> Callable[[], Awaitable[Produced]]:
        async def compute() -> Produced:
            begun = Pending(key, self.op, asyncio.get_running_loop().create_future())
            self.pending.append(begun)
            await begun.outcome  # raises Down when the test fails it
            return Produced(key, begun.begun_at_op, self.now)

        return compute

    async def read(self, cache: EarlyExpirationCache[Produced], key: str) -> None:
        read_at_op = self.op
        try:
            value = await cache.get(key, self.compute_for(key))
        except Down:
            self.answered += 1
            return
        assert value.key == key
        assert self.now < value.finished_at + TTL, "served beyond its expiry"
        before_the_read = [op for k, op in self.invalidations if k == key and op < read_at_op]
        assert value.begun_at_op > max(before_the_read, default=-1), (
            "served a compute begun before an invalidate that preceded the read"
        )
        self.answered += 1

    def check_single_flight(self) -> None:
        attached = [p.key for p in self.pending if not p.detached and not p.outcome.done()]
        assert len(attached) == len(set(attached)), f"two computes in flight: {attached}"


operations = st.one_of(
    st.tuples(st.just("read"), st.sampled_from(KEYS)),
    st.tuples(st.just("advance"), st.floats(0, 1.5 * TTL)),
    st.tuples(st.just("finish"), st.integers(0, 5)),
    st.tuples(st.just("fail"), st.integers(0, 5)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("invalidate"), st.sampled_from(KEYS)),
)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


@settings(max_examples=400, deadline=None)
@given(
    ops=st.lists(operations, max_size=60),
    draws=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=8),
    max_entries=st.integers(1, 4),
)
@example(  # a compute begun before an invalidate must not be stored by it
    ops=[("read", "a"), ("invalidate", "a"), ("finish", 0), ("read", "a"), ("finish", 0)],
    draws=[0.5],
    max_entries=2,
)
@example(  # early recompute, then expiry while it is in flight: the reader joins it
    ops=[
        ("read", "a"),
        ("advance", 2.0),
        ("finish", 0),  # delta 2, expires at 62
        ("advance", 59.0),
        ("read", "a"),  # 61 - 2 * ln(0.01) >= 62: early
        ("advance", 1.5),
        ("read", "a"),  # expired: waits for the early compute
        ("cancel", 2),
        ("finish", 0),
        ("read", "a"),
    ],
    draws=[0.01],
    max_entries=1,
)
async def test_any_interleaving_serves_nothing_stale_and_answers_every_reader(
    ops: list[tuple[str, object]], draws: list[float], max_entries: int
) -> None:
    world = World()
    uniform = itertools.cycle(draws).__next__
    cache = EarlyExpirationCache[Produced](
        TTL, max_entries=max_entries, clock=world.clock, uniform=uniform
    )
    cancelled: set[asyncio.Task[None]] = set()
    for world.op, (name, arg) in enumerate(ops):
        open_computes = [p for p in world.pending if not p.outcome.done()]
        if name == "read":
            world.readers.append(asyncio.create_task(world.read(cache, str(arg))))
        elif name == "advance":
            assert isinstance(arg, float)
            world.now += arg
        elif name in ("finish", "fail") and open_computes:
            assert isinstance(arg, int)
            chosen = open_computes[arg % len(open_computes)].outcome
            if name == "finish":
                chosen.set_result(None)
            else:
                chosen.set_exception(Down())
        elif name == "cancel" and world.readers:
            assert isinstance(arg, int)
            reader = world.readers[arg % len(world.readers)]
            if not reader.done():
                reader.cancel()
                cancelled.add(reader)
        elif name == "invalidate":
            key = str(arg)
            cache.invalidate(key)
            world.invalidations.append((key, world.op))
            for p in open_computes:
                p.detached = p.detached or p.key == key
        await settle()
        world.check_single_flight()
    world.op = len(ops)
    while open_computes := [p for p in world.pending if not p.outcome.done()]:
        for p in open_computes:
            p.outcome.set_result(None)
        await settle()
    assert all(reader.done() for reader in world.readers), "a reader was left waiting"
    for reader in world.readers:
        if not reader.cancelled():
            reader.result()  # re-raises an invariant that failed inside a reader
    assert world.answered + len([r for r in cancelled if r.cancelled()]) == len(world.readers)
    stats = cache.stats()
    assert stats.hits + stats.misses + stats.waits == len(world.readers)
    assert stats.misses + stats.early_recomputes == len(world.pending)  # every compute begun
    assert stats.entries <= max_entries
