"""What the producer, the consumers and the admin client of one KafkaEventLog share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RECEIVED_AT_HEADER = "received_at"  # LogRecord.received_at, repr() of the float, UTF-8


class EventLogUnavailable(RuntimeError):
    """The log could not take (or give) records in bounded time; nothing is known durable."""


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap: str  # "host:port[,host:port...]"
    topic: str
    group_id: str
    client_id: str | None = None
    # The bound on every producer and admin wait (see the package docstring).
    timeout_ms: int = 5000
    # Consumer-group liveness: the Java client's defaults; tests use 6000 / 1000.
    session_timeout_ms: int = 45000
    heartbeat_interval_ms: int = 3000
    max_poll_interval_ms: int = 300000
    # How long the broker may hold a consumer's fetch while it has less than
    # fetch_min_bytes (1) to give. Kafka clients default to 500: a broker that waits
    # the whole of it (Tansu does) puts up to 500 ms under every event. A short wait
    # costs an idle consumer one small fetch round trip per wait, nothing under load.
    fetch_max_wait_ms: int = 10
    # Settings for every client (kafka-python's spellings, security_protocol, ssl_*,
    # sasl_*, ...; librdkafka gets them respelled: see producer.producer_config).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def client(self) -> dict[str, Any]:
        common: dict[str, Any] = {
            "bootstrap_servers": [s.strip() for s in self.bootstrap.split(",") if s.strip()],
            "bootstrap_timeout_ms": self.timeout_ms,
            **self.extra,
        }
        if self.client_id is not None:
            common["client_id"] = self.client_id
        return common
