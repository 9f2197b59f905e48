"""``GET /games/{game_id}/state``: a game's live state for pollers, from the near cache.

Guarantees:
- 200 with the state's JSON and a strong ETag ``"v{version}"`` (the game's version: the
  tag changes exactly when the state does); ``Cache-Control: no-cache`` for browsers and
  ``CDN-Cache-Control`` / ``Surrogate-Control`` ``max-age=1, stale-while-revalidate=5,
  stale-if-error=60`` for an edge (:mod:`entrypoints.web.cache_headers`).
- 304, no body, the same ETag and cache headers, when ``If-None-Match`` names the tag
  (weak comparison, RFC 9110: ``W/"v3"`` matches ``"v3"``; ``*`` matches any state).
- 404 problem+json (``urn:scoreline:problem:unknown-game``) for a game never recorded.
- With ``at_version`` the request is the historians' ``history.state_at`` (immutable).
- The hot path (a game this process already serves) does no I/O and no JSON encoding:
  the near cache holds each version's body bytes, tag and response start messages
  (:class:`~entrypoints.web.near_cache.NearCache`); a cold game is read once from the
  state cache (the store's view when there is no cache).
- GET and HEAD only (the route answers 405 to others); HEAD sends the headers alone.

This is a bare ASGI endpoint rather than a Starlette ``Request``/``Response`` function, and
:class:`FastPollApp` answers held games before Starlette's middleware and router. Most
polls of held games never get here: :mod:`entrypoints.web.poll_protocol` answers them in
uvicorn's HTTP protocol with the same bytes, and passes on only those pipelined behind an
ASGI response or arriving while writing is paused (BENCHMARKS.md, "Polling and the edge").
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from entrypoints.web import history
from entrypoints.web.near_cache import NearCache
from entrypoints.web.problems import problem
from entrypoints.web.state_snapshot import Snapshot

EMPTY = {"type": "http.response.body", "body": b""}


class GameStateEndpoint:
    """The ASGI app of the route; it finds the near cache on ``app.state.services``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["query_string"] and b"at_version" in scope["query_string"]:
            request = Request(scope, receive)
            if "at_version" in request.query_params:
                await (await history.state_at(request))(scope, receive, send)
                return
        near: NearCache = scope["app"].state.services.near_cache
        game_id: str = scope["path_params"]["game_id"]
        snapshot = near.peek(game_id) or await near.get(game_id)
        if snapshot is None:
            await _unknown(game_id)(scope, receive, send)
            return
        await answer(snapshot, scope, send)


class FastPollApp(Starlette):
    """The Starlette application, answering a poll of a game held in the near cache
    *before* its middleware and router (about 11 % of a poll's profile samples, measured:
    BENCHMARKS.md, "Polling and the edge"). Anything else (a cold game, a query string,
    another method, another path) takes the whole stack, routed to :data:`game_state` as
    usual. The fast path does nothing that can raise but ``send``."""

    near_cache: NearCache | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        near = self.near_cache
        if near is not None and scope["type"] == "http" and not scope["query_string"]:
            path: str = scope["path"]
            if path[:7] == "/games/" and path[-6:] == "/state" and scope["method"] in _READS:
                game_id = path[7:-6]
                if game_id and "/" not in game_id:
                    snapshot = near.peek(game_id)
                    if snapshot is not None:
                        await answer(snapshot, scope, send)
                        return
        await super().__call__(scope, receive, send)


_READS = ("GET", "HEAD")


async def answer(snapshot: Snapshot, scope: Scope, send: Send) -> None:
    """The 304 when If-None-Match names the state's tag, else the 200 (no body for HEAD)."""
    if_none_match = _header(scope, b"if-none-match")
    if if_none_match is not None and snapshot.matches(if_none_match):
        await send(snapshot.not_modified)
        await send(EMPTY)
        return
    await send(snapshot.ok)
    await send(EMPTY if scope["method"] == "HEAD" else snapshot.content)


def _header(scope: Scope, name: bytes) -> bytes | None:
    value: bytes
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _unknown(game_id: str) -> Any:
    return problem(
        404, "Unknown game", f"no game {game_id!r} has been recorded", kind="unknown-game"
    )


game_state = GameStateEndpoint()
"""The endpoint ``app.py`` routes ``/games/{game_id}/state`` to (methods GET, HEAD)."""
