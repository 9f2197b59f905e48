"""The EventLog on a Kafka topic (``game-events`` in production): librdkafka
(confluent-kafka) produces; kafka-python consumes, makes the topic and reads its end
offsets.

See domain.ports.EventLog for the guarantees; how this keeps them:

- **Positions.** Kafka offsets start at 0, and an owner that processed nothing says 0,
  so a record's position is its offset + 1. A partition whose owner answers position
  ``p`` is resumed at offset ``p`` (the record after the last one processed); 0 resumes
  at the log start. Positions live in the event store (tracking names
  ``f"{topic}:{partition}"``), never in Kafka: auto-commit is off and nothing is
  committed, so the group's committed offsets are never read.
- **Durable append.** An idempotent producer (``acks=all``), the game id as the key
  (``murmur2_random``: Java's and kafka-python's murmur2 for a keyed record, so a game
  stays on one partition); :meth:`KafkaEventLog.append` returns once every record is
  acknowledged (producer.py). ``received_at`` travels in the ``received_at`` header
  (the Kafka timestamp stays the producer's clock, which is what retention and
  ``message.timestamp.*`` checks want).
- **Bounded failure.** Every wait is bounded by ``timeout_ms`` (5 s): a record's whole
  delivery with retries (``message.timeout.ms``), each request, the admin and the
  consumer's bootstrap. With the broker down an append raises
  :class:`EventLogUnavailable` within about ``timeout_ms`` + 1 s: ingestion answers 503
  and the provider retries (the Scorekeeper dedupes). A producer that failed other than
  by a timeout is replaced (it may refuse every record from then on).
- **Consumer group.** Rebalance callbacks run on kafka-python's IO thread while the
  :meth:`KafkaLogConsumer.poll` worker thread waits for them; ``on_assigned`` is asked
  for every (re)assigned partition and each is sought to its answer before fetching.
"""

from adapters.kafka_event_log.consumer import KafkaLogConsumer
from adapters.kafka_event_log.log import KafkaEventLog
from adapters.kafka_event_log.settings import EventLogUnavailable

__all__ = ["EventLogUnavailable", "KafkaEventLog", "KafkaLogConsumer"]
