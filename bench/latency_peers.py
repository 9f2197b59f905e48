"""The latency benchmark's measuring pieces: samples to figures, and the two peers.

Peers: the same pace as the provider, received by the same kind of process (bench/fans.py),
through the infrastructure alone: Redis PUBLISH -> SUBSCRIBE (one channel per game,
payloads about the size of a gateway message), and Kafka produce (acks=all,
idempotent, as ingest's producer is set; with kafka-python's client, not ingest's
librdkafka) -> consume (kafka-python's default fetch settings,
as the recorder consumes; and again with ``fetch_max_wait_ms=10``, since the broker
here holds a fetch for much of that wait) on a fresh topic of the fleet's partition
count.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any

from bench.fans import Fans, Receipts, Spec
from bench.fleet import Fleet
from bench.pushing import paced
from bench.report import CpuWindow, percentile
from bench.traffic import LiveGame

PAYLOAD_BYTES = 1200  # about a gateway message: {"game_id","version","event","state"}


def latencies(sent: dict[str, float], receipts: Receipts) -> list[float]:
    return [t - sent[k] for k, times in receipts.items() if k in sent for t in times]


def figures(samples: Sequence[float], expected: int, **extra: Any) -> dict[str, Any]:
    ms = [1000 * s for s in samples]
    return {
        "received": len(ms),
        "expected": expected,
        "p50_ms": percentile(ms, 0.50),
        "p90_ms": percentile(ms, 0.90),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=math.nan),
        **extra,
    }


def measure_peer(
    kind: str, fleet: Fleet, games: list[LiveGame], args: Any, fetch_max_wait_ms: int = 500
) -> dict[str, Any]:
    """The same pace through Redis pub/sub or Kafka alone, same receiving process."""
    count = int(args.rate * args.duration)
    keys = [g.game_id for g in games]
    pad = "x" * PAYLOAD_BYTES
    sent: dict[str, float] = {}
    if kind == "redis":
        prefix = fleet.env["SCORELINE_REDIS_PREFIX"] + "peer:"
        channels = [prefix + k for k in keys]
        fans = Fans(Spec("redis", channels, count, redis_url=fleet.env["SCORELINE_REDIS_URL"]))
        send, close = _redis_sender(fleet.env["SCORELINE_REDIS_URL"], channels, pad, sent)
    else:
        bootstrap = fleet.env["SCORELINE_KAFKA_BOOTSTRAP"]
        topic = f"peer-{os.getpid()}-{time.monotonic_ns()}"
        _create_topic(bootstrap, topic, int(fleet.env["SCORELINE_KAFKA_PARTITIONS"]))
        spec = Spec("kafka", [topic], count, kafka_bootstrap=bootstrap)
        fans = Fans(replace(spec, fetch_max_wait_ms=fetch_max_wait_ms))
        send, close = _kafka_sender(bootstrap, topic, keys, pad, sent)
    fans.start()
    window = CpuWindow({"pusher": [os.getpid()], "fans": [fans.pid]}).start()
    seconds, late = asyncio.run(_paced_then_close(count, args.rate, send, close))
    cpu = window.stop()
    receipts, _ = fans.finish(grace=20)
    return figures(
        latencies(sent, receipts), count, rate=count / seconds, late_sends=late, cpu_cores=cpu
    )


Send = Callable[[int], Coroutine[Any, Any, None]]
Close = Callable[[], Coroutine[Any, Any, None]]


async def _paced_then_close(count: int, rate: float, send: Send, close: Close) -> tuple[float, int]:
    try:
        return await paced(count, rate, send)
    finally:
        await close()


def _redis_sender(
    url: str, channels: Sequence[str], pad: str, sent: dict[str, float]
) -> tuple[Send, Close]:
    from redis.asyncio import Redis

    holder: list[Redis] = []

    async def send(i: int) -> None:
        if not holder:
            holder.append(Redis.from_url(url))
        key = f"m{i}"
        payload = json.dumps({"id": key, "pad": pad})
        sent[key] = time.monotonic()
        await holder[0].publish(channels[i % len(channels)], payload)

    async def close() -> None:
        for r in holder:
            await r.aclose()

    return send, close


def _kafka_sender(
    bootstrap: str, topic: str, keys: Sequence[str], pad: str, sent: dict[str, float]
) -> tuple[Send, Close]:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")

    async def send(i: int) -> None:
        key = f"m{i}"
        payload = json.dumps({"id": key, "pad": pad}).encode()
        sent[key] = time.monotonic()
        producer.send(topic, key=keys[i % len(keys)].encode(), value=payload)

    async def close() -> None:
        await asyncio.to_thread(producer.close, 10)

    return send, close


def _create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        admin.close()
