"""The push-stream follower against a real local HTTP server (uvicorn on loopback)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from domain.events import GameEvent
from domain.ingestion import DeliveryRefused
from entrypoints.composition import build_in_memory
from entrypoints.push_stream import (
    DeliveryFailed,
    FollowStatus,
    UnknownFormat,
    converter_for,
    follow,
    format_names,
)
from entrypoints.push_stream.backoff import Backoff
from entrypoints.push_stream.delivered import DeliveredEvents
from entrypoints.push_stream.lines import OVERLONG, LineSplitter, is_heartbeat
from entrypoints.settings import Settings

GAME = "push-g"
HEARTBEAT = b'{"heartbeat": {"interval": 0.1}}\n'


def event(seq: int) -> dict[str, Any]:
    kinds = {1: "GAME_SCHEDULED", 2: "GAME_STARTED", 12: "GAME_FINAL"}
    data: dict[str, Any] = {
        "event_id": f"{GAME}-{seq}",
        "game_id": GAME,
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": kinds.get(seq, "GOAL"),
    }
    if seq == 1:
        data["schedule"] = {"home_team_id": "ars", "away_team_id": "che"}
    elif seq not in kinds:
        data["team_id"] = "ars" if seq % 3 else "che"
    return data


def line(*seqs: int) -> bytes:
    payload: Any = event(seqs[0]) if len(seqs) == 1 else [event(s) for s in seqs]
    return json.dumps(payload).encode() + b"\n"


Script = Callable[[int], AsyncIterator[bytes] | None]


class Provider:
    """A push-stream provider: ``/feed`` redirects to ``/stream/live``, which plays a
    script per connection (``None``: answer 503)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.redirects = 0
        self.hits: list[float] = []
        self.app = Starlette(routes=[Route("/feed", self.feed), Route("/stream/live", self.stream)])

    async def feed(self, request: Request) -> Response:
        self.redirects += 1
        return RedirectResponse("/stream/live", status_code=307)

    async def stream(self, request: Request) -> Response:
        self.hits.append(time.monotonic())
        body = self.script(len(self.hits))
        if body is None:
            return PlainTextResponse("busy", status_code=503)
        return StreamingResponse(body, media_type="application/x-ndjson")


@contextlib.asynccontextmanager
async def serving(provider: Provider) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        provider.app, log_level="critical", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        deadline = time.monotonic() + 5
        while not server.started:
            assert time.monotonic() < deadline, "the provider server did not start"
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}/feed"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 5)
        sock.close()


async def chunks(*parts: bytes, then: str = "stall") -> AsyncIterator[bytes]:
    for part in parts:
        yield part
        await asyncio.sleep(0.01)
    if then == "drop":
        raise RuntimeError("the provider drops the connection")
    while True:  # "stall": no bytes at all; "beat": heartbeats only
        await asyncio.sleep(60 if then == "stall" else 0.1)
        yield HEARTBEAT


def real_game_script(hit: int) -> AsyncIterator[bytes] | None:
    if hit == 1:  # some events, heartbeats, then silence
        return chunks(HEARTBEAT, line(1), line(2), b"\n", line(3, 4), HEARTBEAT)
    if hit == 2:  # resends 3-4, a broken line, more events, then drops mid-line
        e8 = line(8)
        parts = (line(3, 4), b'{"event_id": 5\n', line(5), line(6), HEARTBEAT, line(7))
        return chunks(*parts, e8[:20], then="drop")
    if hit in (3, 4):
        return None
    return chunks(line(6), line(7), line(8, 9), line(10), line(11), line(12), then="beat")


