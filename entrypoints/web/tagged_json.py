"""JSON answers of the fan read models with a strong ETag from their content, and 304.

Guarantees:
- :func:`encoded` gives the body bytes and a strong ETag ``"<blake2b-96 hex>"`` of
  exactly those bytes: equal content, equal tag; any change of the body, another tag.
- :func:`tagged` answers 304 (no body, same headers) when ``If-None-Match`` names the
  tag (weak comparison, RFC 9110; ``*`` matches) and 200 with the body otherwise, with
  the standings' cache headers (``entrypoints.web.standings.CACHE_HEADERS``).
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from entrypoints.web.standings import CACHE_HEADERS


class Encoded(NamedTuple):
    body: bytes
    etag: str


def encoded(content: Any) -> Encoded:
    body = msgspec.json.encode(content)
    return Encoded(body, f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"')


def if_none_match(request: Request, tag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    tags = [t.strip() for t in header.split(",") if t.strip()]
    return "*" in tags or tag in [t.removeprefix("W/") for t in tags]


def tagged(request: Request, answer: Encoded) -> Response:
    headers = {**CACHE_HEADERS, "ETag": answer.etag}
    if if_none_match(request, answer.etag):
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type="application/json", headers=headers)
