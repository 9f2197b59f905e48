"""NotificationWorker over the in-memory queue and ledger, with scripted fake senders."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.delivery_ledger import MemoryDeliveryLedger
from adapters.event_log import MemoryEventLog
from domain.devices import Interest, Platform
from domain.notification_worker import NotificationWorker, RetryPolicy
from domain.ports import LogRecord
from domain.push import (
    DeliveryBatch,
    NotificationKind,
    PushNotification,
    SendOutcome,
    SendResult,
    Target,
)
from tests.recording_registry import RecordingRegistry

ACCEPTED = SendResult(SendOutcome.ACCEPTED, status=200)
RETRY = SendResult(SendOutcome.RETRY, reason="TooManyRequests", status=429)
GONE = SendResult(SendOutcome.UNREGISTERED, reason="Unregistered", status=410)
REJECTED = SendResult(SendOutcome.REJECTED, reason="BadTopic", status=400)


def notification(nid: str = "n1", *, expires_at: float = 2e9) -> PushNotification:
    return PushNotification(
        id=nid,
        game_id="g1",
        kind=NotificationKind.GOAL,
        interest=Interest.GOALS,
        title="Goal",
        body="1-0",
        collapse_id="game-g1",
        teams=("home",),
        created_at=1.0,
        expires_at=expires_at,
    )


def batch_record(
    tokens: Iterable[str], *, nid: str = "n1", platform: Platform = Platform.APNS, **kw: float
) -> LogRecord:
    targets = tuple(Target(t, platform) for t in tokens)
    return LogRecord("0", DeliveryBatch(notification(nid, **kw), targets).encode(), 1.0)


class ScriptedSender:
    """Answers each token's scripted results in turn (then ACCEPTED; a token once
    UNREGISTERED stays so); records calls. A token in ``held`` waits for ``release``."""

    def __init__(self, script: dict[str, list[SendResult]] | None = None) -> None:
        self.script = {t: list(r) for t, r in (script or {}).items()}
        self.calls: list[tuple[str, str]] = []
        self.accepted: list[tuple[str, str]] = []
        self.held: set[str] = set()
        self.gone: set[str] = set()
        self.release = asyncio.Event()
        self.running = 0
        self.most_running = 0
        self._changed = asyncio.Condition()

    async def send(self, notification: PushNotification, token: str) -> SendResult:
        self.calls.append((notification.id, token))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            async with self._changed:
                self._changed.notify_all()
            if token in self.held:
                await self.release.wait()
        finally:
            self.running -= 1
        pending = self.script.get(token)
        result = pending.pop(0) if pending else GONE if token in self.gone else ACCEPTED
        if result.outcome is SendOutcome.UNREGISTERED:
            self.gone.add(token)
        if result.outcome is SendOutcome.ACCEPTED:
            self.accepted.append((notification.id, token))
        async with self._changed:
            self._changed.notify_all()
        return result

    async def until(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def close(self) -> None:
        pass


class WatchedLedger(MemoryDeliveryLedger):
    """Remembers every position written, and lets a test wait for one."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[tuple[int, int]] = []
        self._changed = threading.Condition()

    def record(
        self,
        notification_id: str,
        tokens: Collection[str],
        position: tuple[int, int] | None = None,
    ) -> None:
        super().record(notification_id, tokens, position)
        with self._changed:
            if position is not None:
                self.written.append(position)
            self._changed.notify_all()

    async def reached(self, partition: int, position: int, timeout: float = 10) -> None:
        def wait() -> bool:
            with self._changed:
                return self._changed.wait_for(
                    lambda: self.positions({partition})[partition] >= position, timeout
                )

        assert await asyncio.to_thread(wait), f"position {position} not reached"

    async def holds(self, notification_id: str, count: int, timeout: float = 10) -> None:
        def wait() -> bool:
            with self._changed:
                return self._changed.wait_for(lambda: self.count(notification_id) >= count, timeout)

        assert await asyncio.to_thread(wait), f"{count} deliveries not recorded"


