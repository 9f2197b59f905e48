"""``scoreline rejected list|replay``: the operator's side of /ops/rejected, over HTTP."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import httpx


class OpsError(Exception):
    pass


def _call(method: str, url: str, token: str, content: bytes | None = None) -> httpx.Response:
    try:
        response = httpx.request(
            method,
            url,
            content=content,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=30,
        )
    except httpx.TransportError as error:
        raise OpsError(f"cannot reach {url}: {error}") from None
    if response.status_code in (401, 403, 404):
        raise OpsError(f"{response.status_code}: {response.json().get('detail', response.text)}")
    return response


def list_rejected(base_url: str, token: str, *, after_id: int, limit: int, out: TextIO) -> int:
    """Print one JSON object per rejected payload; returns how many."""
    url = f"{base_url.rstrip('/')}/ops/rejected?after_id={after_id}&limit={limit}"
    items: list[dict[str, Any]] = _call("GET", url, token).json()["rejected"]
    for item in items:
        out.write(json.dumps(item) + "\n")
    return len(items)


def replay_rejected(
    base_url: str, token: str, rejection_id: int, fixed: Path | None, out: TextIO = sys.stdout
) -> int:
    """Replay one; the exit status is 0 if it was accepted, 1 if refused again."""
    content = fixed.read_bytes() if fixed is not None else None
    url = f"{base_url.rstrip('/')}/ops/rejected/{rejection_id}/replay"
    response = _call("POST", url, token, content)
    out.write(json.dumps(response.json()) + "\n")
    return 0 if response.status_code == 202 else 1
