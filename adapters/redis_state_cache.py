"""StateCache over Redis (see domain.ports.StateCache), the twin of MemoryStateCache.

Keys (all under ``prefix``): ``game:{id}:state`` holds the state's compact JSON;
hash ``games`` maps every cached game id to its version, for listing.

Guarantees (both implementations; see adapters.memory_state_cache):
- Monotonic: a put is a Lua script comparing the stored state's ``version``
  atomically, so an equal or older state (a projector replay, a slower node) never
  overwrites a newer one, whatever the interleaving of writers.
- No TTL while live (SET without EX also clears an earlier one); a FINAL state gets
  ``EX FINAL_TTL`` (3600 s). An expired game's ``games`` entry is pruned by
  :meth:`all_states`.
- :meth:`get_raw` returns the stored bytes as-is: one GET, no parsing.
- :meth:`put_and_publish` is the projector's fan-out in one round trip (a pipeline,
  not a transaction): every put, each as :meth:`put`, then every PUBLISH in the order
  given, on one connection; so a message is sent after the state of its update is
  stored, and one caller's messages on a channel go out in order. Awaiting it before
  the next call keeps that order across calls.
- Every call is bounded by ``timeout`` seconds as a whole (``TimeoutError``), a
  pipeline included; Redis errors (``redis.ConnectionError``...) propagate to the
  caller. (redis-py's own ``socket_timeout`` would put an ``asyncio.timeout`` around
  every reply read: with hiredis, a third of the client's instructions for a pipeline
  of PUBLISHes; BENCHMARKS.md, 2026-12-04 02:35, "its fan-out's client cost".)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from adapters.memory_state_cache import FINAL_TTL, encode_state

# KEYS: state key, games hash. ARGV: json, version, ttl (0: none), game id.
_PUT = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, stored = pcall(cjson.decode, current)
  if ok and type(stored) == 'table' and tonumber(stored['version']) ~= nil
      and tonumber(stored['version']) >= tonumber(ARGV[2]) then
    return 0
  end
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[4], ARGV[2])
return 1
"""

# KEYS: games hash, then the state keys. ARGV: the game ids, in the same order.
_PRUNE = """
for i, game_id in ipairs(ARGV) do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    redis.call('HDEL', KEYS[1], game_id)
  end
end
return 0
"""

_BATCH = 500  # game ids per MGET


class RedisStateCache:
    def __init__(self, url: str, *, prefix: str = "", timeout: float = 5.0) -> None:
        self.url, self.prefix = url, prefix
        self._prefix = prefix
        self.timeout = timeout
        # No socket_timeout (redis-py 8 sets 5 s by default): each call is bounded once,
        # by asyncio.timeout (see the module docstring).
        self._redis: Redis = Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=None
        )
        self.games_key = f"{prefix}games"
        self._put = self._redis.register_script(_PUT)
        self._prune = self._redis.register_script(_PRUNE)

    def state_key(self, game_id: str) -> str:
        return f"{self._prefix}game:{game_id}:state"

    async def put(self, game_id: str, state: dict[str, Any], *, final: bool) -> None:
        version, raw = encode_state(state)
        ttl = FINAL_TTL if final else 0
        async with asyncio.timeout(self.timeout):
            await self._put(
                keys=[self.state_key(game_id), self.games_key], args=[raw, version, ttl, game_id]
            )

    async def put_and_publish(
        self,
        states: Sequence[tuple[str, dict[str, Any], bool]],
        messages: Sequence[tuple[str, bytes]],
    ) -> None:
        """Put ``(game_id, state, final)`` states, then PUBLISH ``(channel, message)``
        pairs (``channel`` without the prefix, as Broker.publish takes it), in order,
        in one pipeline (see the module docstring)."""
        pipe = self._redis.pipeline(transaction=False)
        for game_id, state, final in states:
            version, raw = encode_state(state)
            ttl = FINAL_TTL if final else 0
            await self._put(
                keys=[self.state_key(game_id), self.games_key],
                args=[raw, version, ttl, game_id],
                client=pipe,
            )
        for channel, message in messages:
            pipe.publish(self._prefix + channel, message)
        async with asyncio.timeout(self.timeout):
            await pipe.execute()

    async def get(self, game_id: str) -> dict[str, Any] | None:
        raw = await self.get_raw(game_id)
        if raw is None:
            return None
        state: dict[str, Any] = json.loads(raw)
        return state

    async def get_raw(self, game_id: str) -> bytes | None:
        async with asyncio.timeout(self.timeout):
            raw = await self._redis.get(self.state_key(game_id))
        return raw.encode() if isinstance(raw, str) else raw  # str only if decoding

    async def all_states(self) -> list[dict[str, Any]]:
        async with asyncio.timeout(self.timeout):
            fields = await self._redis.hkeys(self.games_key)
        game_ids = sorted(f if isinstance(f, str) else f.decode() for f in fields)
        found: list[dict[str, Any]] = []
        expired: list[str] = []
        for start in range(0, len(game_ids), _BATCH):
            batch = game_ids[start : start + _BATCH]
            async with asyncio.timeout(self.timeout):
                raws = await self._redis.mget([self.state_key(g) for g in batch])
            for game_id, raw in zip(batch, raws, strict=True):
                if raw is None:
                    expired.append(game_id)
                else:
                    found.append(json.loads(raw))
        if expired:
            async with asyncio.timeout(self.timeout):
                await self._prune(
                    keys=[self.games_key, *map(self.state_key, expired)], args=expired
                )
        return found

    async def close(self) -> None:
        await self._redis.aclose()
