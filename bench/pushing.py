"""Provider load for the benchmarks: batches as fast as possible, or single events paced.

Both sign every request like a provider (``X-Scoreline-Signature``) over keep-alive
connections to 127.0.0.1, and retry a 429/503 after its Retry-After (bounded).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from bench.fleet import PROVIDER, SECRET
from bench.http1 import Connection
from bench.traffic import Event, LiveGame, body_and_headers, round_robin, webhook

ATTEMPTS = 20


class PushFailed(RuntimeError):
    pass


@dataclass
class Endpoint:
    """One provider connection to one URL (keep-alive; reopened after an error)."""

    url: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.path = parts.path
        self.conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80)

    def close(self) -> None:
        self.conn.close()


async def post(endpoint: Endpoint, payload: Any) -> dict[str, Any]:
    """Deliver one body (signed); the 202's JSON. Raises PushFailed on a refusal."""
    for _ in range(ATTEMPTS):
        body, headers = body_and_headers(payload, SECRET)
        try:
            answer = await endpoint.conn.request("POST", endpoint.path, body, headers)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            await asyncio.sleep(0.2)
            continue
        if answer.status == 202:
            found: dict[str, Any] = json.loads(answer.body)
            return found
        if answer.status not in (429, 503):
            detail = answer.body[:500].decode(errors="replace")
            raise PushFailed(f"{answer.status} from {endpoint.url}: {detail}")
        await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
    raise PushFailed(f"{endpoint.url} never accepted the delivery")


async def post_once(url: str, payload: Any) -> dict[str, Any]:
    """One delivery on a connection of its own (set-up steps, not measured)."""
    endpoint = Endpoint(url)
    try:
        return await post(endpoint, payload)
    finally:
        endpoint.close()


@dataclass
class BatchPush:
    """``workers`` concurrent senders; worker w owns games w, w+W, ... and sends their
    events (one of each game in turn) in batches of ``batch`` to ingest node w mod N,
    one request at a time, so a game's events reach the log in order."""

    games: Sequence[LiveGame]
    ingest_urls: Sequence[str]
    batch: int = 100
    workers: int = 8
    skip: int = 0  # events of each game already sent
    first_post: float = field(default=float("inf"))  # time.time() before the first POST
    accepted: int = 0
    requests: int = 0

    async def run(self) -> float:
        """Push everything; the time.time() when the last 202 came back."""
        await asyncio.gather(*(self._worker(w) for w in range(self.workers)))
        return time.time()

    async def _worker(self, w: int) -> None:
        own = self.games[w :: self.workers]
        if not own:
            return
        endpoint = Endpoint(webhook(self.ingest_urls[w % len(self.ingest_urls)], PROVIDER))
        events = round_robin(own, skip=self.skip, seed=w)
        try:
            while chunk := list(islice(events, self.batch)):
                self.first_post = min(self.first_post, time.time())
                answer = await post(endpoint, chunk)
                self.accepted += int(answer["accepted"])
                self.requests += 1
        finally:
            endpoint.close()


@dataclass
class PacedPush:
    """Single-event deliveries at ``rate`` a second, like a live provider: the i-th is
    due at start + i / rate, when ``sent[event_id]`` is stamped (time.monotonic():
    CLOCK_MONOTONIC, one clock for every process of this machine) and it is queued for
    the first of ``connections`` senders free. Under overload events wait in that queue
    (``backlog`` is its longest), as at a provider with a bounded pool: the wait counts
    in the latency, and the sender's cost stays flat (no task per pending event)."""

    events: Sequence[Event]
    urls: Sequence[str]  # ingest nodes, taken in turn
    rate: float
    connections: int = 16
    sent: dict[str, float] = field(default_factory=dict)
    answered: dict[str, float] = field(default_factory=dict)  # time.monotonic() of the 202
    failures: list[str] = field(default_factory=list)
    late: int = 0  # events queued over 5 ms after their due time
    backlog: int = 0
    seconds: float = 0.0

    async def run(self) -> None:
        queue: asyncio.Queue[int | None] = asyncio.Queue()
        senders = [asyncio.create_task(self._sender(queue)) for _ in range(self.connections)]
        start = time.monotonic()
        for i, event in enumerate(self.events):
            delay = start + i / self.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.005:
                self.late += 1
            self.sent[event["event_id"]] = time.monotonic()
            queue.put_nowait(i)
            self.backlog = max(self.backlog, queue.qsize())
        self.seconds = time.monotonic() - start
        for _ in senders:
            queue.put_nowait(None)
        await asyncio.gather(*senders)

    async def _sender(self, queue: asyncio.Queue[int | None]) -> None:
        endpoints = [Endpoint(url) for url in self.urls]
        try:
            while (i := await queue.get()) is not None:
                event = self.events[i]
                try:
                    await post(endpoints[i % len(endpoints)], event)
                    self.answered[event["event_id"]] = time.monotonic()
                except PushFailed as error:
                    self.failures.append(str(error))
        finally:
            for endpoint in endpoints:
                endpoint.close()


async def paced(
    count: int, rate: float, action: Callable[[int], Coroutine[Any, Any, None]]
) -> tuple[float, int]:
    """Start ``action(i)`` as a task for i < count, the i-th due at start + i / rate;
    wait for all; (seconds the starts took, how many started over 5 ms late)."""
    tasks: set[asyncio.Task[None]] = set()
    late = 0
    start = time.monotonic()
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005:
            late += 1
        task = asyncio.create_task(action(i))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    seconds = time.monotonic() - start
    await asyncio.gather(*tasks)
    return seconds, late
