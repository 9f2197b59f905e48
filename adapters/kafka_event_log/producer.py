"""AckedProducer: librdkafka's idempotent producer (confluent-kafka), awaited from asyncio.

Guarantees (what :meth:`KafkaEventLog.append` builds on):
- :meth:`AckedProducer.send` returns once the broker acknowledged every record
  (``acks=all``, ``enable.idempotence``: no duplicate or reordered record from retries),
  and raises :class:`EventLogUnavailable` within about ``timeout_ms`` (+1 s) otherwise:
  librdkafka's ``message.timeout.ms`` bounds each record's whole delivery, retries
  included.
- The game id is the key and ``murmur2_random`` the partitioner: for a keyed record
  that is Java's (and kafka-python's) murmur2, so a game stays on the partition any
  Kafka client puts it on.
- A producer that failed in any way but a timeout is not used again (``broken``): an
  idempotent producer can be left refusing every later record (fenced by the broker,
  say, after a pause), so the owner replaces it. A fatal error reported outside a
  delivery (``error_cb``) breaks it too.

The usual asyncio pattern for librdkafka: ``produce`` never blocks (a full local queue
raises at once), and one thread of its own serves the delivery reports, resolving each
record's future on the loop that sent it. No thread hop per append.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from adapters.kafka_event_log.settings import (
    RECEIVED_AT_HEADER,
    EventLogUnavailable,
    KafkaSettings,
)
from domain.ports import LogRecord

log = logging.getLogger("scoreline.kafka")

# What merely waited too long: the producer is not to blame, keep it.
_TIMEOUTS = frozenset({KafkaError._MSG_TIMED_OUT, KafkaError._TIMED_OUT})


# kafka-python's spellings of the settings in ``extra`` that librdkafka spells otherwise
# (any other key is passed to librdkafka as it is: use its own names there).
_RDKAFKA_SPELLINGS = {
    "security_protocol": "security.protocol",
    "sasl_mechanism": "sasl.mechanism",
    "sasl_plain_username": "sasl.username",
    "sasl_plain_password": "sasl.password",
    "ssl_cafile": "ssl.ca.location",
    "ssl_certfile": "ssl.certificate.location",
    "ssl_keyfile": "ssl.key.location",
}


def producer_config(settings: KafkaSettings) -> dict[str, Any]:
    """librdkafka's configuration for the settings (see the module docstring)."""
    ms = settings.timeout_ms
    config: dict[str, Any] = {
        "bootstrap.servers": settings.bootstrap,
        "socket.connection.setup.timeout.ms": ms,
        "topic.metadata.refresh.interval.ms": 60_000,
        "enable.idempotence": True,
        "acks": "all",
        "partitioner": "murmur2_random",
        "linger.ms": 0,  # a provider waits for the ack: send at once
        "message.timeout.ms": ms,  # a record's whole delivery, retries included
        "request.timeout.ms": ms,
    }
    if settings.client_id is not None:
        config["client.id"] = settings.client_id
    for key, value in settings.extra.items():
        config[_RDKAFKA_SPELLINGS.get(key, key)] = value
    return config


class AckedProducer:
    """One librdkafka producer and the thread serving its delivery reports."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self.broken: BaseException | None = None  # set: replace this producer
        # librdkafka's own log lines go through `logging` (JSON, like every other line).
        config = {**producer_config(settings), "error_cb": self._on_error, "logger": log}
        self._producer = Producer(config)
        self._closed = threading.Event()
        self._reports = threading.Thread(
            target=self._serve_reports, name="kafka-delivery-reports", daemon=True
        )
        self._reports.start()

    async def send(self, records: Sequence[LogRecord]) -> None:
        """Every record acknowledged, or :class:`EventLogUnavailable` (see the module)."""
        if not records:
            return
        acks = _Acks(asyncio.get_running_loop(), len(records))
        try:
            for r in records:
                self._producer.produce(
                    self.settings.topic,
                    value=r.value,
                    key=r.key.encode(),
                    headers=[(RECEIVED_AT_HEADER, repr(r.received_at).encode())],
                    on_delivery=acks.report,
                )
        except (BufferError, KafkaException) as error:
            acks.give_up()
            if isinstance(error, KafkaException):  # not a full queue: the producer refuses
                self.broken = error
            raise EventLogUnavailable(f"Kafka topic {self.settings.topic}: {error!r}") from error
        try:
            async with asyncio.timeout(self.settings.timeout_ms / 1000 + 1):
                await acks.done
        except TimeoutError as error:
            raise EventLogUnavailable(
                f"Kafka topic {self.settings.topic}: no acknowledgement in time"
            ) from error
        except KafkaException as error:
            reason: KafkaError = error.args[0]
            if reason.code() not in _TIMEOUTS:
                self.broken = error
            raise EventLogUnavailable(f"Kafka topic {self.settings.topic}: {reason}") from error

    def close(self, timeout: float) -> None:
        """Deliver what is queued (up to ``timeout`` seconds), then stop."""
        try:
            self._producer.flush(timeout)
        finally:
            self._closed.set()
            self._reports.join(timeout=1)

    def abandon(self) -> None:
        """Stop without delivering what is queued (a broken producer)."""
        self._producer.purge()
        self.close(0)

    def _serve_reports(self) -> None:
        while not self._closed.is_set():
            try:
                self._producer.poll(0.1)
            except KafkaException as error:  # a fatal error: poll raises it from now on
                if self.broken is None:
                    self.broken = error
                    log.error("the Kafka producer failed for good: %s", error.args[0])
                self._closed.wait(0.1)  # serve what reports it still can, slowly

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            self.broken = KafkaException(error)
            log.error("the Kafka producer failed for good: %s", error)
        else:
            log.info("Kafka producer: %s", error)


class _Acks:
    """The delivery reports of one send, counted on the report thread (the only one
    that calls :meth:`report`); ``done`` resolves on the loop when the last arrives,
    with the first error if any (one wake of the loop per send, not per record)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, expected: int) -> None:
        self.loop = loop
        self.done: asyncio.Future[None] = loop.create_future()
        self.expected = expected
        self.reported = 0
        self.error: KafkaError | None = None

    def report(self, error: KafkaError | None, _message: Any) -> None:
        self.reported += 1
        if error is not None and self.error is None:
            self.error = error
        if self.reported == self.expected:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits
                self.loop.call_soon_threadsafe(self._resolve)

    def give_up(self) -> None:
        """Not all were queued: nobody waits for the reports of those that were."""
        self.expected = -1
        self.done.cancel()

    def _resolve(self) -> None:
        if self.done.done():  # given up on (timed out, cancelled)
            return
        if self.error is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(KafkaException(self.error))


__all__ = ["AckedProducer", "producer_config"]
