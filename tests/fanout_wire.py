"""The SSE stream as bytes on the wire: a strict HTTP/1.1 chunked-body parser, the SSE
blocks in it, and a transport whose client reads only when told to (for uvicorn's own
``RequestResponseCycle`` to write to, flow control included)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CHUNK_SIZE = re.compile(rb"[0-9a-f]+")


@dataclass
class Wire:
    """A response read off the wire: its head, its chunks, whether the last came."""

    head: bytes
    chunks: list[bytes]
    ended: bool

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def blocks(self) -> list[str]:
        """The SSE blocks (events, comments, retry hints) of the body, in order."""
        text = self.body.decode()
        assert text == "" or text.endswith("\n\n"), "the body ends mid-block"
        return [block for block in text.split("\n\n") if block]

    def versions(self) -> list[int]:
        """The ids of the ``game_event`` events, in order."""
        return [
            int(block.split("\n")[0][4:])
            for block in self.blocks()
            if "\nevent: game_event\n" in f"\n{block}\n"
        ]

    def last_retry(self) -> str | None:
        retries = [b for b in self.blocks() if b.startswith("retry: ")]
        return retries[-1] if retries else None


def parse(data: bytes, *, partial: bool = False) -> Wire:
    """A chunked response, strictly: every chunk complete (``size CRLF data CRLF``, size
    in lowercase hex as uvicorn writes it), nothing after the last chunk (``0 CRLF
    CRLF``). Raises AssertionError on anything else; ``partial``: what has arrived so
    far, up to the last whole chunk."""
    head, separator, rest = data.partition(b"\r\n\r\n")
    if partial and not separator:
        return Wire(b"", [], ended=False)
    assert separator, "no end of the response head"
    assert b"\r\ntransfer-encoding: chunked" in head.lower(), head
    chunks: list[bytes] = []
    at = 0
    while at < len(rest):
        line_end = rest.find(b"\r\n", at)
        if partial and (line_end < 0 or rest.find(b"\r\n", line_end + 2) < 0):
            break
        assert line_end > at, f"no chunk size line at {at}: {rest[at : at + 20]!r}"
        size_text = rest[at:line_end]
        assert CHUNK_SIZE.fullmatch(size_text), f"bad chunk size {size_text!r}"
        size = int(size_text, 16)
        start = line_end + 2
        if size == 0:
            assert rest[start:] == b"\r\n", "bytes after the last chunk"
            return Wire(head, chunks, ended=True)
        if partial and len(rest) < start + size + 2:
            break
        assert rest[start + size : start + size + 2] == b"\r\n", "a chunk cut short"
        chunks.append(rest[start : start + size])
        at = start + size + 2
    return Wire(head, chunks, ended=False)


@dataclass
class HeldTransport:
    """An ``asyncio.Transport`` stand-in whose client reads only when ``read`` is
    called; it pauses and resumes its protocol's writing at asyncio's default
    water marks, as a selector transport does."""

    low: int = 16 * 1024
    high: int = 64 * 1024
    flow: Any = None  # uvicorn's FlowControl of the connection
    pending: bytearray = field(default_factory=bytearray)
    wire: bytearray = field(default_factory=bytearray)
    closed: bool = False
    paused: bool = False
    most_pending: int = 0
    writes_after_close: int = 0

    def write(self, data: bytes) -> None:
        if self.closed:
            self.writes_after_close += 1
            return
        self.pending += data
        self.most_pending = max(self.most_pending, len(self.pending))
        if len(self.pending) > self.high and not self.paused:
            self.paused = True
            self.flow.pause_writing()

    def read(self, count: int) -> None:
        """The client reads up to ``count`` bytes."""
        self.wire += self.pending[:count]
        del self.pending[:count]
        if self.paused and len(self.pending) <= self.low:
            self.paused = False
            self.flow.resume_writing()

    def get_write_buffer_size(self) -> int:
        return len(self.pending)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (self.low, self.high)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True
