"""The inbound TCP feed over real loopback sockets, on the in-memory wiring."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.native_format import parse
from adapters.simulator import simulate_game
from domain.scorekeeper import Scorekeeper
from domain.sports import Sport
from entrypoints.composition import Services, build_in_memory
from entrypoints.settings import Settings
from entrypoints.tcp_feed import TcpFeed, serve_tcp_feed
from entrypoints.tcp_feed.protocol import (
    Ack,
    Auth,
    Error,
    FrameError,
    Hello,
    Ping,
    Pong,
    Ready,
    ServerFrame,
    auth_signature,
    decode_server_frame,
    encode,
)
from tests.shared_data import shared_file

PROVIDER, SECRET = "acme", "s3cret"


class FeedClient:
    """A provider's side of the protocol, as small as the tests need."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.pings = 0

    @classmethod
    async def connect(
        cls,
        port: int,
        *,
        provider: str = PROVIDER,
        secret: str = SECRET,
        games: tuple[str, ...] = (),
    ) -> tuple[FeedClient, ServerFrame]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        hello = await client.frame()
        assert isinstance(hello, Hello) and len(hello.nonce) >= 32
        signature = auth_signature(secret, hello.nonce)
        client.send_raw(encode(Auth(provider, signature, games)))
        return client, await client.frame()

    def send(self, payload: Any) -> None:
        self.send_raw(json.dumps(payload).encode() + b"\n")

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    async def frame(self, timeout: float = 5.0) -> ServerFrame:
        """The next frame that is not a ping (pings are answered)."""
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
            assert line, "the server closed the connection"
            frame = decode_server_frame(line)
            assert not isinstance(frame, FrameError), frame
            if isinstance(frame, Ping):
                self.pings += 1
                self.send_raw(encode(Pong()))
                continue
            return frame

    async def closed(self, timeout: float = 5.0) -> bool:
        with contextlib.suppress(ConnectionError):
            while line := await asyncio.wait_for(self.reader.readline(), timeout):
                assert isinstance(decode_server_frame(line), Ping | Pong | Error | Ack)
        return True

    def abort(self) -> None:
        self.writer.transport.abort()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    built = build_in_memory(Settings(provider_secrets={PROVIDER: SECRET}, max_body_bytes=4096))
    await built.start()
    yield built
    await built.stop()


@pytest.fixture
async def feed(services: Services) -> AsyncIterator[TcpFeed]:
    started = await serve_tcp_feed(services, "127.0.0.1", 0, heartbeat_seconds=1.0)
    yield started
    await started.close()


def soccer(seq: int, event_type: str, game_id: str = "g1", **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": f"{game_id}-e{seq}",
        "game_id": game_id,
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": event_type,
        **extra,
    }
    if event_type == "GAME_SCHEDULED":
        event["schedule"] = {"home_team_id": "ars", "away_team_id": "che"}
    return event


async def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


# ------------------------------------------------------------------ basics
async def test_events_are_acked_once_durable_and_duplicates_too(
    feed: TcpFeed, services: Services
) -> None:
    returned: list[int] = []
    accept = services.ingestion.accept

    async def accept_and_note(events: Any) -> Any:
        outcomes = await accept(events)
        returned.append(len(events))
        return outcomes

    services.ingestion.accept = accept_and_note  # type: ignore[method-assign]
    client, ready = await FeedClient.connect(feed.port)
    assert ready == Ready({})
    client.send(soccer(1, "GAME_SCHEDULED"))
    assert await client.frame() == Ack("g1", 1, line=2, accepted=1)
    client.send([soccer(2, "GAME_STARTED"), soccer(3, "GOAL", team_id="ars")])
    assert await client.frame() == Ack("g1", 3, line=3, accepted=2)
    assert returned == [1, 2]  # Ingestion.accept had returned: durable before the ack
    await wait_until(lambda: services.scorekeeper.game_version("g1") == 3)
    client.send(soccer(3, "GOAL", team_id="ars"))  # recorded: a duplicate, acked again
    assert await client.frame() == Ack("g1", 3, line=4, duplicates=1)
    client.send_raw(b"\n" + encode(Ping()))
    assert await client.frame() == Pong()
    board = services.scorekeeper.scoreboard("g1")
    assert board is not None and board.home_score == 1
    feed_status = feed.status.snapshot()["providers"][0]
    assert feed_status["connected"] and feed_status["acked"] == {"g1": 3}
    assert (feed_status["accepted"], feed_status["duplicates"]) == (3, 1)
    assert (services.monitor.connection(PROVIDER) or ())[:2] == ("tcp-feed", True)
    await client.close()
    await wait_until(lambda: not feed.status.provider(PROVIDER).connected)
    assert (services.monitor.connection(PROVIDER) or ())[:2] == ("tcp-feed", False)


