"""The same fan-out written the obvious way: one sse-starlette ``EventSourceResponse``
per subscriber, each fed by its own asyncio.Queue from one Redis subscription.

The peer that justifies the gateway's raw ASGI stream (ARCHITECTURE.md, "Hub"):
``python -m bench.sse_starlette_peer PORT REDIS_URL CHANNEL [uvloop]`` serves ``/sub`` under
uvicorn with the loop and HTTP parser ``scoreline serve`` runs with, and puts each
message of CHANNEL (already encoded: the same SSE data the gateway sends) into
every subscriber's queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import redis.asyncio as redis
import uvicorn
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def build(redis_url: str, channel: str) -> Starlette:
    queues: set[asyncio.Queue[bytes]] = set()

    async def pump() -> None:
        client = redis.Redis.from_url(redis_url)
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        async for message in pubsub.listen():
            if message["type"] == "message":
                for queue in list(queues):
                    queue.put_nowait(message["data"])

    async def subscribe(request: Request) -> Response:
        queue: asyncio.Queue[bytes] = asyncio.Queue(256)

        async def frames() -> AsyncIterator[ServerSentEvent]:
            queues.add(queue)
            try:
                yield ServerSentEvent(comment="welcome", retry=2000)
                while True:
                    data = await queue.get()
                    yield ServerSentEvent(data.decode(), event="game_event")
            finally:
                queues.discard(queue)

        return EventSourceResponse(frames(), ping=15)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(pump())
        yield
        task.cancel()

    return Starlette(routes=[Route("/sub", subscribe)], lifespan=lifespan)


def main() -> int:
    port, redis_url, channel = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if sys.argv[4:] == ["uvloop"]:  # as the gateway runs with --uvloop
        import uvloop

        uvloop.install()
    config = uvicorn.Config(
        build(redis_url, channel),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        http="httptools",
        lifespan="on",
    )
    # As entrypoints/cli/serving.py runs the gateway: asyncio.run on the default loop.
    asyncio.run(uvicorn.Server(config).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
