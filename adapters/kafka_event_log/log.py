"""KafkaEventLog: the topic, its producer, and the consumers made from it."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError, TopicAlreadyExistsError

from adapters.kafka_event_log.consumer import KafkaLogConsumer
from adapters.kafka_event_log.producer import AckedProducer
from adapters.kafka_event_log.settings import EventLogUnavailable, KafkaSettings
from domain.ports import Assigned, LogRecord, Revoked

log = logging.getLogger("scoreline.kafka")
T = TypeVar("T")


class KafkaEventLog:
    """The EventLog on one Kafka topic; ``name`` is the topic (tracking names are
    ``f"{topic}:{partition}"``). See the package docstring for the guarantees."""

    def __init__(
        self,
        bootstrap: str,
        *,
        topic: str = "game-events",
        group_id: str = "scoreline-recorder",
        partitions: int = 12,
        replication_factor: int = -1,  # -1: the broker's default.replication.factor
        topic_config: Mapping[str, str] | None = None,  # e.g. {"min.insync.replicas": "2"}
        client_id: str | None = None,
        timeout_ms: int = 5000,
        session_timeout_ms: int = 45000,
        heartbeat_interval_ms: int = 3000,
        max_poll_interval_ms: int = 300000,
        fetch_max_wait_ms: int = 10,  # see KafkaSettings
        config: Mapping[str, Any] | None = None,  # for every client: security_protocol, ...
    ) -> None:
        self.name = topic
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.topic_config = dict(topic_config or {})
        self.settings = KafkaSettings(
            bootstrap,
            topic,
            group_id,
            client_id=client_id,
            timeout_ms=timeout_ms,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            max_poll_interval_ms=max_poll_interval_ms,
            fetch_max_wait_ms=fetch_max_wait_ms,
            extra=dict(config or {}),
        )
        self._producer: AckedProducer | None = None
        self._producer_lock = threading.Lock()
        self._consumers: weakref.WeakSet[KafkaLogConsumer] = weakref.WeakSet()
        self._admin: Any = None
        self._admin_lock = threading.Lock()
        self._count: int | None = None  # the topic's partitions, once looked up
        self._heads: tuple[float, dict[int, int]] = (0.0, {})
        self._heads_lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------------- topic
    def ensure_topic(self) -> int:
        """Create the topic with ``partitions`` partitions unless it exists (idempotent);
        answer how many partitions it has. Blocking: for startup and ``db upgrade``."""

        def ensure(admin: Any) -> int:
            spec = {
                "num_partitions": self.partitions,
                "replication_factor": self.replication_factor,
                "configs": self.topic_config,
            }
            try:
                t = self.settings.timeout_ms
                admin.create_topics({self.name: spec}, timeout_ms=t, wait_for_metadata=True)
                log.info("created topic %s with %d partitions", self.name, self.partitions)
                return self.partitions
            except TopicAlreadyExistsError:
                return self._partition_count(admin)

        found = self._with_admin(ensure)
        if found != self.partitions:
            # More partitions would move games between them (and break their order).
            log.warning(
                "topic %s has %d partitions, not the %d configured: keeping %d",
                *(self.name, found, self.partitions, found),
            )
        return found

    def head(self, partition: int) -> int:
        """The last position appended to ``partition`` (0: none): its end offset, since
        position = offset + 1. Blocking: one ListOffsets for all partitions, at most once
        a second; never below the high watermark this process's consumers last fetched."""
        with self._heads_lock:
            taken, heads = self._heads
            if time.monotonic() - taken > 1.0 or partition not in heads:
                heads = self._with_admin(self._end_offsets)
                self._heads = (time.monotonic(), heads)
        fetched = [c.highwater().get(partition, 0) for c in list(self._consumers)]
        return max([heads.get(partition, 0), *fetched])

    def _end_offsets(self, admin: Any) -> dict[int, int]:
        if not self._count:
            self._count = self._partition_count(admin)
        specs = {TopicPartition(self.name, p): OffsetSpec.LATEST for p in range(self._count)}
        found = admin.list_partition_offsets(specs, timeout_ms=self.settings.timeout_ms)
        return {tp.partition: int(at.offset) for tp, at in found.items()}

    def _partition_count(self, admin: Any) -> int:
        (described,) = admin.describe_topics([self.name])
        return len(described["partitions"])

    def _with_admin(self, action: Callable[[Any], T]) -> T:
        with self._admin_lock:
            if self._closed:
                raise EventLogUnavailable("the event log is closed")
            try:
                if self._admin is None:
                    ms = self.settings.timeout_ms
                    self._admin = KafkaAdminClient(**self.settings.client(), request_timeout_ms=ms)
                return action(self._admin)
            except KafkaError as error:
                admin, self._admin = self._admin, None  # the next call connects afresh
                if admin is not None:
                    admin.close()
                where = self.settings.bootstrap
                raise EventLogUnavailable(f"Kafka at {where}: {error!r}") from error

    # ------------------------------------------------------------------------ append
    async def append(self, records: Sequence[LogRecord]) -> None:
        """Returns once the broker acknowledged every record (``acks="all"``); raises
        :class:`EventLogUnavailable` within about ``timeout_ms`` + 1 s otherwise."""
        if not records:
            return
        producer = self._producer_ready()
        try:
            await producer.send(records)
        finally:
            if producer.broken is not None:
                self._discard(producer)

    def _discard(self, producer: AckedProducer) -> None:
        """Replace a broken producer: the next append makes a new one (this one may
        refuse every record from now on; see adapters/kafka_event_log/producer.py)."""
        with self._producer_lock:
            if self._producer is not producer:
                return
            self._producer = None
        log.warning("replacing the Kafka producer after %r", producer.broken)
        threading.Thread(target=producer.abandon, name="kafka-producer-abandon").start()

    def _producer_ready(self) -> AckedProducer:
        if self._closed:
            raise EventLogUnavailable("the event log is closed")
        broken = self._producer
        if broken is not None and broken.broken is not None:  # failed since its last use
            self._discard(broken)
        with self._producer_lock:  # librdkafka connects in the background: never blocks
            if self._producer is None:
                self._producer = AckedProducer(self.settings)
            return self._producer

    # --------------------------------------------------------------------- consumers
    def consumer(self, on_assigned: Assigned, on_revoked: Revoked) -> KafkaLogConsumer:
        if self._closed:
            raise EventLogUnavailable("the event log is closed")
        consumer = KafkaLogConsumer(self.settings, on_assigned, on_revoked)
        self._consumers.add(consumer)
        return consumer

    def lag(self) -> dict[int, int]:
        """Consumer lag per partition owned by this process's consumers (see
        :meth:`KafkaLogConsumer.lag`)."""
        lag: dict[int, int] = {}
        for consumer in list(self._consumers):
            lag.update(consumer.lag())
        return lag

    def close(self) -> None:
        """Flush and close the producer (bounded by ``timeout_ms``), close the consumers."""
        self._closed = True
        for consumer in list(self._consumers):
            consumer.close()
        with self._admin_lock:
            admin, self._admin = self._admin, None
        if admin is not None:
            admin.close()
        with self._producer_lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(self.settings.timeout_ms / 1000)
            except Exception:
                log.warning("closing the Kafka producer failed", exc_info=True)