async def test_follows_redirects_survives_stalls_and_drops_and_delivers_each_event_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "scoreline.push_stream")
    services = build_in_memory(Settings())
    await services.start()
    provider = Provider(real_game_script)
    delivered: list[str] = []
    refused: list[tuple[bytes, str]] = []
    done = asyncio.Event()

    async def deliver(events: list[GameEvent]) -> object:
        outcomes = await services.ingestion.accept(events)
        delivered.extend(e.event_id for e in events)
        if len(delivered) >= 12:
            done.set()
        return outcomes

    async def on_refused(raw: bytes, reason: str) -> None:
        refused.append((raw, reason))

    status = FollowStatus("under test")
    ups: list[bool] = []
    base = 0.05
    async with serving(provider) as url:
        follower = asyncio.create_task(
            follow(
                url,
                format="native",
                deliver=deliver,
                provider="acme",
                heartbeat_timeout=0.5,
                backoff_base=base,
                backoff_cap=1.0,
                on_refused=on_refused,
                on_connection=ups.append,
                status=status,
                rng=random.Random(3),
            )
        )
        try:
            await asyncio.wait_for(done.wait(), 15)
            await asyncio.sleep(0.3)  # heartbeats keep it connected: no more reconnects
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
    try:
        assert delivered == [f"{GAME}-{n}" for n in range(1, 13)]  # in order, once each
        assert (provider.redirects, len(provider.hits)) == (5, 5)
        assert provider.hits[1] - provider.hits[0] >= 0.5, "the stall was not waited out"
        assert status.reconnects == 4 and status.connections == 3 and status.connected
        assert ups == [True, False, True, False, True]
        assert [ceiling for ceiling, _ in status.backoffs] == [base, base, 2 * base, 4 * base]
        assert all(0 <= delay <= ceiling for ceiling, delay in status.backoffs)
        assert status.skipped == 4 and status.heartbeats >= 5
        assert refused == [(b'{"event_id": 5', refused[0][1])] and "$" in refused[0][1]
        reasons = [r.getMessage() for r in caplog.records if "reconnecting" in r.getMessage()]
        assert ["ReadTimeout" in reasons[0], "RemoteProtocolError" in reasons[1]] == [True, True]
        assert all("503" in r for r in reasons[2:4])
        deadline = time.monotonic() + 5
        while services.scorekeeper.game_version(GAME) < 12:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        recorded = [r.event.event_id for r in services.scorekeeper.recorded_events(GAME)]
        assert recorded == delivered
        board = services.scorekeeper.scoreboard(GAME)
        assert board is not None and board.status == "FINAL"
        assert (board.home_score, board.away_score) == (6, 3)
    finally:
        await services.stop()


async def test_refused_events_are_skipped_and_failing_delivery_is_retried_then_fatal() -> None:
    provider = Provider(lambda hit: chunks(line(1), line(2), line(3), then="beat"))
    calls: list[str] = []

    async def deliver(events: list[GameEvent]) -> object:
        calls.append(events[0].event_id)
        if events[0].sequence_number == 2:
            raise DeliveryRefused("invalid", 0, "team_id", "no such team")
        if events[0].sequence_number == 3:
            raise OSError("event log down")
        return None

    refused: list[str] = []

    async def on_refused(raw: bytes, reason: str) -> None:
        refused.append(reason)

    async with serving(provider) as url:
        with pytest.raises(DeliveryFailed, match="3 times: event log down"):
            await asyncio.wait_for(
                follow(
                    url,
                    format="native",
                    deliver=deliver,
                    backoff_base=0.01,
                    deliver_attempts=3,
                    on_refused=on_refused,
                ),
                10,
            )
    assert calls == [f"{GAME}-1", f"{GAME}-2", f"{GAME}-3", f"{GAME}-3", f"{GAME}-3"]
    assert refused == ["invalid: no such team"]


# ------------------------------------------------------------ the pieces
def test_line_splitter_keeps_lines_whole_and_bounded() -> None:
    splitter = LineSplitter(max_line_bytes=10)
    assert splitter.feed(b"ab") == []
    assert splitter.feed(b"c\r\nde\n\nf") == [b"abc", b"de", b""]
    assert splitter.feed(b"0123456789xyz") == [OVERLONG]  # skipped up to its newline
    assert splitter.feed(b"more\nok\n") == [b"ok"]
    assert splitter.feed(b"12345\n" * 2) == [b"12345", b"12345"]
    assert splitter.feed(b"123456" + b"78901\nz\n") == [OVERLONG, b"z"]


def test_heartbeats_are_blank_lines_or_heartbeat_only_objects() -> None:
    assert is_heartbeat(b"") and is_heartbeat(b"  ") and is_heartbeat(HEARTBEAT.strip())
    assert is_heartbeat(b'{"heartbeat": 1}')
    assert not is_heartbeat(b'{"heartbeat": 1, "event_id": "x"}')
    assert not is_heartbeat(line(1).strip()) and not is_heartbeat(b'{"heartbeat": ')


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    backoff = Backoff(0.5, 4.0, random.Random(1))
    draws = [backoff.next_delay() for _ in range(6)]
    assert [c for c, _ in draws] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert all(0 <= d <= c for c, d in draws)
    backoff.reset()
    assert backoff.next_delay()[0] == 0.5
    with pytest.raises(ValueError):
        Backoff(2.0, 1.0)


def test_delivered_events_are_remembered_by_id_and_content_boundedly() -> None:
    convert = converter_for("native", "acme")
    first = convert(line(1))
    changed = convert(json.dumps({**event(1), "description": "moved"}).encode())
    remembered = DeliveredEvents(max_size=2)
    remembered.add(first)
    assert remembered.fresh(first) == [] and remembered.fresh(changed) == changed
    remembered.add(convert(line(2, 3)))
    assert len(remembered) == 2 and remembered.fresh(first) == first


def test_formats_are_pluggable_by_name() -> None:
    assert "native" in format_names()
    assert [e.provider for e in converter_for("native", "acme")(line(1, 2))] == ["acme"] * 2
    with pytest.raises(UnknownFormat, match="known: "):
        converter_for("nope", "acme")
