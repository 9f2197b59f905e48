"""The receiving end of the latency benchmark, in a process of its own.

A :class:`Fans` process opens its subscriptions (SSE streams on the gateways, or a
Redis SUBSCRIBE, or a Kafka consumer for the peers), says ``ready``, then stamps
every message it receives with time.monotonic() (CLOCK_MONOTONIC, the clock the
sender stamps with: one clock for every process of the machine) until it has
``expected`` receipts or is told to stop. It answers {message id: [receipt times]}
and its own CPU seconds. Ids: a game event's ``event_id`` (SSE), the payload's
``id`` (peers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import httpx

Receipts = dict[str, list[float]]


@dataclass(frozen=True)
class Spec:
    kind: str  # "sse" | "redis" | "kafka"
    targets: Sequence[str]  # SSE stream URLs | Redis channels | [Kafka topic]
    expected: int
    redis_url: str = ""
    kafka_bootstrap: str = ""
    fetch_max_wait_ms: int = 500  # kafka-python's default, which the recorder uses


class Fans:
    """The subscriber process: start(), wait_ready(), then finish() for the receipts."""

    def __init__(self, spec: Spec) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self.process = context.Process(target=_main, args=(spec, child), daemon=True)

    def start(self, timeout: float = 60) -> Fans:
        self.process.start()
        if not self._conn.poll(timeout):
            raise RuntimeError("the fans never became ready")
        message = self._conn.recv()
        if message != "ready":
            raise RuntimeError(f"the fans failed: {message}")
        return self

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def finish(self, grace: float) -> tuple[Receipts, float]:
        """Wait up to ``grace`` s for every expected receipt, then stop the process."""
        if not self._conn.poll(grace):
            self._conn.send("stop")
        receipts, cpu = self._conn.recv()
        self.process.join(10)
        return receipts, cpu


def _main(spec: Spec, conn: Connection) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        receipts = asyncio.run(_collect(spec, conn))
    except BaseException as error:
        conn.send(f"{type(error).__name__}: {error}")
        raise
    conn.send((receipts, time.process_time()))


async def _collect(spec: Spec, conn: Connection) -> Receipts:
    receipts: Receipts = {}
    done = asyncio.Event()
    count = 0

    def stamp(key: str, at: float | None = None) -> None:
        nonlocal count
        receipts.setdefault(key, []).append(time.monotonic() if at is None else at)
        count += 1
        if count >= spec.expected:
            done.set()

    ready = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        if spec.kind == "sse":
            tasks = await _sse(spec, stamp, stack)
        elif spec.kind == "redis":
            tasks = [asyncio.create_task(_redis(spec, stamp, ready))]
            await ready.wait()
        else:
            tasks = [asyncio.create_task(_kafka(spec, stamp, ready))]
            await ready.wait()
        conn.send("ready")
        while not done.is_set() and not conn.poll():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return receipts


async def _sse(spec: Spec, stamp: Any, stack: contextlib.AsyncExitStack) -> list[Any]:
    limits = httpx.Limits(max_connections=len(spec.targets) + 1)
    http = await stack.enter_async_context(
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=None), limits=limits)
    )
    opened = [asyncio.Event() for _ in spec.targets]
    tasks = [
        asyncio.create_task(_stream(http, url, stamp, o))
        for url, o in zip(spec.targets, opened, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), 60)
    failed = [t for t in tasks if t.done()]
    if failed:
        raise RuntimeError(f"{len(failed)} SSE streams ended early: {failed[0].exception()!r}")
    return tasks


async def _stream(http: httpx.AsyncClient, url: str, stamp: Any, opened: asyncio.Event) -> None:
    """One fan: read frames; the first (``state``) means connected; stamp game events."""
    headers = {"Accept": "text/event-stream"}
    async with http.stream("GET", url, headers=headers) as response:
        response.raise_for_status()
        event = "message"
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                if event == "game_event":
                    stamp(json.loads(line[5:])["event"]["event_id"])
                else:
                    opened.set()
            elif line == "":
                event = "message"


async def _redis(spec: Spec, stamp: Any, ready: asyncio.Event) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(spec.redis_url)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(*spec.targets)
        confirmed = 0
        while confirmed < len(spec.targets):
            message = await pubsub.get_message(timeout=5)
            if message is not None and message["type"] == "subscribe":
                confirmed += 1
        ready.set()
        async for message in pubsub.listen():
            if message["type"] == "message":
                stamp(json.loads(message["data"])["id"])
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed since redis 8.2
        await client.aclose()


async def _kafka(spec: Spec, stamp: Any, ready: asyncio.Event) -> None:
    """A consumer with the recorder's fetch settings (kafka-python's defaults, unless
    ``fetch_max_wait_ms`` is given), assigned
    every partition at the end, polled on a thread; each receipt is stamped on that
    thread as the record arrives, and handed to the loop."""
    from kafka import KafkaConsumer, TopicPartition

    loop = asyncio.get_running_loop()
    stop = threading.Event()
    started = threading.Event()

    def consume() -> None:
        consumer = KafkaConsumer(
            bootstrap_servers=spec.kafka_bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=spec.fetch_max_wait_ms,
        )
        try:
            (topic,) = spec.targets
            parts = consumer.partitions_for_topic(topic) or set()
            consumer.assign([TopicPartition(topic, p) for p in sorted(parts)])
            consumer.seek_to_end()
            consumer.poll(timeout_ms=100)
            started.set()
            while not stop.is_set():
                for records in consumer.poll(timeout_ms=100).values():
                    for record in records:
                        at = time.monotonic()
                        key = json.loads(record.value)["id"]
                        loop.call_soon_threadsafe(stamp, key, at)
        finally:
            consumer.close()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    try:
        while not started.is_set():
            await asyncio.sleep(0.05)
        ready.set()
        await asyncio.Event().wait()
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 10)
