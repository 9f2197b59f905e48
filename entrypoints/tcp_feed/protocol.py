"""The TCP feed's wire protocol: newline-delimited JSON frames, both ways. Pure: no I/O.

Every frame is one line of UTF-8 JSON ending in ``\\n``. A control frame is a JSON
object with a ``"type"``; an *event frame* is a native event object (no ``"type"``)
or a JSON list of them, exactly the webhook's body on one line. See
docs/tcp-feed-protocol.md for the conversation.

Guarantees:
- :func:`decode_client_frame` and :func:`decode_server_frame` never raise, whatever
  the bytes: they return a frame or a :class:`FrameError` saying what is wrong.
- :func:`encode` gives exactly one line (compact JSON plus ``\\n``) for any frame,
  and decoding that line gives the frame back.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Final, Literal

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\s]+$")]
Signature = Annotated[str, msgspec.Meta(max_length=200)]
ErrorCode = Literal[
    "bad-json",  # the line is not JSON
    "bad-frame",  # JSON, but not a frame of this protocol (unknown type, wrong fields)
    "invalid",  # events the native format or the game's rules refuse
    "conflict",  # an event_id already recorded with other content
    "too-long",  # a line over the limit: framing is lost, the server closes
    "unauthorized",  # unknown provider or a wrong signature
    "heartbeat-timeout",  # nothing heard for three heartbeats
    "unavailable",  # the event log failed; nothing of the frame was accepted
    "replaced",  # a newer connection of the same provider took over
    "closing",  # the server is shutting down or an operator dropped the connection
]

SIGNATURE_PREFIX: Final = "sha256="


class _Frame(msgspec.Struct, frozen=True, omit_defaults=True, tag_field="type"):
    pass


class Hello(_Frame, frozen=True, tag="hello"):
    """Server, first line: sign ``nonce`` to authenticate; expect a line this often."""

    nonce: str
    heartbeat_seconds: float


class Auth(_Frame, frozen=True, tag="auth"):
    """Client, first line: ``signature`` is :func:`auth_signature` of the hello nonce.

    ``games`` optionally names games whose resume position the client wants in
    ``ready`` even if this server process has not seen them yet.
    """

    provider: Name
    signature: Signature
    games: Annotated[tuple[Name, ...], msgspec.Meta(max_length=1000)] = ()


class Ready(_Frame, frozen=True, tag="ready"):
    """Server: authenticated. ``acked[game_id]`` is the highest N such that every
    event 1..N of the game is durable; resume with N + 1."""

    acked: dict[str, int]


class Ack(_Frame, frozen=True, tag="ack"):
    """Server: cumulative per game. Every event 1..``sequence_number`` of ``game_id``
    is durable. Sent only after the event frame on client line ``line`` was accepted
    (``accepted`` new events, ``duplicates`` already known ones for this game)."""

    game_id: str
    sequence_number: int
    line: int
    accepted: int = 0
    duplicates: int = 0


class Problem(msgspec.Struct, frozen=True):
    pointer: str
    detail: str


class Error(_Frame, frozen=True, tag="error"):
    """Server: the client line ``line`` was refused (nothing of it was accepted), or
    the connection failed. With ``close`` the server closes right after this frame."""

    code: str
    detail: str
    pointer: str | None = None
    line: int | None = None
    errors: tuple[Problem, ...] = ()
    rejected_id: int | None = None
    close: bool = False


class Ping(_Frame, frozen=True, tag="ping"):
    """Either side: are you there? Answer with :class:`Pong`."""


class Pong(_Frame, frozen=True, tag="pong"):
    """Either side: I am here."""


class EventsFrame(msgspec.Struct, frozen=True):
    """Client: one line of native events, kept raw for the native format parser."""

    body: bytes


class BlankLine(msgspec.Struct, frozen=True):
    """Client: an empty line. Means nothing but that the peer is alive."""


class FrameError(msgspec.Struct, frozen=True):
    """A line that is not a frame: ``code`` is ``bad-json`` or ``bad-frame``."""

    code: ErrorCode
    detail: str
    pointer: str = "$"


ClientFrame = Auth | Ping | Pong | EventsFrame | BlankLine
ServerFrame = Hello | Ready | Ack | Error | Ping | Pong


class _Kind(msgspec.Struct):
    """Only the ``type`` of an object; every other field is skipped."""

    type: str | None = None


_kind_decoder = msgspec.json.Decoder(list[msgspec.Raw] | _Kind)
_client_decoder = msgspec.json.Decoder(Auth | Ping | Pong)
_server_decoder = msgspec.json.Decoder(Hello | Ready | Ack | Error | Ping | Pong)
_encoder = msgspec.json.Encoder()


def decode_client_frame(line: bytes) -> ClientFrame | FrameError:
    """What a client line is; ``line`` may end in ``\\n`` or ``\\r\\n``. Never raises."""
    body = line.strip()
    if not body:
        return BlankLine()
    try:
        kind = _kind_decoder.decode(body)
    except msgspec.ValidationError as error:
        return _frame_error("bad-frame", error, "a frame is a JSON object or a list of events")
    except msgspec.DecodeError as error:
        return FrameError("bad-json", f"not JSON: {error}")
    except RecursionError:
        return FrameError("bad-json", "JSON nested too deeply")
    if isinstance(kind, list) or kind.type is None:
        return EventsFrame(body)
    try:
        frame: Auth | Ping | Pong = _client_decoder.decode(body)
    except msgspec.DecodeError as error:
        return _frame_error("bad-frame", error, "")
    except RecursionError:
        return FrameError("bad-json", "JSON nested too deeply")
    return frame


def decode_server_frame(line: bytes) -> ServerFrame | FrameError:
    """What a server line is (for clients). Never raises."""
    try:
        frame: ServerFrame = _server_decoder.decode(line.strip())
    except msgspec.ValidationError as error:
        return _frame_error("bad-frame", error, "")
    except msgspec.DecodeError as error:
        return FrameError("bad-json", f"not JSON: {error}")
    except RecursionError:
        return FrameError("bad-json", "JSON nested too deeply")
    return frame


def encode(frame: ServerFrame | Auth | EventsFrame | BlankLine) -> bytes:
    """One line: compact JSON and ``\\n``; an EventsFrame's body is sent as it is."""
    if isinstance(frame, EventsFrame):
        return frame.body.replace(b"\n", b" ") + b"\n"
    if isinstance(frame, BlankLine):
        return b"\n"
    return _encoder.encode(frame) + b"\n"


def auth_signature(secret: str, nonce: str) -> str:
    """``sha256=<hex HMAC-SHA256(secret, nonce)>``: what a client puts in ``auth``."""
    digest = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signature_matches(secret: str, nonce: str, signature: str) -> bool:
    """True if ``signature`` signs ``nonce`` with ``secret``; compared in constant time."""
    return hmac.compare_digest(auth_signature(secret, nonce).encode(), signature.encode())


def _frame_error(code: ErrorCode, error: msgspec.DecodeError, hint: str) -> FrameError:
    text = str(error)
    detail, _, path = text.partition(" - at `")
    message = f"{detail}; {hint}" if hint and not path else detail
    return FrameError(code, message, path.rstrip("`") or "$")
