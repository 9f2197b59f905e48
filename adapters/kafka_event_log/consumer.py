"""One member of the consumer group reading the topic (see domain.ports.LogConsumer),
on librdkafka (confluent-kafka).

librdkafka fetches, heartbeats and keeps the group membership on threads of its own;
the rebalance callbacks run inside ``consume()``, on the thread that polls (the
:meth:`KafkaLogConsumer.poll` worker thread, one at a time under ``_Member.lock``). So
the owner's ``on_assigned`` / ``on_revoked`` never run concurrently with a poll's
result handling. Partitions are assigned with the offsets ``on_assigned`` answers: no
committed offset is ever read (nothing is committed).

The first poll asks the broker for the topic (one metadata request, bounded by
``timeout_ms``) and raises :class:`EventLogUnavailable` if it does not answer. Once it
has, librdkafka rides out an outage by itself: polls return nothing meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from adapters.kafka_event_log.settings import (
    RECEIVED_AT_HEADER,
    EventLogUnavailable,
    KafkaSettings,
    rdkafka_common,
)
from domain.ports import Assigned, LogRecord, Positioned, Revoked

log = logging.getLogger("scoreline.kafka")


def positioned(message: Any) -> Positioned:
    """A fetched message as the log's record: position = offset + 1."""
    received_at: float | None = None
    for name, value in message.headers() or ():
        if name == RECEIVED_AT_HEADER and value is not None:
            with contextlib.suppress(UnicodeDecodeError, ValueError):
                received_at = float(value.decode())
    if received_at is None:  # not written by KafkaEventLog: the broker's timestamp
        received_at = message.timestamp()[1] / 1000
    key = message.key()
    record = LogRecord(key.decode() if key is not None else "", message.value() or b"", received_at)
    return Positioned(message.partition(), message.offset() + 1, record)


def consumer_config(settings: KafkaSettings) -> dict[str, Any]:
    """librdkafka's configuration of a group member for the settings."""
    return {
        **rdkafka_common(settings),
        "group.id": settings.group_id,
        "enable.auto.commit": False,  # positions live in the event store
        "enable.auto.offset.store": False,
        # A position outside the log resumes at its start: past the end (the topic was
        # re-created), or before it (retention removed records never processed: gone
        # either way; librdkafka logs the reset).
        "auto.offset.reset": "earliest",
        "allow.auto.create.topics": False,  # ensure_topic() makes it, partitioned
        "session.timeout.ms": settings.session_timeout_ms,
        "heartbeat.interval.ms": settings.heartbeat_interval_ms,
        "max.poll.interval.ms": settings.max_poll_interval_ms,
        "fetch.wait.max.ms": settings.fetch_max_wait_ms,
        "enable.partition.eof": False,
    }


