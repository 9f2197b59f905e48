"""Push native events (JSON lines) to a Scoreline webhook, signed, with retries.

Delivery is at-least-once: on a 5xx, a 429 or a connection error the same batch is
sent again after a backoff (honouring Retry-After); Scoreline dedupes by event_id.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import httpx

from entrypoints.web.provider_auth import sign


class PushError(Exception):
    pass


def read_jsonl(lines: Iterable[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise PushError(f"line {number} is not JSON: {error}") from None
    return events


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {
        "Content-Type": "application/json",
        "X-Scoreline-Timestamp": timestamp,
        "X-Scoreline-Signature": sign(secret, timestamp, body),
    }


def webhook_url(base_url: str, provider: str) -> str:
    return f"{base_url.rstrip('/')}/providers/{provider}/events"


def deliver(
    client: httpx.Client,
    url: str,
    secret: str,
    events: Sequence[dict[str, Any]],
    *,
    attempts: int = 8,
) -> httpx.Response:
    """Send one batch; retry what may succeed later; raise PushError on a refusal."""
    body = json.dumps(list(events)).encode()
    delay = 0.2
    for attempt in range(1, attempts + 1):
        try:
            response = client.post(url, content=body, headers=signed_headers(secret, body))
        except httpx.TransportError as error:
            if attempt == attempts:
                raise PushError(f"cannot reach {url}: {error}") from None
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 5.0)
            continue
        if response.status_code in (429, 502, 503, 504) and attempt < attempts:
            retry_after = response.headers.get("retry-after", "")
            wait = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else delay
            time.sleep(wait * random.uniform(1.0, 1.3))
            delay = min(delay * 2, 5.0)
            continue
        if response.status_code >= 400:
            raise PushError(f"{response.status_code} from {url}: {response.text}")
        return response
    raise PushError(f"gave up on {url} after {attempts} attempts")


def timeline(events: Sequence[dict[str, Any]]) -> list[float]:
    """Seconds from the first event, from ``created_at`` or else the match clock."""
    if events and all(e.get("created_at") for e in events):
        stamps = [datetime.fromisoformat(str(e["created_at"])).timestamp() for e in events]
    else:
        stamps, last = [], 0.0
        for e in events:
            if e.get("sport") == "soccer" and e.get("clock_seconds") is not None:
                last = max(last, float(e["clock_seconds"]))
            stamps.append(last)
    first = stamps[0] if stamps else 0.0
    return [max(0.0, s - first) for s in stamps]


def batches(
    events: Sequence[dict[str, Any]], speed: float | None, batch_size: int
) -> Iterator[tuple[float, list[dict[str, Any]]]]:
    """(seconds to wait before sending, batch) pairs."""
    if not speed:
        for start in range(0, len(events), batch_size):
            yield 0.0, list(events[start : start + batch_size])
        return
    times = timeline(events)
    previous = 0.0
    for at, event in zip(times, events, strict=True):
        yield (at - previous) / speed, [event]
        previous = at


def push(
    events: Sequence[dict[str, Any]],
    *,
    url: str,
    provider: str,
    secret: str,
    speed: float | None = None,
    batch_size: int = 100,
    out: Any = sys.stderr,
) -> int:
    target = webhook_url(url, provider)
    sent = 0
    with httpx.Client(timeout=30) as client:
        for wait, batch in batches(events, speed, batch_size):
            if wait > 0:
                time.sleep(wait)
            deliver(client, target, secret, batch)
            sent += len(batch)
    print(f"pushed {sent} events to {target}", file=out)
    return sent
