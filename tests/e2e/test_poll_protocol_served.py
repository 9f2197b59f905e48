"""End to end: ``scoreline serve`` answers polls of held games in its HTTP protocol
(:mod:`entrypoints.web.poll_protocol`) with the bytes its ASGI path sends, counted the same."""

from __future__ import annotations

import re
import socket
import uuid
from typing import Any

from tests.e2e.test_polling import counter, feed_game

DATE = re.compile(rb"\r\ndate: [^\r]+\r\n")


def raw_answer(port: int, target: str, *headers: str) -> bytes:
    """One request on its own connection (``connection: close``): the answer's bytes."""
    lines = [f"GET {target} HTTP/1.1", "host: e2e", *headers, "connection: close"]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return data


def hits(port: int) -> float:
    metrics = raw_answer(port, "/metrics").partition(b"\r\n\r\n")[2].decode()
    return counter(metrics, "scoreline_cache_hits_total")


def test_a_held_game_s_poll_is_answered_as_the_asgi_path_answers_it(live_server: Any) -> None:
    game_id = f"proto-{uuid.uuid4().hex[:8]}"
    feed_game(live_server, game_id)
    state = live_server.wait_for(game_id, lambda s: s["status"] == "LIVE", 20)  # now held
    port, path, tag = live_server.port, f"/games/{game_id}/state", f'"v{state["version"]}"'
    for headers in ((), (f"if-none-match: {tag}",), ('if-none-match: W/"v0", *',)):
        fast = raw_answer(port, path, *headers)
        routed = raw_answer(port, f"{path}?through=asgi", *headers)  # skips the protocol's path
        assert DATE.sub(b"\r\ndate: -\r\n", fast) == DATE.sub(b"\r\ndate: -\r\n", routed)
        assert DATE.search(fast), "no date header"
    before = hits(port)
    for _ in range(5):
        assert raw_answer(port, path, f"if-none-match: {tag}").startswith(b"HTTP/1.1 304 ")
    assert hits(port) == before + 5
