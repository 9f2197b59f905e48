"""Fan endpoints: game state (poll), game list, recorded events, and the SSE stream."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.scoreboard import Scoreboard
from domain.scorekeeper import Scorekeeper
from entrypoints.composition import Services
from entrypoints.web.problems import problem

EDGE_CACHE = "max-age=1, stale-while-revalidate=5, stale-if-error=60"
CACHE_HEADERS = {
    "Cache-Control": "no-cache",
    "CDN-Cache-Control": EDGE_CACHE,
    "Surrogate-Control": EDGE_CACHE,
}
STATUSES = {"SCHEDULED", "LIVE", "FINAL", "POSTPONED", "CANCELLED"}


def etag(state: dict[str, Any]) -> str:
    return f'"v{state["version"]}"'


def _unknown(game_id: str) -> Response:
    return problem(
        404, "Unknown game", f"no game {game_id!r} has been recorded", kind="unknown-game"
    )


async def game_state(request: Request) -> Response:
    services: Services = request.app.state.services
    game_id = request.path_params["game_id"]
    state = await services.state(game_id)
    if state is None:
        return _unknown(game_id)
    tag = etag(state)
    headers = {**CACHE_HEADERS, "ETag": tag}
    if tag in _if_none_match(request):
        return Response(status_code=304, headers=headers)
    return JSONResponse(state, headers=headers)


def _if_none_match(request: Request) -> list[str]:
    header = request.headers.get("if-none-match", "")
    return [t.strip() for t in header.split(",") if t.strip()]


async def list_games(request: Request) -> Response:
    services: Services = request.app.state.services
    status = request.query_params.get("status")
    if status is not None and status.upper() not in STATUSES:
        return problem(
            400,
            "Unknown status",
            f"status must be one of {sorted(STATUSES)}",
            errors=[{"pointer": "status", "detail": f"{status!r} is not a status"}],
        )
    games = await services.all_states()
    if status:
        games = [g for g in games if g["status"] == status.upper()]
    games.sort(key=lambda g: (g.get("start_time") or "", g["game_id"]))
    return JSONResponse({"games": games}, headers={"Cache-Control": "no-cache"})


async def game_events(request: Request) -> Response:
    services: Services = request.app.state.services
    game_id = request.path_params["game_id"]
    try:
        after = int(request.query_params.get("after_version", "0"))
        limit = min(int(request.query_params.get("limit", "100")), 1000)
    except ValueError:
        return problem(400, "Bad paging", "after_version and limit must be integers")
    if after < 0 or limit < 1:
        return problem(400, "Bad paging", "after_version must be >= 0 and limit >= 1")
    found = await asyncio.to_thread(services.scorekeeper.recorded_events, game_id, after, limit)
    if not found and await services.state(game_id) is None:
        return _unknown(game_id)
    items = [
        {"version": r.version, "recorded_at": r.recorded_at, "event": r.event.to_dict()}
        for r in found
    ]
    next_after = items[-1]["version"] if len(items) == limit else None
    return JSONResponse({"game_id": game_id, "events": items, "next_after_version": next_after})


def replay_after(
    scorekeeper: Scorekeeper, game_id: str, after_version: int
) -> list[tuple[int, str]]:
    """Every recorded event above ``after_version``, each with the state after it."""
    board: Scoreboard | None = None
    out: list[tuple[int, str]] = []
    for recorded in scorekeeper.recorded_events(game_id):
        if board is None:
            board = Scoreboard.scheduled(recorded.event)
        board.apply(recorded.event, recorded.version)
        if recorded.version > after_version:
            message = {
                "game_id": game_id,
                "version": recorded.version,
                "event": recorded.event.to_dict(),
                "state": board.public(),
            }
            out.append((recorded.version, json.dumps(message)))
    return out


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


async def game_stream(request: Request) -> Response:
    services: Services = request.app.state.services
    game_id = request.path_params["game_id"]
    if await services.state(game_id) is None:
        return _unknown(game_id)
    resume_from = _last_event_id(request)

    async def frames() -> AsyncIterator[ServerSentEvent]:
        retry = random.randint(1000, 3000)
        # Subscribe before reading the state: whatever is published after the read
        # is queued, and whatever came before is in the state (the projection
        # updates its view before it publishes).
        subscriber = await services.hub.subscribe(game_id)
        try:
            state = await services.state(game_id)
            if state is None:
                return
            head = 0
            if resume_from is not None:
                head = await asyncio.to_thread(services.scorekeeper.game_version, game_id)
            if resume_from is None or resume_from > head:
                # A first visit, or an id this store never gave out: start afresh.
                sent = int(state["version"])
                yield ServerSentEvent(json.dumps(state), event="state", id=str(sent), retry=retry)
            else:
                sent = resume_from
                yield ServerSentEvent(comment="resuming", retry=retry)
            for version, data in await asyncio.to_thread(
                replay_after, services.scorekeeper, game_id, sent
            ):
                yield ServerSentEvent(data, event="game_event", id=str(version))
                sent = version
            while True:
                message = await subscriber.next()
                if message is None:
                    yield ServerSentEvent(comment="falling behind; reconnect", retry=retry)
                    return
                if message.version <= sent and not message.resync:
                    continue
                if message.resync or message.version > sent + 1:
                    missed = await asyncio.to_thread(
                        replay_after, services.scorekeeper, game_id, sent
                    )
                    for version, data in missed:
                        if message.resync or version < message.version:
                            yield ServerSentEvent(data, event="game_event", id=str(version))
                            sent = version
                    if message.resync:
                        continue
                yield ServerSentEvent(message.data, event="game_event", id=str(message.version))
                sent = message.version
        finally:
            await services.hub.unsubscribe(subscriber)

    return EventSourceResponse(frames(), ping=15, headers={"Cache-Control": "no-cache"})
