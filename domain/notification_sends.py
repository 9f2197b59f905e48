"""The notification worker's sends: each target of a record through its platform's
sender, one send per token at a time, with back-off (see domain/notification_worker.py
for the guarantees)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Mapping

from domain.notification_delivery_state import (
    DeadTokens,
    Job,
    RecordDelivery,
    RetryPolicy,
    WorkerCounts,
)
from domain.notification_ports import PushSender
from domain.push import SendOutcome, SendResult, Target

log = logging.getLogger("scoreline.notification_worker")

Sleep = Callable[[float], Awaitable[object]]
Spawn = Callable[[Coroutine[object, object, None]], None]


class TargetSends:
    """The targets of the records in flight, sent by :meth:`send_jobs` loops (run as many
    as sends may be in flight at once) and noted on their record as each is answered.

    Guarantees: a token has at most one send in flight (a later job for it waits); a
    record that is ``stopping`` starts no more sends; a token this worker found dead
    is not sent a notification resolved before its prune; ``RETRY`` is sent again
    after :class:`RetryPolicy`'s delay (through ``spawn``, so its waiting can be
    cancelled) up to ``max_attempts`` and never past ``expires_at``; every target
    queued ends in exactly one ``target_done`` of its record, unless it is stopping.
    Each answer is counted in ``counts``; ``full`` is set once a record has
    ``flush_size`` tokens accepted and not written.
    """

    def __init__(
        self,
        senders: Mapping[str, PushSender],
        counts: WorkerCounts,
        *,
        retry: RetryPolicy,
        clock: Callable[[], float],
        sleep: Sleep,
        rng: random.Random,
        flush_size: int,
        full: asyncio.Event,
        spawn: Spawn,
    ) -> None:
        self.senders = senders
        self.counts = counts
        self.retry = retry
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.flush_size = flush_size
        self.full = full
        self.spawn = spawn
        self._jobs: asyncio.Queue[Job] = asyncio.Queue()
        self._unsupported: set[str] = set()
        self._dead = DeadTokens()
        self._busy: dict[str, asyncio.Event] = {}  # tokens with a send in flight

    def queue(self, d: RecordDelivery, target: Target) -> None:
        """Queue a send of the record's notification to ``target`` (not if it is dead
        or its platform has no sender: then it counts as done already)."""
        assert d.notification is not None
        if self._dead.refuses(target.token, d.notification):
            self.counts.skipped_dead += 1
            return
        sender = self.senders.get(target.platform.value)
        if sender is None:
            self._no_sender(target.platform.value)
            return
        d.remaining += 1
        self._jobs.put_nowait((d, sender, target.token, 1))

    async def send_jobs(self) -> None:
        """One of the worker's concurrent senders: takes jobs, sends, handles the answer."""
        while True:
            d, sender, token, attempt = await self._jobs.get()
            while (busy := self._busy.get(token)) is not None:  # one send per token at once
                await busy.wait()
            if d.stopping or d.notification is None:
                continue
            if self._dead.refuses(token, d.notification):  # refused while this one waited
                self.counts.skipped_dead += 1
                d.target_done()
                continue
            d.sending += 1
            self._busy[token] = gate = asyncio.Event()
            try:
                result = await sender.send(d.notification, token)
            except Exception as error:  # a sender must not raise: treat it as a failed try
                log.exception("sender %r raised", sender)
                result = SendResult(SendOutcome.RETRY, reason=repr(error))
            finally:
                d.sending -= 1
                del self._busy[token]
                gate.set()
            self._answered(d, sender, token, attempt, result)

    def _answered(
        self, d: RecordDelivery, sender: PushSender, token: str, attempt: int, result: SendResult
    ) -> None:
        outcome = result.outcome
        if outcome is SendOutcome.RETRY and not d.stopping:
            assert d.notification is not None
            delay = self.retry.delay(attempt, result.retry_after, self.rng)
            if attempt >= self.retry.max_attempts:
                self.counts.gave_up += 1
                log.warning("notification %s: gave up on a token: %s", d.notification_id, result)
            elif self.clock() + delay > d.notification.expires_at:
                self.counts.expired += 1
            else:
                self.counts.retried += 1
                self.spawn(self._retry_later(delay, (d, sender, token, attempt + 1)))
                return
        elif outcome is SendOutcome.ACCEPTED:
            self.counts.sent += 1
            d.accepted.append(token)
            if len(d.accepted) >= self.flush_size:
                self.full.set()
        elif outcome is SendOutcome.UNREGISTERED:
            self.counts.pruned += 1
            self._dead.add(token, self.clock())
            d.unregistered.setdefault(result.reason or "unregistered", []).append(token)
        elif outcome is SendOutcome.REJECTED:
            self.counts.rejected += 1
            log.warning("notification %s refused for a token: %s", d.notification_id, result)
        d.target_done()

    async def _retry_later(self, delay: float, job: Job) -> None:
        await self.sleep(delay)
        self._jobs.put_nowait(job)

    def _no_sender(self, platform: str) -> None:
        self.counts.unsupported += 1
        if platform not in self._unsupported:
            self._unsupported.add(platform)
            log.warning("no push sender configured for %s: its devices are skipped", platform)


__all__ = ["Sleep", "TargetSends"]