async def test_an_ack_is_cumulative_and_waits_for_a_gap(feed: TcpFeed) -> None:
    client, _ = await FeedClient.connect(feed.port)
    client.send([soccer(1, "GAME_SCHEDULED"), soccer(2, "GAME_STARTED")])
    assert await client.frame() == Ack("g1", 2, line=2, accepted=2)
    client.send(soccer(4, "GOAL", team_id="ars"))
    assert await client.frame() == Ack("g1", 2, line=3, accepted=1)
    client.send(soccer(3, "GOAL", team_id="che"))
    assert await client.frame() == Ack("g1", 4, line=4, accepted=1)
    await client.close()


async def test_bad_input_gets_an_error_frame_is_kept_and_the_connection_stays_open(
    feed: TcpFeed, services: Services
) -> None:
    client, _ = await FeedClient.connect(feed.port)
    client.send([soccer(1, "GAME_SCHEDULED"), soccer(2, "GAME_STARTED")])
    await client.frame()
    await wait_until(lambda: services.scorekeeper.game_version("g1") == 2)  # rules need it
    cases: list[tuple[bytes, str, str]] = [
        (b'{"event_id": "x",', "bad-json", "$"),
        (json.dumps(soccer(3, "GOAL", team_id="ars", oops=1)).encode(), "invalid", "$"),
        (json.dumps([soccer(3, "TOUCHDOWN", team_id="ars")]).encode(), "invalid", "$[0]"),
        (json.dumps(soccer(3, "GOAL", team_id="nope")).encode(), "invalid", "$.team_id"),
        (json.dumps(soccer(2, "GOAL", team_id="ars")).encode(), "conflict", "$.event_id"),
        (b'{"type": "subscribe"}', "bad-frame", "$.type"),
        (b"42", "bad-frame", "$"),
    ]
    for line, code, pointer in cases:
        client.send_raw(line + b"\n")
        error = await client.frame()
        assert isinstance(error, Error), line
        assert (error.code, error.close) == (code, False), (line, error)
        assert error.pointer is not None and error.pointer.startswith(pointer), error
        assert error.rejected_id is not None
        kept = services.rejected.get(error.rejected_id)
        assert kept is not None and kept.source == "tcp-feed" and kept.body == line
        assert kept.provider == PROVIDER and kept.reason == code
    client.send(soccer(3, "GOAL", team_id="ars"))
    assert await client.frame() == Ack("g1", 3, line=10, accepted=1)
    assert feed.status.provider(PROVIDER).errors == len(cases)
    await client.close()


async def test_an_overlong_line_closes_only_that_connection(
    feed: TcpFeed, services: Services
) -> None:
    other, _ = await FeedClient.connect(feed.port, provider="other", secret="x", games=())
    assert isinstance(_, Error)  # unknown provider: refused, closed
    assert await other.closed()
    client, _ = await FeedClient.connect(feed.port)
    client.send_raw(b"[" + b" " * 5000 + b"]\n")
    error = await client.frame()
    assert isinstance(error, Error) and (error.code, error.close) == ("too-long", True)
    assert await client.closed()
    again, ready = await FeedClient.connect(feed.port)
    assert isinstance(ready, Ready)
    again.send(soccer(1, "GAME_SCHEDULED"))
    assert isinstance(await again.frame(), Ack)
    await again.close()
    reasons = [r.reason for r in services.rejected.list()]
    assert reasons == ["unauthorized", "too-long"]


async def test_a_wrong_signature_or_no_auth_is_refused(feed: TcpFeed) -> None:
    client, error = await FeedClient.connect(feed.port, secret="wrong")
    assert isinstance(error, Error) and (error.code, error.close) == ("unauthorized", True)
    assert await client.closed()
    reader, writer = await asyncio.open_connection("127.0.0.1", feed.port)
    raw = FeedClient(reader, writer)
    assert isinstance(await raw.frame(), Hello)
    raw.send(soccer(1, "GAME_SCHEDULED"))
    refused = await raw.frame()
    assert isinstance(refused, Error) and refused.code == "unauthorized"
    assert await raw.closed()
    assert not feed.status.snapshot()["providers"]


