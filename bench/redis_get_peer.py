"""The seed's polling design, as a peer: a plain Starlette endpoint doing one Redis GET
per request (then parse, tag, and 304 or JSON), run by uvicorn in one process.

``uvicorn --factory bench.redis_get_peer:create`` with ``PEER_REDIS_URL`` and
``PEER_KEY`` (the Redis key holding the state JSON) in the environment.
"""

from __future__ import annotations

import json
import os

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

EDGE = "max-age=1, stale-while-revalidate=5, stale-if-error=60"


def create() -> Starlette:
    redis = Redis.from_url(os.environ["PEER_REDIS_URL"])
    key = os.environ["PEER_KEY"]

    async def state(request: Request) -> Response:
        raw = await redis.get(key)
        if raw is None:
            return Response(status_code=404)
        found = json.loads(raw)
        tag = f'"v{found["version"]}"'
        headers = {"ETag": tag, "Cache-Control": "no-cache", "CDN-Cache-Control": EDGE}
        if tag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return JSONResponse(found, headers=headers)

    return Starlette(routes=[Route("/games/{game_id}/state", state)])
