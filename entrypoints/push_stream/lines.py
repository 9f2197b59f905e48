"""LineSplitter: a byte stream cut into lines, with a bound on a line's length.

Guarantees: every complete line (without its ``\\n`` or ``\\r\\n``) comes out once, in
order; at most ``max_line_bytes`` are held. A longer line is skipped up to its
newline and reported once as :data:`OVERLONG` in its place.
"""

from __future__ import annotations

from typing import Final

import msgspec

OVERLONG: Final = b"\x00overlong"  # not a JSON line, so never mistaken for one


class LineSplitter:
    def __init__(self, max_line_bytes: int) -> None:
        self.max_line_bytes = max_line_bytes
        self._buffer = bytearray()
        self._skipping = False

    def feed(self, chunk: bytes) -> list[bytes]:
        lines: list[bytes] = []
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            piece = chunk[start:end]
            start = end + 1
            if self._skipping:
                self._skipping = False
                continue
            if len(self._buffer) + len(piece) > self.max_line_bytes:
                self._buffer.clear()
                lines.append(OVERLONG)
                continue
            self._buffer += piece
            lines.append(bytes(self._buffer).rstrip(b"\r"))
            self._buffer.clear()
        rest = chunk[start:]
        if not self._skipping:
            self._buffer += rest
            if len(self._buffer) > self.max_line_bytes:
                self._buffer.clear()
                self._skipping = True
                lines.append(OVERLONG)
        return lines


class _Heartbeat(msgspec.Struct, forbid_unknown_fields=True):
    heartbeat: msgspec.Raw


_heartbeat = msgspec.json.Decoder(_Heartbeat)


def is_heartbeat(line: bytes) -> bool:
    """A blank line, or a JSON object whose only key is ``heartbeat``."""
    if not line.strip():
        return True
    if b'"heartbeat"' not in line[:64]:
        return False
    try:
        _heartbeat.decode(line)
    except (msgspec.DecodeError, RecursionError):
        return False
    return True