@dataclass
class Rig:
    queue: MemoryEventLog
    ledger: WatchedLedger
    sender: ScriptedSender
    registry: RecordingRegistry
    delays: list[float]
    worker: NotificationWorker
    task: asyncio.Task[None]

    async def task_stopped(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@contextlib.asynccontextmanager
async def running(
    sender: ScriptedSender | None = None,
    ledger: WatchedLedger | None = None,
    *,
    now: float = 1000.0,
    **options: object,
) -> AsyncIterator[Rig]:
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        await asyncio.sleep(0)

    queue, registry = MemoryEventLog(), RecordingRegistry()
    sender = sender or ScriptedSender()
    ledger = ledger or WatchedLedger()
    worker = NotificationWorker(
        queue,
        ledger,
        {"apns": sender},
        registry,
        clock=lambda: now,
        sleep=sleep,
        rng=random.Random(7),
        poll_timeout=0.05,
        **options,  # type: ignore[arg-type]
    )
    task = asyncio.create_task(worker.run())
    try:
        yield Rig(queue, ledger, sender, registry, delays, worker, task)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_every_target_is_sent_once_and_recorded_with_the_position() -> None:
    async with running() as rig:
        await rig.queue.append([batch_record(["a", "b"]), batch_record(["c"])])
        await rig.ledger.reached(0, 2)
        assert sorted(rig.sender.calls) == [("n1", "a"), ("n1", "b"), ("n1", "c")]
        assert rig.ledger.delivered("n1", "abc") == {"a", "b", "c"}
        assert rig.worker.counts.sent == 3


async def test_tokens_already_delivered_are_not_sent_again() -> None:
    ledger = WatchedLedger()
    ledger.record("n1", ["a"])
    async with running(ledger=ledger) as rig:
        await rig.queue.append([batch_record(["a", "b", "b"])])
        await rig.ledger.reached(0, 1)
        assert rig.sender.calls == [("n1", "b")]
        assert rig.worker.counts.skipped_duplicate == 2  # "a" recorded, "b" twice in the batch


async def test_an_unregistered_token_is_pruned_and_never_retried() -> None:
    async with running(ScriptedSender({"a": [GONE]})) as rig:
        await rig.queue.append([batch_record(["a", "b"])])
        await rig.ledger.reached(0, 1)
        assert rig.registry.pruned_tokens() == [("a", "Unregistered")]
        assert rig.sender.calls.count(("n1", "a")) == 1
        assert rig.ledger.delivered("n1", "ab") == {"b"}
        assert rig.worker.counts.pruned == 1


async def test_a_pruned_token_is_not_sent_the_batches_resolved_before_its_prune() -> None:
    async with running(ScriptedSender({"a": [GONE]})) as rig:  # the rig's clock says 1000
        await rig.queue.append([batch_record(["a", "b"], nid="n1")])
        await rig.ledger.reached(0, 1)
        await rig.queue.append([batch_record(["a", "b"], nid="n2")])  # decided at 1.0
        await rig.ledger.reached(0, 2)
        assert rig.sender.calls.count(("n2", "a")) == 0 and ("n2", "b") in rig.sender.calls
        assert rig.worker.counts.skipped_dead == 1
        later = replace(notification("n3"), created_at=2000.0)  # decided after the prune:
        targets = (Target("a", Platform.APNS),)  # a device registered anew gets it
        await rig.queue.append([LogRecord("0", DeliveryBatch(later, targets).encode(), 1.0)])
        await rig.ledger.reached(0, 3)
        assert ("n3", "a") in rig.sender.calls


async def test_retry_honours_retry_after_then_delivers() -> None:
    later = SendResult(SendOutcome.RETRY, retry_after=7.0, status=503)
    async with running(ScriptedSender({"a": [later, RETRY]})) as rig:
        await rig.queue.append([batch_record(["a"])])
        await rig.ledger.reached(0, 1)
        assert rig.sender.calls == [("n1", "a")] * 3
        assert rig.delays[0] == 7.0
        assert 0 <= rig.delays[1] <= RetryPolicy().base_delay * 2  # full jitter, second try
        assert rig.worker.counts.retried == 2
        assert rig.ledger.delivered("n1", "a") == {"a"}


def test_backoff_is_full_jitter_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(1)
    for attempt in range(1, 10):
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        bound = min(8.0, 2.0 ** (attempt - 1))
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound / 2
    assert policy.delay(3, 42.0, rng) == 42.0


async def test_after_max_attempts_a_token_is_given_up_and_the_position_moves() -> None:
    sender = ScriptedSender({"a": [RETRY] * 10})
    async with running(sender, retry=RetryPolicy(max_attempts=3)) as rig:
        await rig.queue.append([batch_record(["a", "b"])])
        await rig.ledger.reached(0, 1)
        assert rig.sender.calls.count(("n1", "a")) == 3
        assert rig.worker.counts.gave_up == 1
        assert rig.ledger.delivered("n1", "ab") == {"b"}


async def test_no_retry_past_the_notifications_expiry() -> None:
    late = SendResult(SendOutcome.RETRY, retry_after=120.0, status=429)
    async with running(ScriptedSender({"a": [late]}), now=1000.0) as rig:
        await rig.queue.append([batch_record(["a"], expires_at=1060.0)])
        await rig.ledger.reached(0, 1)
        assert rig.sender.calls == [("n1", "a")]
        assert rig.worker.counts.expired == 1
        assert rig.delays == []


async def test_an_expired_notification_is_not_sent() -> None:
    async with running(now=1000.0) as rig:
        await rig.queue.append([batch_record(["a", "b"], expires_at=999.0)])
        await rig.ledger.reached(0, 1)
        assert rig.sender.calls == []
        assert rig.worker.counts.expired == 2
        assert rig.ledger.count("n1") == 0


async def test_rejected_and_unsupported_targets_are_done_without_delivery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with running(ScriptedSender({"a": [REJECTED]})) as rig:
        await rig.queue.append(
            [
                batch_record(["a", "b"]),
                batch_record(["f1", "f2"], platform=Platform.FCM),
                batch_record(["f3"], platform=Platform.FCM),
            ]
        )
        await rig.ledger.reached(0, 3)
        assert rig.ledger.delivered("n1", ["a", "b", "f1", "f2", "f3"]) == {"b"}
        assert rig.worker.counts.rejected == 1
        assert rig.worker.counts.unsupported == 3
    assert sum("no push sender configured for fcm" in r.message for r in caplog.records) == 1


async def test_a_malformed_record_is_skipped() -> None:
    async with running() as rig:
        await rig.queue.append([LogRecord("0", b"{not json", 1.0), batch_record(["a"])])
        await rig.ledger.reached(0, 2)
        assert rig.worker.counts.malformed == 1
        assert rig.sender.calls == [("n1", "a")]


async def test_a_later_record_finishing_first_does_not_move_the_position() -> None:
    sender = ScriptedSender()
    sender.held = {"slow"}
    async with running(sender) as rig:
        await rig.queue.append(
            [batch_record(["slow", "x"]), batch_record(["b"]), batch_record(["c"])]
        )
        await rig.ledger.holds("n1", 3)  # x, b and c: records 2 and 3 are done
        assert rig.ledger.positions({0}) == {0: 0}
        sender.release.set()
        await rig.ledger.reached(0, 3)
        assert rig.ledger.written[-1] == (0, 3)
        assert rig.ledger.count("n1") == 4


async def test_sends_of_many_records_share_one_concurrency_bound() -> None:
    sender = ScriptedSender()
    sender.held = {f"t{i}" for i in range(12)}
    async with running(sender, concurrency=8) as rig:
        await rig.queue.append([batch_record([f"t{i}" for i in range(r, 12, 4)]) for r in range(4)])
        await sender.until(lambda: sender.running == 8)  # every slot taken
        assert len({int(t[1:]) % 4 for _, t in sender.calls}) >= 3  # by several records
        sender.release.set()
        await rig.ledger.reached(0, 4)
        assert sender.most_running == 8
        assert rig.ledger.count("n1") == 12


async def test_accepted_tokens_are_recorded_before_the_record_is_done() -> None:
    sender = ScriptedSender()
    sender.held = {"last"}
    async with running(sender, flush_size=1000, flush_interval=0.01) as rig:
        await rig.queue.append([batch_record(["a", "b", "last"])])
        await rig.ledger.holds("n1", 2)  # the interval flush, while "last" is in flight
        assert rig.ledger.positions({0}) == {0: 0}
        sender.release.set()
        await rig.ledger.reached(0, 1)


async def test_a_stop_waits_for_sends_in_flight_and_records_them() -> None:
    sender = ScriptedSender()
    sender.held = {"b"}
    async with running(sender, flush_size=1000, flush_interval=60) as rig:
        await rig.queue.append([batch_record(["a", "b"])])
        await sender.until(lambda: ("n1", "b") in sender.calls)
        stopping = asyncio.create_task(rig.task_stopped())
        await asyncio.sleep(0)  # the stop has begun (asyncio runs ready tasks in order)
        sender.release.set()  # "b" is answered during the stop
        await stopping
    assert rig.ledger.delivered("n1", ["a", "b"]) == {"a", "b"}
    assert rig.ledger.positions({0}) == {0: 0}  # given up: a successor re-reads it


async def test_a_stop_gives_up_a_send_that_never_answers() -> None:
    sender = ScriptedSender()
    sender.held = {"stuck"}
    async with running(sender, flush_size=1000, flush_interval=60, stop_timeout=0.05) as rig:
        await rig.queue.append([batch_record(["a", "stuck", "c"])])
        await sender.until(lambda: len(sender.accepted) == 2)
    assert rig.ledger.delivered("n1", ["a", "stuck", "c"]) == {"a", "c"}
    assert rig.ledger.positions({0}) == {0: 0}


final = st.sampled_from([ACCEPTED, GONE])
script = st.tuples(st.integers(0, 3), final)  # retries first, then what the token ends as


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(st.lists(st.integers(0, 30), min_size=1, max_size=8), min_size=1, max_size=6),
    scripts=st.dictionaries(st.integers(0, 30), script),
    flush_size=st.integers(1, 5),
)
def test_any_mix_of_answers_ends_each_token_accepted_once_or_pruned(
    batches: list[list[int]], scripts: dict[int, tuple[int, SendResult]], flush_size: int
) -> None:
    tokens = {n: f"tok{n}" for batch in batches for n in batch}
    sender = ScriptedSender(
        {
            tokens[n]: [RETRY] * retries + [end]
            for n, (retries, end) in scripts.items()
            if n in tokens
        }
    )

    async def scenario() -> Rig:
        async with running(sender, flush_size=flush_size, concurrency=3) as rig:
            await rig.queue.append([batch_record(tokens[n] for n in batch) for batch in batches])
            await rig.ledger.reached(0, len(batches))
        return rig

    rig = asyncio.run(scenario())
    pruned = {t for t, _ in rig.registry.pruned_tokens()}
    for n, token in tokens.items():
        ends_gone = n in scripts and scripts[n][1] is GONE
        accepted = rig.sender.accepted.count(("n1", token))
        assert (accepted, token in pruned) == ((0, True) if ends_gone else (1, False))
    at = [position for _, position in rig.ledger.written]
    assert at == sorted(at) and at[-1] == len(batches)
