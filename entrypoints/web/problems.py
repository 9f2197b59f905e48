"""RFC 9457 problem details: every error Scoreline answers is ``application/problem+json``."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

PROBLEM_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-large",
    422: "invalid-event",
    429: "rate-limited",
    503: "unavailable",
}


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {
        "type": f"urn:scoreline:problem:{kind or PROBLEM_TYPES.get(status, 'error')}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def problem_body(response: Response) -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(bytes(response.body))
    return decoded
