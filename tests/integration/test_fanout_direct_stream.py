"""The fans' stream over real sockets: two uvicorn servers in the test's event loop
serve one in-memory gateway, one with our protocol (the transport in the scope: the
hub writes frames' chunks to it directly), one with uvicorn's own (everything through
``send``). On the asyncio loop and on uvloop (the service's), the direct path must put
valid chunked SSE on the wire, the same as the other path's; a client that stops
reading must be dropped with a retry hint while the server's buffer for it stays
bounded; a client that goes must end its subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import uvicorn
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from entrypoints.web.fanout.feed import Feed, Listener
from entrypoints.web.hub import updates_channel
from entrypoints.web.poll_protocol import poll_protocol
from tests.fanout_harness import Gateway, until
from tests.fanout_wire import Wire, parse

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}
DATE = re.compile(rb"\r\ndate: [^\r]+")
RETRY = re.compile(r"retry: \d+")
PING = b": ping\n\n"


def run(loop: str, scenario: Callable[[], Awaitable[None]]) -> None:
    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        runner.run(scenario())  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def serving(gateway: Gateway, protocol: type[HttpToolsProtocol]) -> AsyncIterator[int]:
    """A uvicorn server of the gateway's app on a free port (its port)."""
    config = uvicorn.Config(
        gateway.app,
        host="127.0.0.1",
        port=0,
        http=protocol,
        lifespan="off",  # the gateway's services are already running
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started, "uvicorn started")
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


@dataclass
class Fan:
    """One raw HTTP/1.1 SSE connection."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    data: bytearray = field(default_factory=bytearray)

    @classmethod
    async def connect(cls, port: int, game_id: str, receive_buffer: int | None = None) -> Fan:
        sock = socket.socket()
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        request = f"GET /games/{game_id}/stream HTTP/1.1\r\nHost: x\r\n\r\n"
        writer.write(request.encode())
        return cls(reader, writer)

    def wire(self) -> Wire:
        return parse(bytes(self.data), partial=True)

    async def read_until(self, done: Callable[[Wire], bool], what: str) -> Wire:
        while not done(self.wire()):
            chunk = await asyncio.wait_for(self.reader.read(65536), 30)
            assert chunk, f"the connection closed before {what}"
            self.data += chunk
        return parse(bytes(self.data))  # strictly: whole chunks only

    def close(self) -> None:
        self.writer.transport.abort()


def listeners(gateway: Gateway, game_id: str) -> set[Listener]:
    feed: Feed = gateway.services.hub._upstreams[game_id].feed
    return set(feed.listeners)


async def publish_large(gateway: Gateway, feed: Feed, version: int) -> None:
    """A 16 KB update of ``version`` on the game's broker channel, taken by the hub."""
    payload = {"game_id": feed.game_id, "version": version, "pad": "x" * 16_000}
    await gateway.services.broker.publish(
        updates_channel(feed.game_id), json.dumps(payload).encode()
    )
    await until(lambda: feed.head == version, "the hub took it")


def carries(version: int) -> Callable[[Wire], bool]:
    return lambda wire: version in wire.versions()


def normalized(wire: Wire) -> list[str]:
    """The chunks with the jittered retry times masked."""
    return [RETRY.sub("retry: N", chunk.decode()) for chunk in wire.chunks]