async def test_a_silent_peer_is_dropped_and_marked_down(services: Services) -> None:
    feed = await serve_tcp_feed(services, "127.0.0.1", 0, heartbeat_seconds=0.1)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", feed.port)
        client = FeedClient(reader, writer)
        hello = await client.frame()
        assert isinstance(hello, Hello) and hello.heartbeat_seconds == 0.1
        client.send_raw(encode(Auth(PROVIDER, auth_signature(SECRET, hello.nonce))))
        assert isinstance(await client.frame(), Ready)
        with pytest.raises(TimeoutError):  # answering pings keeps it alive
            await asyncio.wait_for(client.frame(), 0.6)
        assert client.pings >= 3 and feed.status.provider(PROVIDER).connected
        lines = []  # now silent: read without answering
        while line := await asyncio.wait_for(reader.readline(), 2):
            lines.append(decode_server_frame(line))
        assert isinstance(lines[0], Ping)
        last = lines[-1]
        assert isinstance(last, Error) and (last.code, last.close) == ("heartbeat-timeout", True)
        status = feed.status.provider(PROVIDER)
        assert not status.connected and status.disconnect_reason == "heartbeat timeout"
    finally:
        await feed.close()


async def test_a_new_connection_replaces_the_old_and_resumes_where_it_left(
    feed: TcpFeed,
) -> None:
    first, _ = await FeedClient.connect(feed.port)
    first.send([soccer(1, "GAME_SCHEDULED"), soccer(2, "GAME_STARTED")])
    await first.frame()
    second, ready = await FeedClient.connect(feed.port)
    assert ready == Ready({"g1": 2})
    replaced = await first.frame()
    assert isinstance(replaced, Error) and replaced.code == "replaced"
    assert await first.closed()
    assert feed.status.provider(PROVIDER).connected
    assert await feed.drop(PROVIDER)
    assert await second.closed()
    assert not feed.status.provider(PROVIDER).connected


async def test_a_failing_event_log_closes_the_connection_and_nothing_is_acked(
    feed: TcpFeed, services: Services
) -> None:
    accept = services.ingestion.accept

    async def log_down(events: Any) -> Any:
        raise OSError("disk full")

    services.ingestion.accept = log_down  # type: ignore[method-assign]
    client, _ = await FeedClient.connect(feed.port)
    client.send(soccer(1, "GAME_SCHEDULED"))
    client.send(soccer(2, "GAME_STARTED"))  # never read: taken after a failure, out of order
    error = await client.frame()
    assert isinstance(error, Error)
    assert (error.code, error.line, error.close) == ("unavailable", 2, True)
    assert "disk full" in error.detail and await client.closed()
    services.ingestion.accept = accept  # type: ignore[method-assign]
    again, ready = await FeedClient.connect(feed.port, games=("g1",))
    assert ready == Ready({"g1": 0})
    again.send([soccer(1, "GAME_SCHEDULED"), soccer(2, "GAME_STARTED")])
    assert await again.frame() == Ack("g1", 2, line=2, accepted=2)
    await again.close()


async def test_over_its_rate_a_provider_is_read_more_slowly_not_refused() -> None:
    settings = Settings(provider_secrets={PROVIDER: SECRET}, provider_rate=20, provider_burst=1)
    services = build_in_memory(settings)
    await services.start()
    feed = await serve_tcp_feed(services, "127.0.0.1", 0)
    try:
        client, _ = await FeedClient.connect(feed.port)
        started = asyncio.get_running_loop().time()
        for seq in range(1, 6):
            client.send(soccer(seq, "GAME_SCHEDULED" if seq == 1 else "GAME_STARTED"))
        acks = [await client.frame() for _ in range(5)]
        assert [a.line for a in acks if isinstance(a, Ack)] == [2, 3, 4, 5, 6]
        assert asyncio.get_running_loop().time() - started >= 4 / 20 * 0.9
        await client.close()
    finally:
        await feed.close()
        await services.stop()


async def test_ready_reports_games_asked_for_from_the_event_store(services: Services) -> None:
    events = [soccer(1, "GAME_SCHEDULED", "old"), soccer(2, "GAME_STARTED", "old")]
    await services.ingestion.accept(parse(json.dumps(events).encode(), provider=PROVIDER))
    await wait_until(lambda: services.scorekeeper.game_version("old") == 2)
    feed = await serve_tcp_feed(services, "127.0.0.1", 0)  # a fresh process knows nothing
    try:
        client, ready = await FeedClient.connect(feed.port, games=("old", "new"))
        assert ready == Ready({"old": 2, "new": 0})
        await client.close()
    finally:
        await feed.close()


