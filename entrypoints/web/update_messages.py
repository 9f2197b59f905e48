"""The published update of one game: its event and the state after it, as JSON bytes.

A message is ``{"game_id", "version", "event", "state"}`` in compact UTF-8 JSON, made by
:func:`encode_update` both live (the projector's publish, through the broker) and when
replayed from the store (the hub's back-fills, a resume), so a subscriber gets the same
bytes for a version whichever way it came. The readers take what they need without
decoding the rest: the hub only the version, the near cache only the state's bytes.

Guarantees: ``update_version(encode_update(g, v, e, s)) == v`` and
``update_state(encode_update(g, v, e, s)) == msgspec.json.encode(s)``, the state's own
compact JSON (what a poll answers, byte for byte, for that version's strong ETag).
"""

from __future__ import annotations

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()


class _Version(msgspec.Struct):
    version: int


class _State(msgspec.Struct):
    state: msgspec.Raw


_versions = msgspec.json.Decoder(_Version)
_states = msgspec.json.Decoder(_State)


def encode_update(
    game_id: str, version: int, event: dict[str, Any], state: dict[str, Any]
) -> bytes:
    """One update message (field order: game_id, version, event, state)."""
    return _encoder.encode({"game_id": game_id, "version": version, "event": event, "state": state})


def update_version(raw: bytes) -> int:
    """The version of a message (msgspec's DecodeError, a ValueError, if it is not one)."""
    return _versions.decode(raw).version


def update_state(raw: bytes) -> bytes:
    """The state of a message, as the JSON bytes it holds (a ValueError if none)."""
    return bytes(_states.decode(raw).state)


__all__ = ["encode_update", "update_state", "update_version"]
