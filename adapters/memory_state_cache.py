"""StateCache in one process (see domain.ports.StateCache), the twin of RedisStateCache.

Guarantees (both implementations):
- Monotonic: :meth:`put` writes only if ``state["version"]`` is above the stored
  version; an equal or older one (a projector replay) is ignored.
- No expiry while a game is live; a ``final=True`` put expires after ``FINAL_TTL``
  seconds (a later non-final put, a correction, clears the expiry again).
- :meth:`get_raw` gives the stored JSON bytes as-is (compact UTF-8 JSON, msgspec's:
  byte for byte what a published update carries as its state); :meth:`get` the parsed dict;
  :meth:`all_states` every unexpired state, ordered by game id.
- A state without an integer ``version`` raises KeyError/ValueError/TypeError.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()

FINAL_TTL = 3600  # seconds a FINAL game's state stays cached


def encode_state(state: dict[str, Any]) -> tuple[int, bytes]:
    """(its version, its compact JSON); shared by both implementations."""
    version = state["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"a state's version must be an int, not {version!r}")
    return version, _encoder.encode(state)


@dataclass(frozen=True)
class _Entry:
    version: int
    raw: bytes
    expires_at: float | None  # on this cache's clock; None: never


class MemoryStateCache:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    async def put(self, game_id: str, state: dict[str, Any], *, final: bool) -> None:
        version, raw = encode_state(state)
        current = self._live(game_id)
        if current is not None and current.version >= version:
            return
        expires_at = self._clock() + FINAL_TTL if final else None
        self._entries[game_id] = _Entry(version, raw, expires_at)

    async def get(self, game_id: str) -> dict[str, Any] | None:
        raw = await self.get_raw(game_id)
        if raw is None:
            return None
        state: dict[str, Any] = json.loads(raw)
        return state

    async def get_raw(self, game_id: str) -> bytes | None:
        entry = self._live(game_id)
        return None if entry is None else entry.raw

    async def all_states(self) -> list[dict[str, Any]]:
        found = []
        for game_id in sorted(self._entries):
            state = await self.get(game_id)
            if state is not None:
                found.append(state)
        return found

    def expires_at(self, game_id: str) -> float | None:
        """When the game's state expires (on ``clock``), or None: not expiring/absent."""
        entry = self._live(game_id)
        return None if entry is None else entry.expires_at

    async def close(self) -> None:
        self._entries.clear()

    def _live(self, game_id: str) -> _Entry | None:
        entry = self._entries.get(game_id)
        if entry is not None and entry.expires_at is not None and entry.expires_at <= self._clock():
            del self._entries[game_id]
            return None
        return entry
