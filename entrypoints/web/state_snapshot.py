"""One game state as the polling endpoint sends it: encoded once per version, never per request.

A :class:`Snapshot` holds the state's JSON body bytes, its strong ETag ``"v{version}"``
and the ready ASGI ``http.response.start`` messages of its 200 and 304 answers (shared,
never mutated), so answering a poll is two ``send`` calls and one header comparison.

It also holds those answers as HTTP/1.1 bytes for :mod:`entrypoints.web.poll_protocol`:
each ``raw_*`` field is what uvicorn writes after the status line and its own default
headers (``date``) for the same ASGI messages on a kept-alive connection, header lines
encoded exactly as uvicorn encodes them, up to and including the blank line (and the body,
for ``raw_ok``); ``ok_lines`` and ``not_modified_lines`` are the header lines alone, for
an answer that ends its connection (uvicorn then adds ``connection: close``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import msgspec

from entrypoints.web.cache_headers import RAW_CACHE_HEADERS
from entrypoints.web.update_messages import update_state

Message = dict[str, Any]  # an ASGI send message


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    final: bool
    body: bytes  # the state's JSON
    etag: bytes = field(init=False)  # the strong tag, '"v12"'
    ok: Message = field(init=False, repr=False)  # the 200's start message
    not_modified: Message = field(init=False, repr=False)  # the 304's start message
    content: Message = field(init=False, repr=False)  # the 200's body message
    ok_lines: bytes = field(init=False, repr=False)  # the 200's header lines
    not_modified_lines: bytes = field(init=False, repr=False)  # the 304's header lines
    raw_ok: bytes = field(init=False, repr=False)  # ok_lines, the blank line, the body
    raw_ok_head: bytes = field(init=False, repr=False)  # ok_lines, the blank line (HEAD)
    raw_not_modified: bytes = field(init=False, repr=False)  # not_modified_lines, blank line

    def __post_init__(self) -> None:
        tag = b'"v%d"' % self.version
        common = [(b"etag", tag), *RAW_CACHE_HEADERS]
        ok = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(self.body)),
            *common,
        ]
        set_ = object.__setattr__  # frozen: the derived fields are set once, here
        set_(self, "etag", tag)
        set_(self, "ok", {"type": "http.response.start", "status": 200, "headers": ok})
        set_(
            self,
            "not_modified",
            {"type": "http.response.start", "status": 304, "headers": common},
        )
        set_(self, "content", {"type": "http.response.body", "body": self.body})
        ok_lines, not_modified_lines = _header_lines(ok), _header_lines(common)
        set_(self, "ok_lines", ok_lines)
        set_(self, "not_modified_lines", not_modified_lines)
        set_(self, "raw_ok", ok_lines + b"\r\n" + self.body)
        set_(self, "raw_ok_head", ok_lines + b"\r\n")
        set_(self, "raw_not_modified", not_modified_lines + b"\r\n")

    def matches(self, if_none_match: bytes) -> bool:
        """RFC 9110 weak comparison of an If-None-Match value with this tag (``*`` matches)."""
        if if_none_match == self.etag:  # what every revalidating client sends
            return True
        for candidate in if_none_match.split(b","):
            tag = candidate.strip()
            if tag == b"*" or tag.removeprefix(b"W/") == self.etag:
                return True
        return False

    def state(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded


def snapshot_of_state(state: dict[str, Any]) -> Snapshot:
    """Encode a state dict (``version`` and ``status`` required) once, as compact UTF-8
    JSON (msgspec): the same bytes as the state caches hold and updates carry."""
    body = _encoder.encode(state)
    return Snapshot(_version(state), state.get("status") == "FINAL", body)


def snapshot_of_json(raw: bytes) -> Snapshot:
    """A state already encoded (the state cache's bytes, an update's state): kept as the
    body as-is; only its version and status are read (a ValueError if it is no state)."""
    head = _heads.decode(raw)
    return Snapshot(head.version, head.status == "FINAL", bytes(raw))


def snapshot_of_update(data: str | bytes) -> Snapshot:
    """The state inside one published update (``{"version", "event", "state", ...}``),
    its bytes kept as they are in the message (entrypoints/web/update_messages.py)."""
    return snapshot_of_json(update_state(data.encode() if isinstance(data, str) else data))


def snapshot_of_frame(frame: bytes) -> Snapshot:
    """The state inside one SSE ``game_event`` frame of the hub's window (its ``data:``
    lines are a published update, ``{"version", "event", "state", ...}``)."""
    lines = [line[5:].removeprefix(b" ") for line in frame.split(b"\n") if line[:5] == b"data:"]
    if not lines:
        raise ValueError(f"no data in the frame {frame[:40]!r}")
    return snapshot_of_update(b"\n".join(lines))


def _header_lines(headers: list[tuple[bytes, bytes]]) -> bytes:
    """Header pairs as uvicorn's ``RequestResponseCycle.send`` writes them."""
    return b"".join(b"%s: %s\r\n" % (name.lower(), value) for name, value in headers)


class _Head(msgspec.Struct):
    """What a poll answer needs of a state besides its bytes."""

    version: int  # (msgspec refuses a bool or a float here, as _version does)
    status: str | None = None


_encoder = msgspec.json.Encoder()
_heads = msgspec.json.Decoder(_Head)


def _version(state: dict[str, Any]) -> int:
    version = state["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"a state's version must be an int, not {version!r}")
    return version
