"""The fan-out load generator: one process holding many SSE subscribers.

A :class:`Subscribers` process opens ``count`` raw HTTP/1.1 connections to one SSE
URL (an asyncio Protocol each: no HTTP client library in the way), says how many
opened, then stamps with time.monotonic() (CLOCK_MONOTONIC, one clock for every
process of the machine) the first sight of each goal token ``fog-NNNNNN`` on each
connection. It reports each goal's completion as it happens (so the publisher can
pace goals), and at the end every receipt and its own CPU seconds since ``mark``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

TOKEN = b"fog-"
DIGITS = 6


def token(goal: int) -> str:
    return f"fog-{goal:0{DIGITS}d}"


@dataclass(frozen=True)
class Spec:
    host: str
    port: int
    path: str
    count: int
    connect_concurrency: int = 100


class Subscribers:
    """start() -> opened count; mark(); then done goals via poll_done(); finish()."""

    def __init__(self, spec: Spec) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_main, args=(spec, child), daemon=True)
        self.spec = spec

    def start(self) -> None:
        self.process.start()

    def wait_open(self, timeout: float) -> tuple[int, int, str]:
        """(streams open, connections that failed, the first failure)."""
        if not self.conn.poll(timeout):
            raise RuntimeError("the load generator's subscribers did not open in time")
        kind, value = self.conn.recv()
        if kind != "open":
            raise RuntimeError(f"the load generator failed: {value}")
        opened: tuple[int, int, str] = value
        return opened

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def mark(self) -> None:
        self.conn.send(("mark", None))

    def finish(self) -> tuple[dict[int, list[float]], float]:
        self.conn.send(("stop", None))
        while True:
            kind, value = self.conn.recv()
            if kind == "result":
                break
        self.process.join(30)
        receipts: dict[int, list[float]] = value["receipts"]
        cpu: float = value["cpu"]
        return receipts, cpu


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Subscriber(asyncio.Protocol):
    __slots__ = ("_crowd", "_last", "_opened", "_ready", "_tail", "transport")

    def __init__(self, crowd: _Crowd, ready: asyncio.Future[None]) -> None:
        self._crowd = crowd
        self._ready = ready
        self._opened = False
        self._last = -1
        self._tail = b""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self._crowd.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self._opened:
            self._opened = True
            self._crowd.opened(self)
            if not self._ready.done():
                self._ready.set_result(None)
        buffer = self._tail + data if self._tail else data
        at = buffer.find(TOKEN)
        while at >= 0 and at + 4 + DIGITS <= len(buffer):
            goal = int(buffer[at + 4 : at + 4 + DIGITS])
            if goal > self._last:
                self._last = goal
                self._crowd.receipt(goal, now)
            at = buffer.find(TOKEN, at + 4 + DIGITS)
        self._tail = buffer[-(4 + DIGITS) :]

    def connection_lost(self, exc: Exception | None) -> None:
        self._crowd.lost += 1


class _Crowd:
    def __init__(self, spec: Spec, conn: Connection) -> None:
        self.spec = spec
        self.conn = conn
        self.request = (
            f"GET {spec.path} HTTP/1.1\r\nHost: {spec.host}:{spec.port}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
        ).encode()
        self.receipts: dict[int, list[float]] = {}
        self.members: list[_Subscriber] = []
        self.open = 0
        self.lost = 0
        self.failures: list[BaseException] = []

    def opened(self, subscriber: _Subscriber) -> None:
        self.open += 1

    def receipt(self, goal: int, now: float) -> None:
        got = self.receipts.setdefault(goal, [])
        got.append(now)
        if len(got) == self.open:
            self.conn.send(("done", goal))

    async def connect_all(self) -> None:
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(self.spec.connect_concurrency)

        async def one() -> None:
            async with gate:
                ready: asyncio.Future[None] = loop.create_future()
                _, protocol = await loop.create_connection(
                    lambda: _Subscriber(self, ready), self.spec.host, self.spec.port
                )
                self.members.append(protocol)
                await asyncio.wait_for(ready, 30)

        results = await asyncio.gather(
            *(one() for _ in range(self.spec.count)), return_exceptions=True
        )
        self.failures = [r for r in results if isinstance(r, BaseException)]


def _main(spec: Spec, conn: Connection) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_run(spec, conn))


async def _run(spec: Spec, conn: Connection) -> None:
    crowd = _Crowd(spec, conn)
    await crowd.connect_all()
    deadline = time.monotonic() + 30
    while crowd.open < len(crowd.members) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    failed = repr(crowd.failures[0]) if crowd.failures else ""
    conn.send(("open", (crowd.open, len(crowd.failures), failed)))
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    marked = _cpu()

    def command() -> None:
        nonlocal marked
        kind, _ = conn.recv()
        if kind == "mark":
            marked = _cpu()
        elif kind == "stop" and not stop.done():
            stop.set_result(None)

    loop.add_reader(conn.fileno(), command)
    await stop
    loop.remove_reader(conn.fileno())
    cpu = _cpu() - marked
    for member in crowd.members:
        member.transport.close()
    conn.send(("result", {"receipts": crowd.receipts, "cpu": cpu}))
