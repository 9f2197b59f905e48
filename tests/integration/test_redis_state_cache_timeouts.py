"""RedisStateCache bounds every call as a whole: a Redis that takes the connection and
never answers costs a caller ``timeout`` seconds and a TimeoutError, never a hang
(the client has no per-reply socket timeout of its own)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters.redis_state_cache import RedisStateCache

Call = Callable[[RedisStateCache], Awaitable[Any]]

CALLS: dict[str, Call] = {
    "get_raw": lambda cache: cache.get_raw("g"),
    "put": lambda cache: cache.put("g", {"game_id": "g", "version": 1}, final=False),
    "put_and_publish": lambda cache: cache.put_and_publish(
        [("g", {"game_id": "g", "version": 1}, False)], [("game:g:updates", b"{}")]
    ),
    "all_states": lambda cache: cache.all_states(),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_silent_redis_times_a_call_out_within_its_bound(name: str) -> None:
    async def main() -> float:
        held: list[asyncio.StreamWriter] = []

        async def accept_and_stay_silent(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            held.append(writer)  # read nothing, answer nothing, keep it open

        server = await asyncio.start_server(accept_and_stay_silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        cache = RedisStateCache(f"redis://127.0.0.1:{port}/0", timeout=0.3)
        started = time.monotonic()
        try:
            async with asyncio.timeout(10):  # the test's own bound: a hang fails here
                with pytest.raises(TimeoutError):
                    await CALLS[name](cache)
            return time.monotonic() - started
        finally:
            for writer in held:
                writer.close()
            server.close()
            await cache.close()

    took = asyncio.run(main())
    assert took < 5.0
