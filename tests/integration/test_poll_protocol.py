"""The poll protocol over real sockets: in-process uvicorn servers on ephemeral ports
serve the same application (the polling endpoint behind ``FastPollApp``, as the gateway
routes it), one with :class:`~entrypoints.web.poll_protocol.PollProtocol` bound to the held
states, one with uvicorn's own httptools protocol. Whatever is sent, both must write the
same bytes (the ``date`` value aside) and give the application the same scopes; the bound
one must not call the application for the polls it answers."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TypeVar, cast

import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from entrypoints.web import polling
from entrypoints.web.near_cache import NearCache
from entrypoints.web.poll_protocol import TRANSPORT_EXTENSION, poll_protocol
from entrypoints.web.state_snapshot import Snapshot, snapshot_of_state

T = TypeVar("T")
DATE = re.compile(rb"\r\ndate: [^\r]+\r\n")


@dataclass
class HeldStates:
    """The near cache's reads: ``held`` answered by ``peek`` (a hit), ``cold`` only by
    ``get`` (a miss, after yielding to the loop as a fallback read would)."""

    held: dict[str, Snapshot]
    cold: dict[str, Snapshot]
    hits: int = 0
    misses: int = 0

    def peek(self, game_id: str) -> Snapshot | None:
        found = self.held.get(game_id)
        if found is not None:
            self.hits += 1
        return found

    async def get(self, game_id: str) -> Snapshot | None:
        found = self.peek(game_id)
        if found is not None:
            return found
        self.misses += 1
        for _ in range(3):
            await asyncio.sleep(0)
        if game_id == "slow":  # a fallback read outlasting the keep-alive timeout (1 s)
            await asyncio.sleep(1.5)
            return COLD
        return self.cold.get(game_id)


@dataclass
class Recorder:
    """The application, noting every request it is called for."""

    app: polling.FastPollApp
    calls: list[str] = field(default_factory=list)
    transports: list[Any] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.calls.append(f"{scope['method']} {scope['path']} {scope['server']}")
            self.transports.append(scope.get("extensions", {}).get(TRANSPORT_EXTENSION))
            self.scopes.append(dict(scope))
        await self.app(scope, receive, send)


@dataclass
class Servers:
    loop: asyncio.AbstractEventLoop
    states: HeldStates
    recorder: Recorder
    fast: uvicorn.Server
    plain: uvicorn.Server
    fast_port: int
    plain_port: int
    brief_port: int  # the fast one's, with a 1 s keep-alive timeout (the others' is 60 s)

    def run(self, coroutine: Callable[[], Awaitable[T]]) -> T:
        """Run ``coroutine()`` on the servers' loop (to look at their state)."""
        return asyncio.run_coroutine_threadsafe(_call(coroutine), self.loop).result(10)


async def _call(coroutine: Callable[[], Awaitable[T]]) -> T:
    return await coroutine()


LIVE = snapshot_of_state({"version": 7, "status": "LIVE", "score": {"ars": 1, "che": 0}})
OTHER = snapshot_of_state({"version": 12, "status": "LIVE", "score": {"ars": 2, "che": 2}})
COLD = snapshot_of_state({"version": 3, "status": "LIVE", "score": {"ars": 0, "che": 0}})


def _app(states: HeldStates) -> Recorder:
    app = polling.FastPollApp(
        routes=[Route("/games/{game_id}/state", polling.game_state, methods=["GET", "HEAD"])]
    )
    near = cast(NearCache, states)
    app.state.services = SimpleNamespace(near_cache=near)
    app.near_cache = near
    return Recorder(app)


