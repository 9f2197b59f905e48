"""One member of the consumer group reading the topic (see domain.ports.LogConsumer).

kafka-python's KafkaConsumer is blocking and not thread-safe: it is used by one
thread at a time (the :meth:`KafkaLogConsumer.poll` worker thread, or the closer),
under ``_Member.lock``. Its rebalance listener runs on kafka-python's own IO thread
while that user thread waits inside ``poll()`` (or ``close()``), so the owner's
``on_assigned`` / ``on_revoked`` never run concurrently with a poll's result handling.
A slow ``on_assigned`` delays this member's heartbeats: keep it well under
``session_timeout_ms`` (RecordingWorker's is one indexed read per partition).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition

from adapters.kafka_event_log.settings import (
    RECEIVED_AT_HEADER,
    EventLogUnavailable,
    KafkaSettings,
)
from domain.ports import Assigned, LogRecord, Positioned, Revoked

log = logging.getLogger("scoreline.kafka")


def positioned(partition: int, record: Any) -> Positioned:
    """A fetched ConsumerRecord as the log's record: position = offset + 1."""
    received_at: float | None = None
    for name, value in record.headers or ():
        if name == RECEIVED_AT_HEADER and value is not None:
            with contextlib.suppress(UnicodeDecodeError, ValueError):
                received_at = float(value.decode())
    if received_at is None:  # not written by KafkaEventLog: the broker's timestamp
        received_at = record.timestamp / 1000
    key = record.key.decode() if record.key is not None else ""
    value = record.value or b""
    return Positioned(partition, record.offset + 1, LogRecord(key, value, received_at))


class _Member:
    """The state the IO thread touches. It never refers to its KafkaLogConsumer, so one
    dropped without ``close()`` is collected, and its finalizer leaves the group (else
    the group would wait ``max_poll_interval_ms`` for it at every rebalance)."""

    def __init__(self, settings: KafkaSettings, on_assigned: Assigned, on_revoked: Revoked):
        self.settings = settings
        self.on_assigned = on_assigned
        self.on_revoked = on_revoked
        self.kafka: Any = None
        self.lock = threading.Lock()
        self.closed = False
        self.owned: set[int] = set()
        self.unresumed: set[int] = set()  # owned, paused: their on_assigned failed
        self.next_offset: dict[int, int] = {}
        self.failure: Exception | None = None
        self.lag: dict[int, int] = {}
        self.highwater: dict[int, int] = {}

    def _tps(self, partitions: set[int]) -> list[Any]:
        return [TopicPartition(self.settings.topic, p) for p in sorted(partitions)]

    # ---------------------------------------------- listener (IO thread) and poll thread
    def assigned(self, partitions: set[int]) -> None:
        self.owned |= partitions
        self.resume(partitions)

    def resume(self, partitions: set[int]) -> None:
        """Ask the owner where each partition resumes, and seek there."""
        tps = self._tps(partitions)
        try:
            answered = self.on_assigned(set(partitions))
        except Exception as error:
            log.exception("on_assigned failed for partitions %s", sorted(partitions))
            self.kafka.pause(*tps)  # nothing of them is delivered until it answers
            self.unresumed |= partitions
            self.failure = self.failure or error
            return
        for tp in tps:
            position = answered.get(tp.partition, 0)
            if position > 0:
                self.kafka.seek(tp, position)  # the offset after the last processed
            else:
                self.kafka.seek_to_beginning(tp)
            self.next_offset[tp.partition] = position
        self.kafka.resume(*tps)
        self.unresumed -= partitions

    def revoked(self, partitions: set[int]) -> None:
        self.owned -= partitions
        self.unresumed -= partitions
        for p in partitions:
            self.next_offset.pop(p, None)
        try:
            self.on_revoked(set(partitions))
        except Exception as error:
            log.exception("on_revoked failed for partitions %s", sorted(partitions))
            self.failure = self.failure or error

    # --------------------------------------------------------------------- poll thread
    def poll(self, limit: int, timeout: float) -> list[Positioned]:
        try:
            with self.lock:
                if self.closed:
                    raise EventLogUnavailable("the consumer is closed")
                return self._poll(limit, timeout)
        finally:
            self._close_if_asked()

    def _poll(self, limit: int, timeout: float) -> list[Positioned]:
        kafka = self.kafka if self.kafka is not None else self._connect()
        if self.unresumed:
            self.resume(set(self.unresumed))
        self._raise_failure()
        batches = kafka.poll(timeout_ms=max(0, round(timeout * 1000)), max_records=limit)
        if self.failure is not None:
            # Deliver nothing of this poll, and fetch it again: at-least-once even for
            # an owner that catches the error and polls on.
            for tp, records in batches.items():
                if records and tp.partition in self.owned:
                    kafka.seek(tp, records[0].offset)
            self._raise_failure()
        found: list[Positioned] = []
        for tp, records in batches.items():
            if records and tp.partition in self.owned:
                found.extend(positioned(tp.partition, r) for r in records)
                self.next_offset[tp.partition] = records[-1].offset + 1
        self._measure_lag(kafka)
        return found

    def _connect(self) -> Any:
        s = self.settings
        try:
            kafka = KafkaConsumer(
                **s.client(),
                group_id=s.group_id,
                enable_auto_commit=False,  # positions live in the event store
                # A position outside the log resumes at its start: past the end (the
                # topic was re-created), or before it (retention removed records
                # never processed: gone either way; kafka-python logs the reset).
                auto_offset_reset="earliest",
                allow_auto_create_topics=False,  # ensure_topic() makes it, partitioned
                session_timeout_ms=s.session_timeout_ms,
                heartbeat_interval_ms=s.heartbeat_interval_ms,
                max_poll_interval_ms=s.max_poll_interval_ms,
                fetch_max_wait_ms=s.fetch_max_wait_ms,
            )
        except Exception as error:
            raise EventLogUnavailable(f"Kafka at {s.bootstrap}: {error!r}") from error
        kafka.subscribe([s.topic], listener=_Listener(self))
        self.kafka = kafka
        return kafka

    def _raise_failure(self) -> None:
        failure, self.failure = self.failure, None
        if failure is not None:
            raise failure

    def _measure_lag(self, kafka: Any) -> None:
        lag: dict[int, int] = {}
        highwater: dict[int, int] = {}
        for p in self.owned - self.unresumed:
            try:
                high = kafka.highwater(TopicPartition(self.settings.topic, p))
            except Exception:  # not assigned (any more)
                continue
            if high is not None:
                highwater[p] = high
                if p in self.next_offset:
                    lag[p] = max(0, high - self.next_offset[p])
        self.lag, self.highwater = lag, highwater

    # ------------------------------------------------------------------------- closing
    def close(self) -> None:
        """Leave the group now, or (a poll in flight) as soon as that poll returns."""
        self.closed = True
        self._close_if_asked()

    def _close_if_asked(self) -> None:
        if self.closed and self.lock.acquire(blocking=False):
            try:
                kafka, self.kafka = self.kafka, None
                if kafka is not None:
                    kafka.close(autocommit=False, timeout_ms=self.settings.timeout_ms)
            except Exception:
                log.warning("closing the Kafka consumer failed", exc_info=True)
            finally:
                self.lag, self.highwater = {}, {}
                self.lock.release()


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]  # kafka is untyped
    def __init__(self, member: _Member) -> None:
        self._member = member

    def on_partitions_revoked(self, revoked: Any) -> None:
        if revoked:
            self._member.revoked({tp.partition for tp in revoked})

    def on_partitions_assigned(self, assigned: Any) -> None:
        if assigned:
            self._member.assigned({tp.partition for tp in assigned})


