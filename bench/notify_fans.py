"""The notification benchmark's SSE fans: one process of raw HTTP/1.1 connections.

Like bench/fanout_load.py (an asyncio Protocol per connection, uvloop: ~30 us a frame,
no HTTP client library in the way), but for a stream of many events: each connection
stamps with time.monotonic() (CLOCK_MONOTONIC, one clock for the machine's processes)
the first sight of each token ``fog-NNNNNN`` (the paced events carry their sequence
number so) and the process answers {sequence: [receipt times]} once, when told to stop.
bench/fans.py (httpx) costs several times as much a frame and, at 1,000 fans x 10
events/s on 2 cores, falls behind and measures itself.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import re
import time
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

from bench.fanout_load import DIGITS, TOKEN

Receipts = dict[int, list[float]]


class RawFans:
    """``count`` SSE streams of ``url``: the constructor returns once all are open."""

    def __init__(self, url: str, count: int, timeout: float = 60) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self.process = context.Process(target=_main, args=(url, count, child), daemon=True)
        self.process.start()
        if not self._conn.poll(timeout):
            raise RuntimeError("the SSE fans did not open in time")
        self.reconnects = 0
        opened, failure = self._conn.recv()
        if opened < count:
            raise RuntimeError(f"{opened} of {count} SSE fans opened: {failure}")

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def finish(self) -> Receipts:
        """Stop; the receipts. ``reconnects`` then says how often a fan had to resume."""
        self._conn.send("stop")
        found: tuple[Receipts, int] = self._conn.recv()
        receipts, self.reconnects = found
        self.process.join(30)
        return receipts


_ID = re.compile(rb"(?m)^id: ?(\d+)\r?$")
TAIL = 32  # bytes kept across reads: a token or an ``id:`` line may straddle two


class _Fan(asyncio.Protocol):
    """One fan. Like a browser's EventSource, when the gateway ends its stream (a fan
    too far behind is told to reconnect, BENCHMARKS.md "Fan-out") it reconnects with
    ``Last-Event-ID`` and gets what it missed (:meth:`resumed`)."""

    __slots__ = ("_base", "_last", "_last_id", "_receipts", "_request", "_tail", "lost",
                 "opened", "transport")  # fmt: skip

    def __init__(
        self, base: bytes, receipts: Receipts, opened: asyncio.Future[None], *, resume: bytes = b""
    ) -> None:
        self._base = base  # the request without its blank line
        self._request = base + (b"Last-Event-ID: " + resume + b"\r\n" if resume else b"") + b"\r\n"
        self._receipts = receipts
        self.opened = opened
        self._last = -1
        self._last_id = resume
        self._tail = b""
        self.lost = asyncio.Event()

    def resumed(self, opened: asyncio.Future[None]) -> _Fan:
        """A fan for the next connection, carrying on from what this one saw."""
        fan = _Fan(self._base, self._receipts, opened, resume=self._last_id)
        fan._last = self._last
        return fan

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set()

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.opened.done():
            self.opened.set_result(None)
        buffer = self._tail + data if self._tail else data
        at = buffer.find(TOKEN)
        while at >= 0 and at + 4 + DIGITS <= len(buffer):
            sequence = int(buffer[at + 4 : at + 4 + DIGITS])
            if sequence > self._last:
                self._last = sequence
                self._receipts.setdefault(sequence, []).append(now)
            at = buffer.find(TOKEN, at + 4 + DIGITS)
        ids = _ID.findall(buffer)
        if ids:
            self._last_id = ids[-1]
        self._tail = buffer[-TAIL:]


def _same(fan: _Fan) -> _Fan:
    return fan


def _main(url: str, count: int, conn: Connection) -> None:
    import uvloop

    found = uvloop.run(_run(url, count, conn))
    os.set_blocking(conn.fileno(), True)  # the loop's reader made it non-blocking
    conn.send(found)


async def _run(url: str, count: int, conn: Connection) -> tuple[Receipts, int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"GET {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    receipts: Receipts = {}
    gate = asyncio.Semaphore(100)
    fans: list[_Fan] = []

    reconnects = 0
    stop = asyncio.Event()

    async def follow(fan: _Fan, index: int) -> None:
        """Reconnect the fan each time the gateway ends its stream, until told to stop."""
        nonlocal reconnects
        while True:
            await fan.lost.wait()
            if stop.is_set():
                return
            reconnects += 1
            successor = fan.resumed(loop.create_future())
            try:
                _, fan = await loop.create_connection(
                    functools.partial(_same, successor), host, port
                )
            except OSError:
                await asyncio.sleep(0.5)
                continue
            fans[index] = fan

    async def one() -> None:
        async with gate:
            opened: asyncio.Future[None] = loop.create_future()
            _, fan = await loop.create_connection(
                lambda: _Fan(request, receipts, opened), host, port
            )
            fans.append(fan)
            await asyncio.wait_for(opened, 30)

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    followers = [asyncio.create_task(follow(fan, i)) for i, fan in enumerate(fans)]
    failures = [r for r in results if isinstance(r, BaseException)]
    conn.send((count - len(failures), repr(failures[0]) if failures else ""))

    def command() -> None:
        conn.recv()  # "stop"
        stop.set()

    loop.add_reader(conn.fileno(), command)
    await stop.wait()
    loop.remove_reader(conn.fileno())
    for task in followers:
        task.cancel()
    for fan in fans:
        fan.transport.close()
    return receipts, reconnects
