"""Server-Sent Events frames, encoded once and sent as ready ASGI messages.

A frame is built as the ASGI ``http.response.body`` message itself, so the hot path
hands every subscriber the very same dict and bytes: no per-connection encoding,
no per-connection dict. A live frame (``chunked``) also carries, under ``CHUNK``, its
body framed as one HTTP/1.1 chunk (size line, data, CRLF): built once, it is what
the hub writes straight to a subscriber's transport when the server exposes it
(``feed.py``). Only a message that carries a chunk may be written that way; one
that ends a response never does (the server must write the last chunk itself).
Retry hints come in a few pre-encoded variants so that a jittered ``retry:`` costs
a random choice, not an encode.
"""

from __future__ import annotations

import random
from typing import Any

Message = dict[str, Any]  # an ASGI send message; shared, never mutated

CHUNK = "scoreline.chunk"
"""A live frame's key: its body as one HTTP/1.1 chunk (servers ignore unknown keys)."""

RETRY_VARIANTS = 16


def encode_event(data: bytes, *, event: str, event_id: int | None = None) -> bytes:
    """One SSE event: ``id:``, ``event:``, one ``data:`` line per line of ``data``."""
    head = b"" if event_id is None else b"id: %d\n" % event_id
    lines = data.splitlines() or [b""]
    body = b"".join(b"data: " + line + b"\n" for line in lines)
    return head + b"event: " + event.encode() + b"\n" + body + b"\n"


def comment(text: str) -> bytes:
    return b": " + text.encode() + b"\n\n"


def retry_frame(milliseconds: int, text: str) -> bytes:
    """A reconnection-time hint (``retry:``) with a comment saying why."""
    return b"retry: %d\n: %s\n\n" % (milliseconds, text.encode())


def body(data: bytes, *, more: bool = True) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


def chunked(data: bytes) -> Message:
    """A body message of a live stream (more to come) that carries its own HTTP/1.1
    chunk under ``CHUNK``: exactly the bytes a chunked HTTP/1.1 server writes for it."""
    if not data:  # an empty chunk would end the response
        return body(data)
    message = body(data)
    message[CHUNK] = b"%x\r\n%s\r\n" % (len(data), data)
    return message


def start(status: int, headers: list[tuple[bytes, bytes]]) -> Message:
    return {"type": "http.response.start", "status": status, "headers": headers}


STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # proxies must not buffer a stream
]


class RetryHints:
    """``retry:`` frames jittered over [low, high] ms, pre-encoded in a few variants."""

    def __init__(self, text: str, low: int, high: int, *, more: bool) -> None:
        step = max(1, (high - low) // max(1, RETRY_VARIANTS - 1))
        self.variants = [
            body(retry_frame(ms, text), more=more) for ms in range(low, high + 1, step)
        ][:RETRY_VARIANTS]

    def pick(self) -> Message:
        return random.choice(self.variants)


PING = chunked(comment("ping"))
OPENING = RetryHints("welcome", 1000, 3000, more=True)
FALLING_BEHIND = RetryHints("falling behind; reconnect", 1000, 5000, more=False)
DRAINING = RetryHints("server restarting; reconnect", 500, 10_000, more=False)
END = body(b"", more=False)
