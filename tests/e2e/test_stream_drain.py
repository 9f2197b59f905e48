"""A real ``scoreline serve`` told to stop (SIGTERM) drains its SSE fans: each is sent
a jittered ``retry:`` and its stream ends, then the process exits."""

from __future__ import annotations

import signal
import socket

from tests.e2e.conftest import PROVIDER, LiveServer


def events(game_id: str) -> list[dict[str, object]]:
    return [
        {
            "event_id": f"{game_id}-1",
            "game_id": game_id,
            "sport": "soccer",
            "sequence_number": 1,
            "event_type": "GAME_SCHEDULED",
            "schedule": {"home_team_id": "ars", "away_team_id": "che"},
        }
    ]


def open_stream(port: int, game_id: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    request = (
        f"GET /games/{game_id}/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
    )
    sock.sendall(request.encode())
    received = b""
    while b"event: state" not in received:
        chunk = sock.recv(65536)
        assert chunk, "the stream closed before its first event"
        received += chunk
    return sock


def read_to_end(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_sigterm_tells_every_fan_to_reconnect_then_exits(live_server: LiveServer) -> None:
    assert live_server.push(events("drain-me"), provider=PROVIDER).status_code == 202
    live_server.wait_for("drain-me", lambda s: s["version"] >= 1)
    fans = [open_stream(live_server.port, "drain-me") for _ in range(5)]
    process = live_server.process
    assert process is not None
    process.send_signal(signal.SIGTERM)
    endings = [read_to_end(fan) for fan in fans]
    for fan in fans:
        fan.close()
    for ending in endings:
        assert b"retry: " in ending and b"server restarting" in ending
        assert ending.endswith(b"0\r\n\r\n"), "the chunked response ended properly"
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.wait(30) in (0, -signal.SIGTERM)
