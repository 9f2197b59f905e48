"""The EventLog on a Kafka topic (``game-events`` in production), with kafka-python.

See domain.ports.EventLog for the guarantees; how this keeps them:

- **Positions.** Kafka offsets start at 0, and an owner that processed nothing says 0,
  so a record's position is its offset + 1. A partition whose owner answers position
  ``p`` is resumed at offset ``p`` (the record after the last one processed); 0 resumes
  at the log start. Positions live in the event store (tracking names
  ``f"{topic}:{partition}"``), never in Kafka: auto-commit is off and nothing is
  committed, so the group's committed offsets are never read.
- **Durable append.** An idempotent producer (``acks="all"``), the game id as the key
  (kafka-python's murmur2 partitioner, the same as Java's: a game stays on one
  partition); :meth:`KafkaEventLog.append` returns once every record is acknowledged.
  ``received_at`` travels in the ``received_at`` header (the Kafka timestamp stays the
  producer's clock, which is what retention and ``message.timestamp.*`` checks want).
- **Bounded failure.** Every producer wait is bounded by ``timeout_ms`` (5 s):
  bootstrap, metadata (``max_block_ms``), each request (``request_timeout_ms``) and the
  whole delivery with retries (``delivery_timeout_ms``). With the broker down an
  append raises :class:`EventLogUnavailable` within about ``2 * timeout_ms``: ingestion
  answers 503 and the provider retries (the Scorekeeper dedupes).
- **Consumer group.** Rebalance callbacks run on kafka-python's IO thread while the
  :meth:`KafkaLogConsumer.poll` worker thread waits for them; ``on_assigned`` is asked
  for every (re)assigned partition and each is sought to its answer before fetching.
"""

from adapters.kafka_event_log.consumer import KafkaLogConsumer
from adapters.kafka_event_log.log import KafkaEventLog
from adapters.kafka_event_log.settings import EventLogUnavailable

__all__ = ["EventLogUnavailable", "KafkaEventLog", "KafkaLogConsumer"]