def _abandoned(member: _Member) -> None:
    if not member.closed:
        log.warning("a Kafka log consumer was dropped without close(): leaving the group")
        threading.Thread(target=member.close, name="kafka-consumer-close", daemon=True).start()


class KafkaLogConsumer:
    """A LogConsumer: joins the group on its first poll (a few seconds)."""

    def __init__(self, settings: KafkaSettings, on_assigned: Assigned, on_revoked: Revoked):
        self._member = _Member(settings, on_assigned, on_revoked)
        weakref.finalize(self, _abandoned, self._member).atexit = False

    async def poll(self, limit: int, timeout: float) -> list[Positioned]:
        """Up to ``limit`` records, in order per partition, waiting up to ``timeout``.

        The first poll connects (bounded by ``timeout_ms``) and raises
        :class:`EventLogUnavailable` if it cannot; a poll also raises what the owner's
        ``on_assigned``/``on_revoked`` raised (those partitions stay paused, and
        ``on_assigned`` is asked again on the next poll).
        """
        return await asyncio.to_thread(self._member.poll, limit, timeout)

    def assignment(self) -> set[int]:
        """The partitions this member owns (and has resumed)."""
        return self._member.owned - self._member.unresumed

    def lag(self) -> dict[int, int]:
        """Per owned partition: records in the log after the last delivered one (as of
        the last poll: the broker's high watermark from its last fetch response)."""
        return dict(self._member.lag)

    def highwater(self) -> dict[int, int]:
        """Per owned partition: its end offset (= last position) as last fetched."""
        return dict(self._member.highwater)

    def close(self) -> None:
        self._member.close()