@pytest.mark.parametrize("loop", LOOPS)
def test_the_direct_path_writes_the_same_chunked_sse_as_the_send_path(loop: str) -> None:
    async def scenario() -> None:
        async with Gateway() as gateway:
            gateway.services.hub.ping_interval = 0.05  # before the pinger starts
            await gateway.until_state("g1", await gateway.record("g1", "GAME_SCHEDULED"))
            async with (
                serving(gateway, poll_protocol(None)) as direct_port,
                serving(gateway, HttpToolsProtocol) as send_port,
            ):
                direct = [await Fan.connect(direct_port, "g1") for _ in range(3)]
                through_send = [await Fan.connect(send_port, "g1") for _ in range(3)]
                fans = direct + through_send
                for fan in fans:
                    await fan.read_until(lambda w: "event: state" in w.body.decode(), "state")
                written_directly = [x.transport is not None for x in listeners(gateway, "g1")]
                assert sorted(written_directly) == [False] * 3 + [True] * 3

                version = 1
                for event_type in ("GAME_STARTED", "GOAL", "GOAL", "GOAL"):
                    version = await gateway.record("g1", event_type)
                    for fan in fans:
                        await fan.read_until(carries(version), f"v{version}")
                for fan in fans:
                    await fan.read_until(lambda w: PING in w.chunks, "a ping")
                await gateway.services.hub.drain(deadline=5)
                wires = [await fan.read_until(lambda w: w.ended, "the end") for fan in fans]
                for fan in fans:
                    fan.close()

            assert [w.versions() for w in wires] == [list(range(2, version + 1))] * 6
            hint = wires[0].last_retry()
            assert hint is not None and "server restarting" in hint
            # the opening hint, the state, four events, the drain hint: the same chunks
            # on both paths; pings (every 50 ms) wherever they fell
            expected = [c for c in normalized(wires[0]) if c != PING.decode()]
            assert len(expected) == 7
            for wire in wires:
                assert [c for c in normalized(wire) if c != PING.decode()] == expected
                assert DATE.sub(b"", wire.head) == DATE.sub(b"", wires[0].head)
            assert gateway.services.hub.subscriber_count() == 0

    run(loop, scenario)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_fan_that_stops_reading_is_dropped_with_a_retry_hint_in_bounded_memory(
    loop: str,
) -> None:
    async def scenario() -> None:
        async with Gateway(sse_max_lag=4) as gateway:
            await gateway.until_state("g1", await gateway.record("g1", "GAME_SCHEDULED"))
            async with serving(gateway, poll_protocol(None)) as port:
                slow = await Fan.connect(port, "g1", receive_buffer=4096)
                await slow.read_until(lambda w: "event: state" in w.body.decode(), "state")
                (listener,) = listeners(gateway, "g1")
                assert listener.transport is not None
                feed = listener.feed
                frame_size = 0
                version = 1
                while not listener.busy:  # the fan reads nothing from here on
                    assert version < 5000, "the server never held a write back"
                    version += 1
                    await publish_large(gateway, feed, version)
                    frame_size = max(frame_size, len(feed.frames[-1][1]["body"]))
                held_back = version  # the frame whose write waits for the fan
                for _ in range(6):  # more than sse_max_lag while its write waits
                    version += 1
                    await publish_large(gateway, feed, version)
                    buffered = listener.transport.get_write_buffer_size()
                    assert buffered <= listener.limit + frame_size + 64, "bounded per fan"

                wire = await slow.read_until(lambda w: w.ended, "the end of its stream")
                await until(lambda: gateway.services.hub.subscriber_count() == 0, "it left")
                slow.close()

            assert wire.versions() == list(range(2, held_back + 1)), "gapless, up to the lag"
            hint = wire.last_retry()
            assert hint is not None and "falling behind" in hint
            assert wire.blocks()[-1] == hint

    run(loop, scenario)


@pytest.mark.parametrize("loop", LOOPS)
def test_fans_that_go_end_their_subscribers(loop: str, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with Gateway() as gateway:
            hub = gateway.services.hub
            await gateway.until_state("g1", await gateway.record("g1", "GAME_SCHEDULED"))
            async with serving(gateway, poll_protocol(None)) as port:
                fans = [await Fan.connect(port, "g1") for _ in range(20)]
                for fan in fans:
                    await fan.read_until(lambda w: "event: state" in w.body.decode(), "state")
                assert all(x.transport is not None for x in listeners(gateway, "g1"))
                for fan in fans[:10]:
                    fan.close()
                version = await gateway.record("g1", "GAME_STARTED")  # as they go
                for fan in fans[10:]:
                    await fan.read_until(carries(version), "the update")
                await until(lambda: hub.subscriber_count() == 10, "the ten that went")
                for fan in fans[10:]:
                    fan.close()
                await until(lambda: hub.upstream_count() == 0, "the upstream closed")

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        run(loop, scenario)
    assert not [r for r in caplog.records if r.name == "asyncio"], "no write to a lost socket"
