"""``GET /games/{game_id}/stream``: the fans' SSE stream as a raw ASGI endpoint.

The hot path of a goal: the hub appends one encoded frame to the game's window and,
in one loop, hands every live subscriber the same message (the same dict and bytes
for everyone; ``feed.py``, ``writes.py``). Under our uvicorn protocol the scope
carries the connection's transport (``scope["extensions"]["scoreline.transport"]``,
``entrypoints/web/poll_protocol.py``): the response starts through ``send`` (so the
server frames it as chunked and ends it on the last ``send``), and from then on the
hub writes each frame's pre-built chunk to that transport itself. Without the key
(another server, a test client) everything goes through ``send``. Per connection
there is only the server's own task, waiting in ``receive()`` for the disconnect:
no task, queue or future of ours, no wake-up per subscriber per goal.
sse-starlette (four tasks and a cancel scope per connection) measured about 6x
this endpoint's p99 and 4x its memory at 10,000 subscribers (ARCHITECTURE.md, "Hub").

Protocol:
- A first visit gets a ``state`` event (id = the game's version); a resume by
  ``Last-Event-ID`` (or ``?last_event_id=``) gets every event after it, once: from
  the window of recent frames when it reaches back that far, from the store
  otherwise; then the live stream. An id the store never gave out starts afresh.
- A subscriber that falls behind gets a jittered ``retry:`` hint and the stream
  ends (it reconnects and resumes): more than ``sse_max_lag`` frames arrived while
  its previous write was still waiting for the client (uvicorn holds a write back
  while the socket's buffer is full), or the window moved past it. A burst that
  arrives while a subscriber is idle is sent at once, in one write.
- At ``sse_max_connections`` open streams, or while draining, the answer is 503
  problem+json with ``Retry-After``.
- A ``: ping`` comment every 15 s keeps proxies from closing idle streams.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from typing import Any, cast

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import Scope as StarletteScope

from entrypoints.composition import Services
from entrypoints.web.fanout.feed import Listener
from entrypoints.web.fanout.frames import END, OPENING, STREAM_HEADERS, body, encode_event, start
from entrypoints.web.games import _last_event_id, _unknown, replay_after
from entrypoints.web.hub import Hub, Replay
from entrypoints.web.poll_protocol import TRANSPORT_EXTENSION
from entrypoints.web.problems import problem

Scope = dict[str, Any]
Receive = Any
Send = Any

START = start(200, STREAM_HEADERS)


class GameStream:
    """The ASGI app Starlette routes ``/games/{game_id}/stream`` to."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services = scope["app"].state.services
        hub = services.hub
        game_id: str = scope["path_params"]["game_id"]
        refusal = _refusal(hub, services.settings.sse_max_connections)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if await services.state(game_id) is None:
            await _unknown(game_id)(scope, receive, send)
            return
        # Subscribe before reading the state: whatever is published after the read
        # is in the window, and whatever came before is in the state (the projection
        # updates the view and cache before it publishes).
        settings = services.settings
        listener = await hub.subscribe(
            game_id, _replay(services, game_id), send, max_lag=settings.sse_max_lag
        )
        listener.task = asyncio.current_task()
        try:
            await send(START)
            transport = _direct_transport(scope)
            if transport is not None:
                listener.use_transport(transport)
            await send(OPENING.pick())
            if await _open(services, listener, _last_event_id(Request(scope)), send):
                listener.feed.go_live(listener)
                while (await receive())["type"] != "http.disconnect":
                    pass  # the hub writes; this task only waits for the client to go
        finally:
            await hub.unsubscribe(listener)


def _direct_transport(scope: Scope) -> Any | None:
    """The transport the hub may write chunks to: a GET's (a HEAD's response has no
    body) under a server that puts it in the scope."""
    if scope["method"] != "GET":
        return None
    return (scope.get("extensions") or {}).get(TRANSPORT_EXTENSION)


