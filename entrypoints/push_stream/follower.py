"""follow: keep reading a provider's HTTP push stream and deliver its events.

A push stream (Sportradar style) is one long chunked HTTP response of newline-
delimited JSON: event lines, and heartbeat lines (``{"heartbeat": ...}`` or blank)
that only say the stream is alive.

Guarantees:
- Order: lines are converted and delivered one at a time, in stream order; the next
  line is read only after ``deliver`` returned (backpressure).
- At least once, never doubled: a dropped connection is reconnected (from the
  original URL, following redirects) and the provider may resend; events already
  delivered (same game, event id and content, among the last ``remember``) are
  skipped locally, and ``deliver`` (Ingestion) dedupes by ``event_id`` anyway.
- Liveness: no bytes for ``heartbeat_timeout`` seconds means the connection is dead.
  Reconnects wait with exponential backoff and full jitter, capped at
  ``backoff_cap``; the backoff resets once a connection yields a line.
- Containment: a line the format cannot read, or events ``deliver`` refuses
  (DeliveryRefused), are reported to ``on_refused`` and skipped; the stream goes on.
  Any other failure of ``deliver`` is retried with backoff; after
  ``deliver_attempts`` failures in a row :class:`DeliveryFailed` is raised, since
  going on would lose the events.
- :func:`follow` runs until cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from domain.events import GameEvent
from domain.ingestion import DeliveryRefused
from entrypoints.push_stream.backoff import Backoff
from entrypoints.push_stream.delivered import DeliveredEvents
from entrypoints.push_stream.formats import ConversionError, LineConverter, converter_for
from entrypoints.push_stream.lines import OVERLONG, LineSplitter, is_heartbeat

log = logging.getLogger("scoreline.push_stream")

Deliver = Callable[[list[GameEvent]], Awaitable[object]]
OnRefused = Callable[[bytes, str], Awaitable[None]]
OnConnection = Callable[[bool], None]


class DeliveryFailed(Exception):
    """``deliver`` kept failing: the follower stops rather than lose events."""


class StreamRefused(Exception):
    """The provider answered with something other than 200."""


@dataclass
class FollowStatus:
    """What a follower is doing, for operators and tests. Times are unix seconds."""

    url: str
    connected: bool = False
    connections: int = 0
    reconnects: int = 0
    last_seen: float | None = None
    last_error: str | None = None
    lines: int = 0
    heartbeats: int = 0
    delivered: int = 0
    skipped: int = 0
    refused: int = 0
    backoffs: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=100))


@dataclass
class _Follower:
    url: str
    convert: LineConverter
    deliver: Deliver
    on_refused: OnRefused | None
    on_connection: OnConnection | None
    status: FollowStatus
    backoff: Backoff
    max_line_bytes: int
    deliver_attempts: int
    delivered: DeliveredEvents

    async def run(self, client: httpx.AsyncClient) -> None:
        while True:
            try:
                await self._stream_once(client)
                reason = "the stream ended"
            except (httpx.HTTPError, StreamRefused) as error:
                reason = f"{type(error).__name__}: {error}"
            self._connected(False)
            self.status.last_error = reason
            ceiling, delay = self.backoff.next_delay()
            self.status.reconnects += 1
            self.status.backoffs.append((ceiling, delay))
            log.warning("push stream %s: %s; reconnecting in %.2f s", self.url, reason, delay)
            await asyncio.sleep(delay)

    async def _stream_once(self, client: httpx.AsyncClient) -> None:
        async with client.stream("GET", self.url) as response:
            if response.status_code != 200:
                raise StreamRefused(f"{response.status_code} from {response.url}")
            self.status.connections += 1
            self._connected(True)
            splitter = LineSplitter(self.max_line_bytes)
            async for chunk in response.aiter_bytes():
                self.status.last_seen = time.time()
                for line in splitter.feed(chunk):
                    self.backoff.reset()
                    await self._line(line)

    async def _line(self, line: bytes) -> None:
        self.status.lines += 1
        if line == OVERLONG:
            await self._refuse(b"", f"a line over {self.max_line_bytes} bytes was skipped")
            return
        if is_heartbeat(line):
            self.status.heartbeats += 1
            return
        try:
            events = self.convert(line)
        except ConversionError as error:
            await self._refuse(line, str(error))
            return
        fresh = self.delivered.fresh(events)
        self.status.skipped += len(events) - len(fresh)
        if fresh:
            await self._deliver(line, fresh)

    async def _deliver(self, line: bytes, events: list[GameEvent]) -> None:
        retry = Backoff(self.backoff.base, self.backoff.cap, self.backoff.rng)
        for attempt in range(1, self.deliver_attempts + 1):
            try:
                await self.deliver(events)
            except DeliveryRefused as refused:
                await self._refuse(line, f"{refused.kind}: {refused.detail}")
                return
            except Exception as error:
                if attempt == self.deliver_attempts:
                    raise DeliveryFailed(f"deliver failed {attempt} times: {error}") from error
                _, delay = retry.next_delay()
                log.warning("push stream delivery failed (%s); retrying in %.2f s", error, delay)
                await asyncio.sleep(delay)
                continue
            self.delivered.add(events)
            self.status.delivered += len(events)
            return

    def _connected(self, connected: bool) -> None:
        was, self.status.connected = self.status.connected, connected
        if self.on_connection is not None and was != connected:
            self.on_connection(connected)

    async def _refuse(self, line: bytes, reason: str) -> None:
        self.status.refused += 1
        log.warning("push stream %s: line refused: %s", self.url, reason)
        if self.on_refused is not None:
            await self.on_refused(line, reason)


async def follow(
    url: str,
    *,
    format: str,
    deliver: Deliver,
    provider: str | None = None,
    heartbeat_timeout: float = 30.0,
    connect_timeout: float = 10.0,
    backoff_base: float = 0.5,
    backoff_cap: float = 30.0,
    headers: Mapping[str, str] | None = None,
    max_line_bytes: int = 1_048_576,
    remember: int = 100_000,
    deliver_attempts: int = 8,
    on_refused: OnRefused | None = None,
    on_connection: OnConnection | None = None,
    status: FollowStatus | None = None,
    rng: random.Random | None = None,
) -> None:
    """Follow the push stream at ``url`` until cancelled (see the module's guarantees).

    ``format`` names the line converter (:func:`format_names`); ``provider`` is who
    the events are from (default: the URL's host). ``deliver`` is typically
    ``services.ingestion.accept``. Pass a :class:`FollowStatus` to watch progress;
    ``on_connection(up)`` is called when the stream comes up or goes down.
    """
    source = provider or urlsplit(url).hostname or "push-stream"
    follower = _Follower(
        url=url,
        convert=converter_for(format, source),
        deliver=deliver,
        on_refused=on_refused,
        on_connection=on_connection,
        status=status or FollowStatus(url),
        backoff=Backoff(backoff_base, backoff_cap, rng),
        max_line_bytes=max_line_bytes,
        deliver_attempts=deliver_attempts,
        delivered=DeliveredEvents(remember),
    )
    timeout = httpx.Timeout(heartbeat_timeout, connect=connect_timeout)
    async with httpx.AsyncClient(
        follow_redirects=True, timeout=timeout, headers=dict(headers or {})
    ) as client:
        await follower.run(client)
