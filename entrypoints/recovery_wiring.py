"""Filling sequence gaps from providers' recovery endpoints, wired for the RecordingWorker."""

from __future__ import annotations

import asyncio
import logging

from adapters.native_format import NativeFormatError, parse
from adapters.recovery_client import RecoveryClient
from domain.feed_monitor import FeedMonitor
from domain.ingestion import DeliveryRefused, Ingestion
from domain.recording import GapCallback
from entrypoints.settings import Settings

log = logging.getLogger("scoreline.recovery")


def gap_filler(
    settings: Settings, monitor: FeedMonitor, ingestion: Ingestion
) -> GapCallback | None:
    """The RecordingWorker's ``on_gap``: ask each provider feeding the game (None: no
    provider has a recovery endpoint). Runs in the background; never blocks recording."""
    clients = {
        name: RecoveryClient(name, url, settings.provider_secrets.get(name, ""))
        for name, url in settings.provider_recovery.items()
    }
    if not clients:
        return None
    background: set[asyncio.Task[None]] = set()

    async def on_gap(game_id: str, first: int, last: int) -> None:
        for feed in monitor.feeds():
            client = clients.get(feed.provider)
            if client is not None and feed.game_id == game_id:
                task = asyncio.create_task(backfill(client, ingestion, game_id, first, last))
                background.add(task)
                task.add_done_callback(background.discard)

    return on_gap


async def backfill(
    client: RecoveryClient, ingestion: Ingestion, game_id: str, first: int, last: int
) -> None:
    """Fetch a gap's events from the provider and take them in like any delivery."""
    body = await client.fetch(game_id, first, last)
    if body is None:
        return
    try:
        events = parse(body, provider=client.provider)
        await ingestion.accept([e for e in events if e.game_id == game_id])
    except (NativeFormatError, DeliveryRefused) as error:
        log.warning("recovered events for %s refused: %s", game_id, error)