def _server(app: Recorder, http: Any, **options: Any) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        http=http,
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=1,
        **options,
    )
    return uvicorn.Server(config)


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    states = HeldStates({"g1": LIVE, "g.2": OTHER}, {"cold": COLD})
    recorder = _app(states)
    sockets = [socket.socket() for _ in range(3)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    fast = _server(recorder, poll_protocol(states), timeout_keep_alive=60)
    plain = _server(recorder, "httptools", timeout_keep_alive=60)
    brief = _server(recorder, poll_protocol(states), timeout_keep_alive=1)
    everything = (fast, plain, brief)
    loop = asyncio.new_event_loop()

    async def serve_all() -> None:
        await asyncio.gather(
            *(s.serve(sockets=[k]) for s, k in zip(everything, sockets, strict=True))
        )

    thread = threading.Thread(target=loop.run_until_complete, args=(serve_all(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not all(server.started for server in everything):
        assert time.monotonic() < deadline, "the servers did not start"
        time.sleep(0.01)
    ports = [sock.getsockname()[1] for sock in sockets]
    yield Servers(loop, states, recorder, fast, plain, *ports)
    for server in everything:
        server.should_exit = True
    thread.join(10)
    for sock in sockets:
        sock.close()


def exchange(port: int, request: bytes, *, until_closed: bool = False) -> bytes:
    """Send ``request`` in one write; read the answers to its requests (or until EOF)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        if until_closed:
            return _read_all(conn)
        return b"".join(_read_answers(conn, _methods(request)))


def _methods(request: bytes) -> list[bytes]:
    return re.findall(rb"(GET|HEAD|POST|PUT|DELETE) \S+ HTTP/1\.[01]\r\n", request)


def _read_all(conn: socket.socket) -> bytes:
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


def _read_answers(conn: socket.socket, methods: list[bytes]) -> Iterator[bytes]:
    buffer = b""
    for method in methods:
        while b"\r\n\r\n" not in buffer:
            chunk = conn.recv(65536)
            assert chunk, f"closed before the answer to a {method!r}: {buffer!r}"
            buffer += chunk
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        length = re.search(rb"\r\ncontent-length: (\d+)", head)
        size = 0 if method == b"HEAD" or b" 304 " in head[:13] or length is None else int(length[1])
        while len(buffer) < size:
            chunk = conn.recv(65536)
            assert chunk, "closed mid-body"
            buffer += chunk
        yield head + b"\r\n\r\n" + buffer[:size]
        buffer = buffer[size:]


def undated(answer: bytes) -> bytes:
    """The answer with its date values blanked (the servers' clocks tick apart)."""
    count = answer.count(b"\r\ndate: ")
    blanked = DATE.sub(b"\r\ndate: -\r\n", answer)
    assert blanked.count(b"\r\ndate: -\r\n") == count
    return blanked


def poll(target: str = "/games/g1/state", *extra: str, method: str = "GET") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "host: test", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def same_from_both(servers: Servers, request: bytes, **read: bool) -> bytes:
    fast = exchange(servers.fast_port, request, **read)
    plain = exchange(servers.plain_port, request, **read)
    assert undated(fast) == undated(plain)
    return fast


def answered_in_protocol(servers: Servers, request: bytes, **read: bool) -> bytes:
    """The fast server's answer, checking that it never called the application."""
    before = len(servers.recorder.calls)
    answer = exchange(servers.fast_port, request, **read)
    assert servers.recorder.calls[before:] == []
    return answer


@pytest.mark.parametrize(
    "request_bytes",
    [
        poll(),
        poll(method="HEAD"),
        poll("/games/g1/state", 'if-none-match: "v7"'),
        poll("/games/g1/state", 'if-none-match: W/"v7"'),
        poll("/games/g1/state", "if-none-match: *"),
        poll("/games/g1/state", 'if-none-match: "v6", W/"v7"'),
        poll("/games/g1/state", 'if-none-match: "v6"'),
        poll("/games/g1/state", 'if-none-match: "v6"', 'if-none-match: "v7"'),
        poll("/games/g1/state", 'if-none-match: "v7"', method="HEAD"),
        poll("/games/g.2/state", 'If-None-Match: "v12"'),
    ],
    ids=[
        "200",
        "head",
        "304",
        "weak",
        "star",
        "list",
        "other-tag",
        "first-only",
        "head-304",
        "g.2",
    ],
)
def test_a_held_game_is_answered_in_the_protocol_as_uvicorn_would(
    servers: Servers, request_bytes: bytes
) -> None:
    answer = answered_in_protocol(servers, request_bytes)
    assert undated(answer) == undated(exchange(servers.plain_port, request_bytes))
    assert answer.startswith((b"HTTP/1.1 200 OK\r\ndate: ", b"HTTP/1.1 304 Not Modified\r\n"))


def test_the_answer_is_the_snapshot_s(servers: Servers) -> None:
    answer = answered_in_protocol(servers, poll())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert body == LIVE.body
    assert b'\r\netag: "v7"\r\n' in head
    assert b"\r\ncontent-type: application/json\r\n" in head


def test_polls_count_one_hit_each_on_either_path(servers: Servers) -> None:
    for port in (servers.fast_port, servers.plain_port):
        before = servers.states.hits
        exchange(port, poll() * 3)
        assert servers.states.hits == before + 3


@pytest.mark.parametrize(
    "request_bytes",
    [
        poll("/games/cold/state"),
        poll("/games/g1/state?x=1"),
        poll("/games/g1/state?"),
        poll("/games/g%31/state"),
        poll("/games/nowhere/state"),
        poll("/games//state"),
        poll("/games/g1/state", method="POST"),
        poll("/games/g1/state", method="DELETE"),
        poll("/games/g1/state/"),
        poll("http://test/games/g1/state"),
    ],
    ids=[
        "cold",
        "query",
        "empty-query",
        "escaped",
        "unknown",
        "empty",
        "post",
        "delete",
        "slash",
        "absolute",
    ],
)
def test_anything_else_takes_the_asgi_path(servers: Servers, request_bytes: bytes) -> None:
    before = len(servers.recorder.calls)
    same_from_both(servers, request_bytes)
    assert len(servers.recorder.calls) == before + 2  # the fast server's and the plain one's


def test_pipelined_requests_are_answered_in_order(servers: Servers) -> None:
    request = b"".join(
        [
            poll(),
            poll("/games/cold/state"),  # a fallback read: the polls after it queue behind it
            poll("/games/g1/state", 'if-none-match: "v7"'),
            poll("/games/g1/state", method="POST"),
            poll("/games/g.2/state", method="HEAD"),
            poll("/games/g.2/state"),
        ]
    )
    answers = list(_split(same_from_both(servers, request), _methods(request)))
    assert [a[9:12] for a in answers] == [b"200", b"200", b"304", b"405", b"200", b"200"]
    assert answers[0].endswith(LIVE.body)
    assert answers[1].endswith(COLD.body)
    assert answers[5].endswith(OTHER.body)


def test_pipelined_held_polls_are_all_answered_in_the_protocol(servers: Servers) -> None:
    request = poll() + poll("/games/g.2/state") + poll(method="HEAD")
    answer = answered_in_protocol(servers, request)
    assert undated(answer) == undated(exchange(servers.plain_port, request))


def _split(data: bytes, methods: list[bytes]) -> Iterator[bytes]:
    class Replay:
        def __init__(self) -> None:
            self.data = data

        def recv(self, size: int) -> bytes:
            chunk, self.data = self.data[:size], self.data[size:]
            return chunk

    return _read_answers(cast(socket.socket, Replay()), methods)


@pytest.mark.parametrize(
    "request_bytes",
    [
        poll("/games/g1/state", "connection: close") + poll(),
        poll("/games/g1/state", 'if-none-match: "v7"', "connection: close") + poll(),
        poll("/games/g1/state", "connection: close", method="HEAD"),
        b"GET /games/g1/state HTTP/1.0\r\n\r\n" + poll(),
        b"GET /games/g1/state HTTP/1.0\r\nconnection: keep-alive\r\n\r\n" + poll(),
        b'HEAD /games/g1/state HTTP/1.0\r\nif-none-match: "v7"\r\n\r\n',
    ],
    ids=["close", "close-304", "close-head", "http-1.0", "http-1.0-keep-alive", "http-1.0-304"],
)
def test_an_answer_that_ends_the_connection_closes_it(
    servers: Servers, request_bytes: bytes
) -> None:
    hits = servers.states.hits
    answer = answered_in_protocol(servers, request_bytes, until_closed=True)
    fast_hits, hits = servers.states.hits - hits, servers.states.hits
    assert undated(answer) == undated(
        exchange(servers.plain_port, request_bytes, until_closed=True)
    )
    assert answer.count(b"HTTP/1.1 ") == 1  # what was pipelined after it is not answered
    assert fast_hits == servers.states.hits - hits == 1  # nor even looked up
    assert b"\r\nconnection: close\r\n\r\n" in answer


@pytest.mark.parametrize(
    "request_bytes",
    [
        poll("/games/g1/state", "content-length: 5") + b"hello" + poll(),
        poll("/games/g1/state", "transfer-encoding: chunked") + b"5\r\nhello\r\n0\r\n\r\n" + poll(),
        poll("/games/g1/state", "content-length: 3", "expect: 100-continue") + b"abc",
    ],
    ids=["content-length", "chunked", "expect-continue"],
)
def test_a_poll_with_a_body_is_answered_and_its_body_skipped(
    servers: Servers, request_bytes: bytes
) -> None:
    answer = answered_in_protocol(servers, request_bytes)
    assert undated(answer) == undated(exchange(servers.plain_port, request_bytes))


@pytest.mark.parametrize(
    "request_bytes",
    [
        poll("/games/g1/state", "transfer-encoding: chunked") + b"zz\r\nhello\r\n",
        poll("/games/g1/state", "content-length: 3", "transfer-encoding: chunked") + b"abc",
        poll("/games/g1/state", "content-length: x"),
    ],
    ids=["bad-chunk", "length-and-chunked", "bad-length"],
)
def test_a_malformed_poll_gets_uvicorn_s_400_alone(servers: Servers, request_bytes: bytes) -> None:
    answer = same_from_both(servers, request_bytes, until_closed=True)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_a_body_in_pieces_is_read_before_the_answer(servers: Servers) -> None:
    with socket.create_connection(("127.0.0.1", servers.fast_port), timeout=5) as conn:
        conn.sendall(poll("/games/g1/state", "content-length: 6") + b"abc")
        conn.sendall(b"def" + poll("/games/g.2/state"))
        first, second = _read_answers(conn, [b"GET", b"GET"])
    assert first.endswith(LIVE.body)
    assert second.endswith(OTHER.body)


def test_an_idle_connection_after_an_answer_is_closed_at_the_keep_alive_timeout(
    servers: Servers,
) -> None:
    with socket.create_connection(("127.0.0.1", servers.brief_port), timeout=10) as conn:
        conn.sendall(poll())
        answer = _read_all(conn)  # the server closes it after timeout_keep_alive (1 s)
    assert answer.count(b"HTTP/1.1 200 OK") == 1


def test_an_asgi_request_after_an_answer_is_not_cut_by_the_keep_alive_timeout(
    servers: Servers,
) -> None:
    with socket.create_connection(("127.0.0.1", servers.brief_port), timeout=10) as conn:
        conn.sendall(poll())
        first = b"".join(_read_answers(conn, [b"GET"]))
        conn.sendall(poll("/games/slow/state"))
        second = b"".join(_read_answers(conn, [b"GET"]))
    assert first.endswith(LIVE.body)
    assert second.endswith(COLD.body)


def test_the_access_line_is_uvicorn_s_when_its_access_log_is_on(servers: Servers) -> None:
    logger = logging.getLogger("uvicorn.access")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign,assignment]
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)  # connections made from now on log (uvicorn looks once)
    try:
        request = poll() + poll("/games/g1/state", 'if-none-match: W/"v7"', method="HEAD")
        answered_in_protocol(servers, request)
        exchange(servers.plain_port, request)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    lines = [(r.msg, r.args[1:]) for r in records if isinstance(r.args, tuple)]
    assert len(lines) == 4
    assert lines[:2] == lines[2:]
    assert lines[1] == ('%s - "%s %s HTTP/%s" %d', ("HEAD", "/games/g1/state", "1.1", 304))


def test_asgi_requests_carry_the_connection_s_transport(servers: Servers) -> None:
    before = len(servers.recorder.transports)
    exchange(servers.fast_port, poll("/games/cold/state") * 2)
    transports = servers.recorder.transports[before:]
    assert len(transports) == 2
    assert transports[0] is not None and transports[0] is transports[1]
    assert hasattr(transports[0], "write") and hasattr(transports[0], "is_closing")


def test_the_asgi_path_gets_uvicorn_s_scope_and_the_transport(servers: Servers) -> None:
    request = poll("/games/cold/state?a=%20b", "x-thing: 1", "expect: 100-continue")
    request += poll("/games/g%31/state", method="HEAD")
    before = len(servers.recorder.scopes)
    exchange(servers.fast_port, request)
    exchange(servers.plain_port, request)
    fast, plain = (
        servers.recorder.scopes[before : before + 2],
        servers.recorder.scopes[before + 2 :],
    )
    assert len(fast) == len(plain) == 2
    for ours, theirs in zip(fast, plain, strict=True):
        extensions = ours.pop("extensions")
        assert TRANSPORT_EXTENSION in extensions
        for scope in (ours, theirs):
            del scope["client"], scope["server"]
        assert ours == theirs


def test_a_client_that_does_not_read_holds_back_the_answers(servers: Servers) -> None:
    """Written while the transport is over its high-water mark, the polls queue as uvicorn
    queues them (reading paused): the server's buffer stays bounded; all come in order."""
    count = 20_000  # ~8 MB of 304s: more than the socket buffers hold
    request = poll("/games/g1/state", 'if-none-match: "v7"')
    with socket.socket() as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conn.settimeout(10)
        conn.connect(("127.0.0.1", servers.fast_port))
        conn.sendall(request * 64)
        sender = threading.Thread(target=conn.sendall, args=(request * (count - 64),))
        sender.start()

        async def buffered() -> tuple[bool, int]:
            for _ in range(500):  # until reading is paused behind a queued answer
                for protocol in list(servers.fast.server_state.connections):
                    flow = getattr(protocol, "flow", None)
                    if flow is not None and flow.read_paused:
                        return True, protocol.transport.get_write_buffer_size()
                await asyncio.sleep(0.01)
            return False, 0

        paused, size = servers.run(buffered)
        assert paused, "the server never paused reading"
        assert size < 1_000_000
        answers = list(_read_answers(conn, [b"GET"] * count))
        sender.join(10)
    assert all(a.startswith(b"HTTP/1.1 304 Not Modified\r\n") for a in answers)
    assert len(answers) == count


HEADER_VALUE = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.sampled_from([" ", "\t"]),
    max_size=40,
).map(str.strip)
TAGS = st.sampled_from(['"v7"', 'W/"v7"', "*", '"v6"', 'W/"v12"', '"v7', "v7", "W/*"])


@settings(max_examples=150, deadline=None)
@given(
    value=st.one_of(
        HEADER_VALUE, st.lists(TAGS | HEADER_VALUE, min_size=1, max_size=4).map(", ".join)
    ),
    method=st.sampled_from(["GET", "HEAD"]),
)
def test_any_if_none_match_gets_the_answer_of_the_asgi_path(
    servers: Servers, value: str, method: str
) -> None:
    request = poll("/games/g1/state", f"if-none-match: {value}", method=method)
    answer = answered_in_protocol(servers, request)
    assert undated(answer) == undated(exchange(servers.plain_port, request))
    expected = 304 if LIVE.matches(value.encode()) else 200
    assert answer[9:12] == str(expected).encode()


TARGET = st.lists(
    st.sampled_from(["/", "games", "state", "g1", "g.2", "cold", "?", "%31", "#", ";x", "~", "."]),
    max_size=7,
).map(lambda parts: "/" + "".join(parts))


@settings(max_examples=150, deadline=None)
@given(
    target=TARGET | st.sampled_from(["/games/g1/state", "/games/g.2/state"]).map(lambda t: t + "?a")
)
def test_any_request_target_gets_the_answer_of_the_asgi_path(servers: Servers, target: str) -> None:
    same_from_both(servers, poll(target) + poll(target, method="HEAD"))
