"""Where the provider-to-fan time goes, per event, from what the service already exposes.

- ``ack``: POST -> 202 (ingestion: HTTP, the pre-check, the durable append to the log);
- ``to_recorded``: POST -> the recorder's decision (the stored event's timestamp, as
  ``GET /games/{id}/events`` gives it in ``recorded_at``): ingestion plus the log's
  delivery to the recorder;
- ``recorded_to_fan``: that decision -> the fan's receipt: commit, the projector
  (woken by NOTIFY or its poll), the read models, Redis pub/sub, the gateway, SSE.

Wall-clock ``recorded_at`` is put on the benchmark's monotonic clock by one offset
taken at the start (both clocks are system-wide on Linux, so every process agrees).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from bench.report import percentile

Receipts = Mapping[str, Sequence[float]]


async def recorded_at(gateway: str, game_ids: Sequence[str]) -> dict[str, float]:
    """event_id -> unix time of its recording, for every event of the games."""
    found: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        for game_id in game_ids:
            after = 0
            while True:
                r = await http.get(
                    f"{gateway}/games/{game_id}/events",
                    params={"after_version": after, "limit": 1000},
                )
                body = r.json()
                for item in body["events"]:
                    when = datetime.fromisoformat(item["recorded_at"]).timestamp()
                    found[item["event"]["event_id"]] = when
                if body.get("next_after_version") is None:
                    break
                after = body["next_after_version"]
    return found


def _ms(values: Sequence[float]) -> dict[str, float]:
    ms = [1000 * v for v in values]
    return {"p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99)}


def stages(
    gateway: str,
    game_ids: Sequence[str],
    sent: Mapping[str, float],
    answered: Mapping[str, float],
    receipts: Receipts,
    wall_offset: float,  # time.time() - time.monotonic()
) -> dict[str, Any]:
    recorded = {k: v - wall_offset for k, v in asyncio.run(recorded_at(gateway, game_ids)).items()}
    first_receipt = {k: min(v) for k, v in receipts.items() if v}
    ids = [k for k in sent if k in recorded and k in first_receipt]
    return {
        "ack": _ms([answered[k] - sent[k] for k in sent if k in answered]),
        "to_recorded": _ms([recorded[k] - sent[k] for k in ids]),
        "recorded_to_fan": _ms([first_receipt[k] - recorded[k] for k in ids]),
    }
