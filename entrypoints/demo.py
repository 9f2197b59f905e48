"""``scoreline demo``: the service plus a provider simulator posting through the real webhook."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx

from entrypoints.feed_push import batches, signed_headers, webhook_url

log = logging.getLogger("scoreline.demo")


async def post(
    client: httpx.AsyncClient, url: str, secret: str, events: Sequence[dict[str, Any]]
) -> None:
    body = json.dumps(list(events)).encode()
    for attempt in range(10):
        try:
            response = await client.post(url, content=body, headers=signed_headers(secret, body))
        except httpx.TransportError:
            await asyncio.sleep(0.5)
            continue
        if response.status_code == 202:
            return
        if response.status_code < 500:
            log.warning("demo event refused: %s %s", response.status_code, response.text)
            return
        await asyncio.sleep(0.5 * (attempt + 1))


async def simulate_forever(base_url: str, secret: str, *, duration: float, seed: int) -> None:
    """Play a slate of one game per sport, round after round, in demo time."""
    from adapters.simulator import demo_slate

    url = webhook_url(base_url, "demo")
    round_number = 0
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            round_number += 1
            slate = demo_slate(seed + round_number, duration=duration)
            timeline: list[tuple[float, dict[str, Any]]] = []
            for game_id, script in slate:
                for scripted in script:
                    event = dict(scripted.event)
                    event["game_id"] = f"{game_id.rsplit('-', 1)[0]}-{round_number}"
                    event["event_id"] = f"r{round_number}-{event['event_id']}"
                    if event.get("references_event_id"):
                        event["references_event_id"] = (
                            f"r{round_number}-{event['references_event_id']}"
                        )
                    timeline.append((scripted.at, event))
            timeline.sort(key=lambda pair: pair[0])
            started = time.monotonic()
            for at, event in timeline:
                delay = at - (time.monotonic() - started)
                if delay > 0:
                    await asyncio.sleep(delay)
                await post(client, url, secret, [event])
            await asyncio.sleep(10)


async def play_feed(
    base_url: str, secret: str, events: Sequence[dict[str, Any]], speed: float
) -> None:
    """Play a real feed (native JSON lines) through the webhook at ``speed`` x real time."""
    url = webhook_url(base_url, "demo")
    async with httpx.AsyncClient(timeout=10) as client:
        for wait, batch in batches(events, speed, 100):
            if wait > 0:
                await asyncio.sleep(wait)
            await post(client, url, secret, batch)
    log.info("feed finished: %d events", len(events))
