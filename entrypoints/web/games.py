"""Fan endpoints: the game list, recorded events, and what the SSE
stream (``entrypoints.web.fanout.stream``) replays from the store."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.scoreboard import Scoreboard
from domain.scorekeeper import Scorekeeper
from entrypoints.composition import Services
from entrypoints.web.problems import problem
from entrypoints.web.update_messages import encode_update

STATUSES = {"SCHEDULED", "LIVE", "FINAL", "POSTPONED", "CANCELLED"}


def _unknown(game_id: str) -> Response:
    return problem(
        404, "Unknown game", f"no game {game_id!r} has been recorded", kind="unknown-game"
    )


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
) -> list[tuple[int, bytes]]:
    """Every recorded event above ``after_version``, each with the state after it."""
    board: Scoreboard | None = None
    out: list[tuple[int, bytes]] = []
    for recorded in scorekeeper.recorded_events(game_id):
        if board is None:
            board = Scoreboard.scheduled(recorded.event)
        board.apply(recorded.event, recorded.version)
        if recorded.version > after_version:
            message = encode_update(
                game_id, recorded.version, recorded.event.to_dict(), board.public()
            )
            out.append((recorded.version, message))
    return out


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())