def _refusal(hub: Hub, cap: int) -> Any:
    retry_after = str(random.randint(1, 5))
    if hub.draining:
        detail = "this gateway is shutting down; reconnect (another gateway will answer)"
    elif hub.stream_count() >= cap:
        detail = f"this gateway holds its maximum of {cap} streams; retry shortly"
    else:
        return None
    return problem(
        503,
        "Too many streams",
        detail,
        kind="stream-capacity",
        headers={"Retry-After": retry_after},
    )


def _replay(services: Services, game_id: str) -> Replay:
    async def replay(after: int) -> list[tuple[int, bytes]]:
        rows = await asyncio.to_thread(replay_after, services.scorekeeper, game_id, after)
        return rows

    return replay


async def _open(
    services: Services, listener: Listener, resume_from: int | None, send: Send
) -> bool:
    """Send the state or the events missed since ``resume_from``; False if gone."""
    feed, hub, game_id = listener.feed, services.hub, listener.feed.game_id
    resumable = False
    if resume_from is not None:
        head = feed.head
        if head is None or resume_from > head:
            head = await asyncio.to_thread(services.scorekeeper.game_version, game_id)
        resumable = resume_from <= head
    if resumable:
        assert resume_from is not None
        listener.sent = resume_from
        if not await hub.cover(listener, resume_from):
            await _send_from_store(services, listener, send)
        await _catch_up(listener, send)
        return True
    state = await services.state(game_id)
    if state is None:
        await send(END)
        return False
    version = int(state["version"])
    message = feed.state_frame(version)
    if message is None:
        data = json.dumps(state).encode()
        message = body(encode_event(data, event="state", event_id=version))
        feed.keep_state_frame(version, message)
    await send(message)
    listener.sent = version
    if feed.head is not None and not feed.covers(version):
        await _send_from_store(services, listener, send)
    await _catch_up(listener, send)
    return True


async def _catch_up(listener: Listener, send: Send) -> None:
    """Whatever the window holds above ``sent``, in one message (no lag limit yet)."""
    head = listener.feed.head
    if head is not None and listener.feed.covers(listener.sent):
        message = listener.feed.after(listener.sent)
        if message is not None:
            listener.sent = head
            await send(message)


async def _send_from_store(services: Services, listener: Listener, send: Send) -> None:
    """A resume older than the window: that subscriber's events from the store."""
    rows = await asyncio.to_thread(
        replay_after, services.scorekeeper, listener.feed.game_id, listener.sent
    )
    if rows:
        frames = [encode_event(d, event="game_event", event_id=v) for v, d in rows]
        await send(body(b"".join(frames)))
        listener.sent = rows[-1][0]


STREAM_PATH = re.compile(r"/games/([^/]+)/stream")


class StreamFirst(Starlette):
    """Starlette, except that ``GET /games/{game_id}/stream`` goes straight to
    ``stream`` (a :class:`GameStream`), outside Starlette's middleware stack.

    Each layer of that stack wraps ``send`` in one more coroutine, and on a goal the
    hub makes one ``send`` per subscriber: skipping the two wrappers measured about a
    sixth less gateway CPU per goal, and 11.5 instead of 14.8 KB per idle subscriber
    (fewer suspended frames), at 10,000 subscribers (BENCHMARKS.md, "Fan-out"). The
    route stays in the routing table (the same endpoint: for the
    OpenAPI document, and other methods); middleware added to the app does not see
    streams. A mixin: ``class App(StreamFirst, OtherFastPath)`` composes.
    """

    stream: GameStream | None = None

    async def __call__(self, scope: StarletteScope, receive: Receive, send: Send) -> None:
        stream = self.stream
        if stream is not None and scope["type"] == "http" and scope["method"] == "GET":
            match = STREAM_PATH.fullmatch(scope["path"])
            if match is not None:
                scope["app"] = self
                scope["path_params"] = {"game_id": match[1]}
                await stream(cast(Scope, scope), receive, send)
                return
        await super().__call__(scope, receive, send)