class _Member:
    """The state the callbacks touch. It never refers to its KafkaLogConsumer, so one
    dropped without ``close()`` is collected, and its finalizer leaves the group (else
    the group would wait ``session_timeout_ms`` for it at every rebalance)."""

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
        self.reached = False  # the broker answered this member once
        self.lag: dict[int, int] = {}
        self.highwater: dict[int, int] = {}

    def _tp(self, partition: int, offset: int | None = None) -> TopicPartition:
        if offset is None:
            return TopicPartition(self.settings.topic, partition)
        return TopicPartition(self.settings.topic, partition, offset)

    # ------------------------------------------------------ callbacks (the poll thread)
    def assigned(self, kafka: Any, tps: list[Any]) -> None:
        partitions = {tp.partition for tp in tps}
        self.owned |= partitions
        answered = self._ask(partitions)
        if answered is None:  # nothing of them is delivered until it answers
            kafka.assign(tps)
            kafka.pause(tps)
            return
        kafka.assign([self._tp(p, self._offset(answered.get(p, 0))) for p in sorted(partitions)])
        for p in partitions:
            self.next_offset[p] = answered.get(p, 0)

    def revoked(self, kafka: Any, tps: list[Any]) -> None:
        partitions = {tp.partition for tp in tps}
        self.owned -= partitions
        self.unresumed -= partitions
        for p in partitions:
            self.next_offset.pop(p, None)
        try:
            self.on_revoked(set(partitions))
        except Exception as error:
            log.exception("on_revoked failed for partitions %s", sorted(partitions))
            self.failure = self.failure or error
        finally:
            kafka.unassign()

    def error(self, error: KafkaError) -> None:
        log.info("Kafka consumer: %s", error)  # librdkafka retries (a fatal one: _is_record)

    def _ask(self, partitions: set[int]) -> dict[int, int] | None:
        """The owner's positions for ``partitions`` (None: it failed; they stay paused)."""
        try:
            answered = self.on_assigned(set(partitions))
        except Exception as error:
            log.exception("on_assigned failed for partitions %s", sorted(partitions))
            self.unresumed |= partitions
            self.failure = self.failure or error
            return None
        self.unresumed -= partitions
        return answered

    @staticmethod
    def _offset(position: int) -> int:
        return position if position > 0 else OFFSET_BEGINNING

    def _resume(self, kafka: Any, partitions: set[int]) -> None:
        """Ask again for the partitions whose ``on_assigned`` failed; seek and resume."""
        answered = self._ask(partitions)
        if answered is None:
            return
        tps = [self._tp(p, self._offset(answered.get(p, 0))) for p in sorted(partitions)]
        kafka.resume(tps)
        for tp in tps:
            kafka.seek(tp)
            self.next_offset[tp.partition] = answered.get(tp.partition, 0)

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
        if not self.reached:
            self._check_reachable(kafka)
        if self.unresumed:
            self._resume(kafka, set(self.unresumed))
        self._raise_failure()
        try:
            # consume() would wait for all ``limit``: wait for the first, take the rest
            # that is already fetched.
            earliest = kafka.poll(max(0.0, timeout))
            messages = [] if earliest is None else [earliest]
            if earliest is not None and limit > 1:
                messages += kafka.consume(num_messages=limit - 1, timeout=0)
        except KafkaException as error:
            raise EventLogUnavailable(f"Kafka topic {self.settings.topic}: {error}") from error
        records = [m for m in messages if self._is_record(m)]
        if self.failure is not None:
            # Deliver nothing of this poll, and fetch it again: at-least-once even for
            # an owner that catches the error and polls on.
            first: dict[int, int] = {}
            for m in records:
                first.setdefault(m.partition(), m.offset())
            for partition, offset in first.items():
                if partition in self.owned:
                    kafka.seek(self._tp(partition, offset))
            self._raise_failure()
        found = [positioned(m) for m in records if m.partition() in self.owned]
        for item in found:
            self.next_offset[item.partition] = item.position  # the next offset to fetch
        self._measure_lag(kafka)
        return found

    def _is_record(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        if error.fatal() or error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            raise EventLogUnavailable(f"Kafka topic {self.settings.topic}: {error}")
        log.warning("Kafka consumer: %s", error)
        return False

    def _check_reachable(self, kafka: Any) -> None:
        """Ask the broker for the topic (bounded): EventLogUnavailable if it cannot answer."""
        try:
            kafka.list_topics(self.settings.topic, timeout=self.settings.timeout_ms / 1000)
        except KafkaException as error:
            where = self.settings.bootstrap
            raise EventLogUnavailable(f"Kafka at {where}: {error.args[0]}") from error
        self.reached = True

    def _connect(self) -> Any:
        s = self.settings
        config = {**consumer_config(s), "error_cb": self.error, "logger": log}
        try:
            kafka = Consumer(config)
            kafka.subscribe([s.topic], on_assign=self.assigned, on_revoke=self.revoked)
        except KafkaException as error:
            raise EventLogUnavailable(f"Kafka at {s.bootstrap}: {error.args[0]}") from error
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
                _low, high = kafka.get_watermark_offsets(self._tp(p), cached=True)
            except KafkaException:  # not assigned (any more)
                continue
            if high is not None and high >= 0:
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
                    kafka.close()  # leaves the group (the revoke callback runs)
            except Exception:
                log.warning("closing the Kafka consumer failed", exc_info=True)
            finally:
                self.lag, self.highwater = {}, {}
                self.lock.release()


def _abandoned(member: _Member) -> None:
    if not member.closed:
        log.warning("a Kafka log consumer was dropped without close(): leaving the group")
        threading.Thread(target=member.close, name="kafka-consumer-close", daemon=True).start()


class KafkaLogConsumer:
    """A LogConsumer: joins the group on its first polls (a few seconds)."""

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
