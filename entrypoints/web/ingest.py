"""``POST /providers/{provider}/events``: the provider webhook.

Answers 202 only once every accepted event is durable in the event log; a repeated
``event_id`` with the same content is acknowledged as a duplicate and not logged
again. Every refused body is kept raw in the RejectedStore with its reason.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from adapters.native_format import NativeFormatError, parse
from domain.ingestion import DeliveryRefused
from entrypoints.composition import Services
from entrypoints.web.problems import problem
from entrypoints.web.provider_auth import ProviderAuthError


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


Keep = Callable[..., Awaitable[Response]]


async def receive_events(request: Request) -> Response:
    services: Services = request.app.state.services
    settings = services.settings
    provider = request.path_params["provider"]
    content_type = request.headers.get("content-type", "")

    async def refuse(
        status: int, reason: str, body: bytes, title: str, detail: str, **extra: Any
    ) -> Response:
        kept = await asyncio.to_thread(
            services.rejected.keep,
            source="webhook",
            provider=provider,
            reason=reason,
            detail={"status": status, "title": title, "detail": detail, **extra},
            body=body,
            content_type=content_type,
        )
        return problem(status, title, detail, rejected_id=kept, **extra)

    try:
        body = await read_body(request, settings.max_body_bytes)
    except BodyTooLarge:
        return await refuse(
            413,
            "too-large",
            b"",
            "Payload too large",
            f"the body is over {settings.max_body_bytes} bytes; send smaller batches",
        )
    try:
        services.authenticator.verify(provider, request.headers, body)
    except ProviderAuthError as error:
        return await refuse(401, "unauthorized", body, "Not authenticated", str(error))
    wait = services.rate_limits.take(provider)
    if wait > 0:
        # Not kept: a flood of retries must not fill the rejected store.
        services.metrics.rejected("webhook", "rate-limited")
        return problem(
            429,
            "Too many requests",
            f"provider {provider!r} is over its rate limit; retry in {wait:.2f} s",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return await take_delivery(services, provider, body, refuse)


async def take_delivery(services: Services, provider: str, body: bytes, refuse: Keep) -> Response:
    """Parse and accept one delivery; ``refuse`` answers (and may keep) what is refused."""
    try:
        events = parse(body, provider=provider, max_events=services.settings.max_batch_events)
    except NativeFormatError as error:
        errors = [{"pointer": p.pointer, "detail": p.detail} for p in error.problems]
        return await refuse(422, "invalid", body, "Invalid event", str(error), errors=errors)
    try:
        outcomes = await services.ingestion.accept(events)
    except DeliveryRefused as refused:
        where = f"$[{refused.index}]" if body.lstrip()[:1] == b"[" else "$"
        status, title = (
            (409, "Conflicting event") if refused.kind == "conflict" else (422, "Invalid event")
        )
        errors = [{"pointer": f"{where}.{refused.field}".rstrip("."), "detail": refused.detail}]
        return await refuse(status, refused.kind, body, title, refused.detail, errors=errors)
    except Exception as error:  # the log is the durability point: say so, keep nothing
        return problem(
            503,
            "Event log unavailable",
            f"nothing was accepted: {error}",
            headers={"Retry-After": "1"},
        )
    return JSONResponse(
        {
            "accepted": sum(1 for o in outcomes if o.outcome == "accepted"),
            "duplicates": sum(1 for o in outcomes if o.outcome == "duplicate"),
            "events": [{"event_id": o.event_id, "outcome": o.outcome} for o in outcomes],
        },
        status_code=202,
    )
