"""A subscriber written directly to its transport (pre-built chunks) against one written
through uvicorn's ``send``: uvicorn's own ``RequestResponseCycle`` writes the response
start and whatever goes through ``send``, to a transport whose client reads only when
told to, so flow control is deterministic.

For any sequence of frames, pings and reads, on either path, the client receives valid
chunked SSE: a gapless run of the versions from the first, then either everything (the
stream is live) or a ``falling behind`` retry hint and the end of the response; and the
server never buffers more than its high-water mark plus one message. With a client that
keeps up, the two paths put the very same bytes on the wire."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from entrypoints.web.fanout.feed import Feed, Listener
from entrypoints.web.fanout.frames import CHUNK, chunked, encode_event
from entrypoints.web.fanout.stream import START
from tests.fanout_wire import HeldTransport, Wire, parse

LOG = logging.getLogger("test.fanout")


@dataclass
class Connection:
    transport: HeldTransport
    feed: Feed
    listener: Listener
    cycle: RequestResponseCycle
    version: int = 0

    async def publish(self, count: int, size: int) -> None:
        for _ in range(count):
            self.version += 1
            data = json.dumps({"version": self.version, "pad": "x" * size}).encode()
            self.feed.append(
                self.version, chunked(encode_event(data, event="game_event", event_id=self.version))
            )
            self.feed.deliver()
            await settle()

    async def read_all(self) -> Wire:
        """The client reads until nothing more comes."""
        for _ in range(1000):
            self.transport.read(1 << 30)
            await settle()
            if not self.transport.pending and not self.listener.busy:
                break
        return parse(bytes(self.transport.wire))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def connect(direct: bool, max_lag: int, capacity: int = 16) -> Connection:
    transport = HeldTransport()
    flow = FlowControl(transport)  # type: ignore[arg-type]
    transport.flow = flow
    cycle = RequestResponseCycle(
        scope={"type": "http", "method": "GET", "http_version": "1.1"},  # type: ignore[typeddict-item]
        transport=transport,  # type: ignore[arg-type]
        flow=flow,
        logger=LOG,
        access_logger=LOG,
        access_log=False,
        default_headers=[],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: None,
    )
    feed = Feed("g", capacity)
    listener = Listener(feed, cycle.send, max_lag)  # type: ignore[arg-type]
    await cycle.send(START)  # type: ignore[arg-type]
    if direct:
        listener.use_transport(transport)
    feed.go_live(listener)
    return Connection(transport, feed, listener, cycle)


Step = st.one_of(
    st.tuples(st.just("frames"), st.integers(min_value=1, max_value=6)),
    st.tuples(st.just("read"), st.integers(min_value=0, max_value=200_000)),
    st.tuples(st.just("ping"), st.just(0)),
)


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(Step, max_size=40),
    max_lag=st.integers(min_value=1, max_value=8),
    size=st.sampled_from([50, 3_000, 20_000]),
    direct=st.booleans(),
)
def test_any_reader_gets_a_gapless_run_then_everything_or_a_retry_hint(
    steps: list[tuple[str, int]], max_lag: int, size: int, direct: bool
) -> None:
    async def scenario() -> None:
        connection = await connect(direct, max_lag)
        for kind, amount in steps:
            if kind == "frames":
                await connection.publish(amount, size)
            elif kind == "read":
                connection.transport.read(amount)
                await settle()
            else:
                connection.feed.ping()
        wire = await connection.read_all()

        versions = wire.versions()
        assert versions == list(range(1, len(versions) + 1)), "gapless, in order, once"
        if wire.ended:
            hint = wire.last_retry()
            assert hint is not None and "falling behind" in hint
            assert wire.blocks()[-1] == hint, "the hint is the last thing sent"
            assert connection.listener not in connection.feed.live
        else:
            assert versions == list(range(1, connection.version + 1)), "a live one has all"
            assert not connection.listener.ended
        frame = len(chunked(b"x" * (size + 200))[CHUNK])
        assert connection.transport.most_pending <= connection.transport.high + max_lag * frame

    asyncio.run(scenario())


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.sampled_from(["frame", "frames", "ping"]), max_size=30),
    size=st.sampled_from([0, 50, 3_000]),
)
def test_with_a_reader_that_keeps_up_both_paths_write_the_same_bytes(
    steps: list[str], size: int
) -> None:
    async def wire(direct: bool) -> bytes:
        connection = await connect(direct, max_lag=4)
        for step in steps:
            if step == "ping":
                connection.feed.ping()
            else:
                await connection.publish(1 if step == "frame" else 3, size)
            connection.transport.read(1 << 30)
            await settle()
        connection.transport.read(1 << 30)
        assert connection.listener.transport is (connection.transport if direct else None)
        return bytes(connection.transport.wire)

    async def scenario() -> None:
        direct, through_send = await wire(True), await wire(False)
        assert direct == through_send
        parse(direct)

    asyncio.run(scenario())


def test_a_closing_transport_ends_the_subscriber_and_is_not_written() -> None:
    async def scenario() -> None:
        connection = await connect(True, max_lag=4)
        await connection.publish(2, 50)
        connection.transport.close()
        await connection.publish(1, 50)
        connection.feed.ping()

        assert connection.listener.ended
        assert connection.listener not in connection.feed.live
        assert connection.transport.writes_after_close == 0
        assert parse(bytes(connection.transport.pending)).versions() == [1, 2]

    asyncio.run(scenario())


def test_the_message_that_ends_the_response_goes_through_send() -> None:
    async def scenario() -> None:
        connection = await connect(True, max_lag=4)
        await connection.publish(1, 50)
        connection.feed.close()  # drain: a retry hint, then the end of the response
        wire = await connection.read_all()

        assert wire.ended and connection.cycle.response_complete
        hint = wire.last_retry()
        assert hint is not None and "server restarting" in hint
        assert wire.versions() == [1]

    asyncio.run(scenario())
