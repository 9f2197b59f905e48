"""What an idle recorder's Kafka consumer costs, by fetch wait.

One kafka-python consumer, configured as the recorder's (``KafkaSettings``), joins the
group of a fresh 12-partition topic on a private Tansu broker and polls an empty log
for ``--seconds``; reported: this process's CPU (cores) for each ``fetch_max_wait_ms``.
Tansu holds every fetch for the whole wait, so the wait sets how often it fetches.

    .venv/bin/python -m bench.idle_consumer [--waits 10,50,100] [--seconds 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Sequence

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic

from adapters.kafka_event_log.settings import KafkaSettings
from bench.services import tansu_broker

PARTITIONS = 12


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.idle_consumer", description=__doc__)
    p.add_argument("--waits", default="10,50,100", help="fetch_max_wait_ms values, ms")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=2)
    return p.parse_args(argv)


def idle_cores(bootstrap: str, wait_ms: int, seconds: float) -> float:
    topic = f"idle-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    admin.close()
    settings = KafkaSettings(
        bootstrap, topic=topic, group_id=f"idle-{topic}", fetch_max_wait_ms=wait_ms
    )
    consumer = KafkaConsumer(
        **settings.client(),
        group_id=settings.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        fetch_max_wait_ms=wait_ms,
    )
    try:
        consumer.subscribe([topic])
        while not consumer.assignment():
            consumer.poll(timeout_ms=100)
        started, cpu = time.monotonic(), time.process_time()
        while time.monotonic() - started < seconds:
            consumer.poll(timeout_ms=500, max_records=500)
        return (time.process_time() - cpu) / (time.monotonic() - started)
    finally:
        consumer.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    waits = [int(w) for w in args.waits.split(",")]
    found: dict[int, list[float]] = {w: [] for w in waits}
    with tansu_broker() as (bootstrap, _):
        for _ in range(args.rounds):
            for wait in waits:  # alternated, round after round
                found[wait].append(idle_cores(bootstrap, wait, args.seconds))
    for wait in waits:
        values = ", ".join(f"{v:.3f}" for v in found[wait])
        print(
            f"fetch_max_wait_ms {wait:4d}: an idle consumer {statistics.median(found[wait]):.3f}"
            f" cores (rounds {values})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
