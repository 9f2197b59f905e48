"""The wiring: given the concrete parts, connect them into the running ``Services``."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

from domain.ingestion import Ingestion
from domain.ports import Broker, EventLog, RejectedStore, StateCache
from domain.recording import RecordingWorker
from domain.scorekeeper import Scorekeeper
from entrypoints.composition.services import WORKERS, Services
from entrypoints.metrics import (
    MeteredFeedMonitor,
    MeteredRejectedStore,
    Metrics,
    PartitionHeads,
    consumer_lags,
    projector_lag,
)
from entrypoints.recovery_wiring import gap_filler
from entrypoints.settings import Settings
from entrypoints.web.hub import Hub, updates_channel
from entrypoints.web.provider_auth import ProviderAuthenticator
from entrypoints.web.rate_limit import RateLimits
from projections.follower import LogFollower
from projections.game_state import GameStateProjection, GameStateView, StateUpdate

log = logging.getLogger("scoreline.composition")


def wire(
    settings: Settings,
    scorekeeper: Scorekeeper,
    event_log: EventLog,
    rejected: RejectedStore,
    view: GameStateView,
    broker: Broker,
    cache: StateCache,
) -> Services:
    hub = Hub(broker)
    metrics = Metrics()
    rejected = MeteredRejectedStore(rejected, metrics)

    async def publish_once(updates: Sequence[StateUpdate]) -> None:
        latest: dict[str, StateUpdate] = {}
        for u in updates:
            latest[u.game_id] = u
        for u in latest.values():
            await cache.put(u.game_id, u.state, final=u.state["status"] == "FINAL")
        for u in updates:
            message = {
                "game_id": u.game_id,
                "version": u.version,
                "event": u.event,
                "state": u.state,
            }
            await broker.publish(updates_channel(u.game_id), json.dumps(message).encode())

    async def publish(updates: Sequence[StateUpdate]) -> None:
        """Cache and publish committed updates; while Redis is away, wait and retry
        (the read model is already committed; fans back-fill what pub/sub loses)."""
        delay = 0.1
        while True:
            try:
                await publish_once(updates)
                break
            except Exception as error:  # the cache or broker is unreachable
                log.warning("cannot publish %d updates, retrying: %s", len(updates), error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        metrics.published(updates)

    projection = GameStateProjection(view, upstream=scorekeeper.name)
    follower = LogFollower(scorekeeper, projection, publish)

    monitor = MeteredFeedMonitor(metrics)
    ingestion = Ingestion(scorekeeper, event_log, monitor)
    recorder = RecordingWorker(
        scorekeeper,
        event_log,
        rejected,
        gap_timeout=settings.gap_timeout,
        on_gap=gap_filler(settings, monitor, ingestion),
        monitor=monitor,
    )
    workers = WORKERS[settings.role]
    if "projector" in workers:
        metrics.on_scrape(lambda: metrics.set_projector_lag(projector_lag(scorekeeper, follower)))
    if "recorder" in workers and isinstance(event_log, PartitionHeads):
        heads = event_log
        metrics.on_scrape(lambda: metrics.set_consumer_lag(consumer_lags(recorder, heads)))
    metrics.on_scrape(lambda: metrics.set_sse_connections(hub.subscriber_count()))
    services = Services(
        settings=settings,
        scorekeeper=scorekeeper,
        event_log=event_log,
        rejected=rejected,
        view=view,
        broker=broker,
        cache=cache,
        hub=hub,
        authenticator=ProviderAuthenticator(
            settings.provider_secrets, tolerance=settings.signature_tolerance
        ),
        ingestion=ingestion,
        monitor=monitor,
        rate_limits=RateLimits(settings.provider_rate, settings.provider_burst),
        recorder=recorder,
        follower=follower,
        metrics=metrics,
    )
    recorder.on_recorded = services.wake_projectors
    return services
