"""Operator endpoints, behind ``Authorization: Bearer $SCORELINE_ADMIN_TOKEN``."""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.ports import Rejection
from entrypoints.composition import Services
from entrypoints.web.ingest import take_delivery
from entrypoints.web.problems import problem


def check_admin(request: Request) -> Response | None:
    """None if the request carries the admin token, else the problem to answer."""
    services: Services = request.app.state.services
    token = services.settings.admin_token
    if not token:
        return problem(403, "Ops disabled", "set SCORELINE_ADMIN_TOKEN to enable /ops endpoints")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        return problem(
            401,
            "Not authenticated",
            "send Authorization: Bearer <admin token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return None


def rejection_json(r: Rejection) -> dict[str, object]:
    try:
        body: str = r.body.decode()
        encoding = "utf-8"
    except UnicodeDecodeError:
        body = base64.b64encode(r.body).decode()
        encoding = "base64"
    return {
        "id": r.id,
        "received_at": r.received_at,
        "source": r.source,
        "provider": r.provider,
        "reason": r.reason,
        "detail": r.detail,
        "content_type": r.content_type,
        "body": body,
        "body_encoding": encoding,
        "replays": list(r.replays),
    }


async def list_rejected(request: Request) -> Response:
    if (denied := check_admin(request)) is not None:
        return denied
    services: Services = request.app.state.services
    try:
        after = int(request.query_params.get("after_id", "0"))
        limit = min(int(request.query_params.get("limit", "100")), 1000)
    except ValueError:
        return problem(400, "Bad paging", "after_id and limit must be integers")
    found = await asyncio.to_thread(services.rejected.list, after_id=after, limit=limit)
    return JSONResponse(
        {
            "rejected": [rejection_json(r) for r in found],
            "next_after_id": found[-1].id if len(found) == limit else None,
        }
    )


async def list_gaps(request: Request) -> Response:
    if (denied := check_admin(request)) is not None:
        return denied
    services: Services = request.app.state.services
    gaps = [
        {
            "game_id": g.game_id,
            "first_missing": g.first_missing,
            "last_missing": g.last_missing,
            "waited_seconds": round(g.released_at - g.detected_at, 3),
        }
        for g in services.recorder.gaps_waited_out()
    ]
    return JSONResponse({"gaps": gaps, "held_events": services.recorder.held_count()})


async def replay_rejected(request: Request) -> Response:
    """Send a kept payload (or the fixed one in the request body) through ingestion again.

    The provider's signature is not checked again: the admin token vouches for it.
    A failed replay answers its problem and is noted, not kept as a new rejection.
    Replaying what was already recorded acknowledges duplicates: it records once.
    """
    if (denied := check_admin(request)) is not None:
        return denied
    services: Services = request.app.state.services
    try:
        rejection_id = int(request.path_params["rejection_id"])
    except ValueError:
        return problem(404, "Unknown rejection", "rejection ids are integers")
    found = await asyncio.to_thread(services.rejected.get, rejection_id)
    if found is None:
        return problem(404, "Unknown rejection", f"no rejected payload {rejection_id}")
    fixed = await request.body()
    body = fixed if fixed.strip() else found.body
    provider = request.query_params.get("provider") or found.provider

    async def answer(
        status: int, reason: str, body: bytes, title: str, detail: str, **extra: Any
    ) -> Response:
        return problem(status, title, detail, **extra)

    response = await take_delivery(services, provider, body, answer)
    result: dict[str, Any] = {"status": response.status_code, "fixed": bool(fixed.strip())}
    if response.status_code == 202:
        result.update(json.loads(bytes(response.body)))
    await asyncio.to_thread(services.rejected.note_replay, rejection_id, result)
    return response


async def list_feeds(request: Request) -> Response:
    """Per provider and game: connection, last sequence recorded, open gaps, lag."""
    if (denied := check_admin(request)) is not None:
        return denied
    services: Services = request.app.state.services
    feeds = []
    for feed in services.monitor.feeds():
        connection = services.monitor.connection(feed.provider)
        feeds.append(
            {
                "provider": feed.provider,
                "game_id": feed.game_id,
                "transport": connection[0] if connection else "webhook",
                "connected": connection[1] if connection else None,
                "last_received_at": feed.last_received_at,
                "last_recorded_at": feed.last_recorded_at,
                "last_sequence": feed.last_sequence,
                "received": feed.received,
                "recorded": feed.recorded,
                "lag_seconds": feed.lag_seconds,
                "open_gaps": [list(g) for g in services.recorder.open_gaps(feed.game_id)],
            }
        )
    return JSONResponse({"feeds": feeds})
