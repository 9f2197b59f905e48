"""``/devices``: fans register the phones push notifications reach.

- ``POST /devices`` upserts by token: 201 with ``Location`` for a new token (or one
  pruned since), 200 when it replaces a registration; the body is the device as stored.
- ``GET /devices/{token}``: 200 with the device, 404 problem when not registered.
- ``DELETE /devices/{token}``: 204, 404 problem when not registered.
- Each client address has a token bucket (``limits``, :class:`RateLimits`): over it, a
  429 problem with ``Retry-After`` (not kept: a flood must not fill the rejected store).
  The address is the connection's peer, or the one a trusted proxy forwards (uvicorn's
  proxy headers: ``FORWARDED_ALLOW_IPS``, default 127.0.0.1).

Every refusal is RFC 9457 ``application/problem+json``; a refused body is kept raw in
the RejectedStore (source ``devices``) and the problem carries its ``rejected_id`` and
the JSON pointer of the culprit (``pointer``, and ``errors`` as the webhook answers).
Registry calls run in worker threads: the event loop never waits on the database.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.devices import DeviceError, register_device
from domain.notification_ports import DeviceRegistry
from domain.ports import RejectedStore
from entrypoints.web.problems import problem
from entrypoints.web.rate_limit import RateLimits

MAX_DEVICE_BODY_BYTES = 64 * 1024  # a registration is a few hundred bytes; 200 follows fit
PRIVATE = {"Cache-Control": "no-store"}  # a device's registration is nobody else's


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def device_routes(
    registry: DeviceRegistry,
    rejected: RejectedStore,
    *,
    max_body_bytes: int = MAX_DEVICE_BODY_BYTES,
    limits: RateLimits | None = None,
) -> list[Route]:
    """The three device endpoints over ``registry``; refusals kept in ``rejected``;
    ``limits`` (None: no limit) by client address."""

    def over_limit(request: Request) -> Response | None:
        if limits is None:
            return None
        wait = limits.take(request.client.host if request.client else "")
        if wait <= 0:
            return None
        return problem(
            429,
            "Too many requests",
            f"this address is over its device request rate; retry in {wait:.2f} s",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )

    async def refuse(
        request: Request,
        status: int,
        reason: str,
        body: bytes,
        title: str,
        detail: str,
        pointer: str,
    ) -> Response:
        kept = await asyncio.to_thread(
            rejected.keep,
            source="devices",
            provider="",
            reason=reason,
            detail={"status": status, "title": title, "detail": detail, "pointer": pointer},
            body=body,
            content_type=request.headers.get("content-type", ""),
            dedupe_key=None,
        )
        return problem(
            status,
            title,
            detail,
            pointer=pointer,
            errors=[{"pointer": pointer, "detail": detail}],
            rejected_id=kept,
        )

    async def register(request: Request) -> Response:
        if (refused := over_limit(request)) is not None:
            return refused
        try:
            body = await _body(request, max_body_bytes)
        except _TooLarge:
            detail = f"the body is over {max_body_bytes} bytes"
            return await refuse(request, 413, "too-large", b"", "Payload too large", detail, "")
        try:
            data: Any = json.loads(body)
        except (UnicodeDecodeError, ValueError) as error:
            detail = f"the body is not JSON: {error}"
            return await refuse(request, 400, "invalid", body, "Malformed JSON", detail, "")
        try:
            device = register_device(data)
        except DeviceError as error:
            return await refuse(
                request, 422, "invalid", body, "Invalid device", str(error), error.pointer
            )
        try:
            new = await asyncio.to_thread(registry.register, device)
        except Exception as error:  # the registry is the durability point: say so
            return _unavailable(error)  # (and keep nothing: the body was valid)
        return JSONResponse(
            device.to_dict(),
            status_code=201 if new else 200,
            headers={"Location": f"/devices/{device.token}", **PRIVATE},
        )

    async def show(request: Request) -> Response:
        if (refused := over_limit(request)) is not None:
            return refused
        token = request.path_params["token"]
        try:
            device = await asyncio.to_thread(registry.get, token)
        except Exception as error:
            return _unavailable(error)
        if device is None:
            return _not_registered(token)
        return JSONResponse(device.to_dict(), headers=PRIVATE)

    async def remove(request: Request) -> Response:
        if (refused := over_limit(request)) is not None:
            return refused
        token = request.path_params["token"]
        try:
            removed = await asyncio.to_thread(registry.remove, token)
        except Exception as error:
            return _unavailable(error)
        return Response(status_code=204) if removed else _not_registered(token)

    return [
        Route("/devices", register, methods=["POST"], name="register_device"),
        # Tokens hold letters, digits and _ : - . only, never "/": one path segment.
        Route("/devices/{token:str}", show, methods=["GET"], name="device"),
        Route("/devices/{token:str}", remove, methods=["DELETE"], name="remove_device"),
    ]


def _not_registered(token: str) -> Response:
    return problem(404, "Device not registered", f"no device is registered with token {token!r}")


def _unavailable(error: Exception) -> Response:
    return problem(
        503,
        "Device registry unavailable",
        f"the device registry did not answer: {error}",
        headers={"Retry-After": "1"},
    )