# ------------------------------------------------------- resume across cuts
async def play_with_cuts(
    feed: TcpFeed, events: list[dict[str, Any]], *, cuts: int, seed: int
) -> list[str]:
    """Send ``events`` (one game, sequence 1..N), cut ``cuts`` times; the cut kinds.

    Each session resumes from ``ready.acked`` or, as a provider that lost its place
    might, from a little earlier (so some events are sent twice), sends a few frames
    and is cut: the client aborts, aborts mid-line, closes after its acks, or the
    server drops it. The last session sends the rest and waits for the final ack.
    """
    rng = random.Random(seed)
    game_id = events[0]["game_id"]
    assert [e["sequence_number"] for e in events] == list(range(1, len(events) + 1))
    kinds: list[str] = []
    heard = 0  # the highest ack the client ever received
    most = max(2, len(events) // (cuts * 2))  # frames per session: cuts spread over the game

    async def acks(client: FeedClient, count: int) -> None:
        nonlocal heard
        for _ in range(count):
            ack = await client.frame()
            assert isinstance(ack, Ack) and ack.sequence_number >= heard, ack
            heard = ack.sequence_number

    for session in range(cuts + 1):
        client, ready = await FeedClient.connect(feed.port, games=(game_id,))
        assert isinstance(ready, Ready)
        assert heard <= ready.acked[game_id], "the server forgot an ack"
        heard = ready.acked[game_id]
        start = rng.choice([heard, heard, max(0, heard - rng.randint(1, 8))])
        last = len(events) if session == cuts else rng.randint(1, most)
        frames: list[list[dict[str, Any]]] = []
        while start < len(events) and len(frames) < last:
            frames.append(events[start : start + rng.choice([1, 1, 1, 2, 3, 5])])
            start += len(frames[-1])
        for frame in frames:
            client.send(frame if len(frame) > 1 else frame[0])

        if session == cuts:
            await acks(client, len(frames))
            assert heard == len(events)
            await client.close()
            break
        kind = rng.choice(["abort", "mid-line", "server-drop", "after-acks"])
        kinds.append(kind)
        if kind == "mid-line":
            rest = json.dumps(events[start : start + 2]).encode()
            client.send_raw(rest[: rng.randint(1, len(rest) - 1)])
            await client.writer.drain()
            client.abort()
        elif kind == "abort":
            client.abort()
        elif kind == "server-drop":
            await acks(client, rng.randint(0, len(frames)))
            await feed.drop(PROVIDER)
            assert await client.closed()
        else:
            await acks(client, len(frames))
            await client.close()
    return kinds


def expected_board(events: list[dict[str, Any]], game_id: str) -> dict[str, Any]:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    body = json.dumps(events).encode()
    keeper.record(parse(body, provider=PROVIDER, max_events=len(events)))
    board = keeper.scoreboard(game_id)
    assert board is not None
    return board.public()


async def assert_recorded_once(
    services: Services, events: list[dict[str, Any]], game_id: str
) -> dict[str, Any]:
    await wait_until(lambda: services.scorekeeper.game_version(game_id) >= len(events), 20)
    await asyncio.sleep(0.2)  # anything doubled would be recorded by now
    recorded = [r.event.event_id for r in services.scorekeeper.recorded_events(game_id)]
    assert recorded == [e["event_id"] for e in events]
    board = services.scorekeeper.scoreboard(game_id)
    assert board is not None
    return board.public()


async def test_fifty_random_cuts_still_give_the_final_score_with_each_event_once(
    services: Services,
) -> None:
    script = simulate_game(Sport.BASKETBALL, "tcp-bb", seed=11)
    events = [s.event for s in script]
    feed = await serve_tcp_feed(services, "127.0.0.1", 0, max_line_bytes=1 << 20)
    try:
        kinds = await play_with_cuts(feed, events, cuts=50, seed=5)
    finally:
        await feed.close()
    assert set(kinds) == {"abort", "mid-line", "server-drop", "after-acks"}
    board = await assert_recorded_once(services, events, "tcp-bb")
    assert board == expected_board(events, "tcp-bb")
    assert board["status"] == "FINAL"
    status = feed.status.provider(PROVIDER)
    assert status.connections == 51
    assert status.accepted + status.duplicates > len(events), "nothing was sent twice"


async def test_fifty_random_cuts_during_a_real_nba_game(services: Services) -> None:
    nba_live = pytest.importorskip("adapters.nba_live")
    path = shared_file("basketball/nba/0022000001.live-playbyplay.json")
    events: list[dict[str, Any]] = nba_live.convert(json.loads(path.read_text()), game_id="nba-1")
    feed = await serve_tcp_feed(services, "127.0.0.1", 0, max_line_bytes=1 << 20)
    try:
        await play_with_cuts(feed, events, cuts=50, seed=7)
    finally:
        await feed.close()
    board = await assert_recorded_once(services, events, "nba-1")
    assert (board["home_score"], board["away_score"], board["status"]) == (125, 99, "FINAL")
