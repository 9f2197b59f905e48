"""The wiring: given the concrete parts, connect them into the running ``Services``."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from domain.ingestion import Ingestion
from domain.ports import Broker, EventLog, RejectedStore, StateCache
from domain.recording import RecordingWorker
from domain.scorekeeper import Scorekeeper
from entrypoints.composition.services import Services
from entrypoints.metrics import (
    MeteredFeedMonitor,
    MeteredRejectedStore,
    Metrics,
    PartitionHeads,
    consumer_lags,
    projector_lag,
)
from entrypoints.recovery_wiring import gap_filler
from entrypoints.settings import WORKERS, Settings
from entrypoints.web.hub import Hub, updates_channel
from entrypoints.web.provider_auth import ProviderAuthenticator
from entrypoints.web.rate_limit import RateLimits
from entrypoints.web.update_messages import encode_update
from projections.follower import LogFollower
from projections.game_state import GameStateProjection, GameStateView, StateUpdate

if TYPE_CHECKING:
    from adapters.redis_state_cache import RedisStateCache

log = logging.getLogger("scoreline.composition")


def scorekeeper_env(settings: Settings) -> dict[str, str]:
    """The Scorekeeper's cache settings for the role (merge into its environment).

    A ``recorder`` process is the only writer of the games of the log partitions it
    owns (and forgets its cache on every assignment): it trusts its aggregate cache
    instead of reading each game back from the store before every decision. Every
    other role reads games other processes write, so it fast-forwards them.
    """
    return {"AGGREGATE_CACHE_FASTFORWARD": "n" if settings.role == "recorder" else "y"}


def _pipelined_fan_out(
    settings: Settings, cache: StateCache, broker: Broker
) -> RedisStateCache | None:
    """The cache, when it and the broker are the settings' Redis (as parts.py builds
    them): it then sends a batch's states and messages in one pipeline
    (``put_and_publish``) instead of one round trip each."""
    if settings.redis_url is None or "adapters.redis_state_cache" not in sys.modules:
        return None
    from adapters.redis_broker import RedisBroker
    from adapters.redis_state_cache import RedisStateCache

    if (
        isinstance(cache, RedisStateCache)
        and isinstance(broker, RedisBroker)
        and (cache.url, cache.prefix) == (settings.redis_url, settings.redis_prefix)
    ):
        return cache
    return None


def folds_on_recorder(settings: Settings) -> bool:
    """Whether the recorder folds the game states on its own thread right after each
    commit (``RecordingWorker(after_commit=)``): when this process both records and
    projects, and the read model is not PostgreSQL's (whose one writer is whoever holds
    its advisory lock, taken by the projector's task): the embedded process. Saves the
    fans' path a hand-off to the follower's thread and back."""
    workers = WORKERS[settings.role]
    return settings.database_url is None and "recorder" in workers and "projector" in workers


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
    pipelined = _pipelined_fan_out(settings, cache, broker)
    rejected = MeteredRejectedStore(rejected, metrics)

    def fan_out(updates: Sequence[StateUpdate]) -> tuple[list[StateUpdate], list[bytes]]:
        """The latest state of each game (what the cache keeps), and every message."""
        latest: dict[str, StateUpdate] = {}
        for u in updates:
            latest[u.game_id] = u
        messages = [encode_update(u.game_id, u.version, u.event, u.state) for u in updates]
        return list(latest.values()), messages

    async def publish_once(updates: Sequence[StateUpdate]) -> None:
        """Cache each game's newest state, then publish every update in order: a
        message always follows the SET of its state; per game, in version order."""
        latest, messages = fan_out(updates)
        if pipelined is not None:  # one round trip for the whole batch
            await pipelined.put_and_publish(
                [(u.game_id, u.state, u.state["status"] == "FINAL") for u in latest],
                [(updates_channel(u.game_id), m) for u, m in zip(updates, messages, strict=True)],
            )
            return
        for u in latest:
            await cache.put(u.game_id, u.state, final=u.state["status"] == "FINAL")
        for u, message in zip(updates, messages, strict=True):
            await broker.publish(updates_channel(u.game_id), message)

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
        after_commit=follower.fold_now if folds_on_recorder(settings) else None,
    )
    workers = WORKERS[settings.role]
    if "recorder" in workers and isinstance(event_log, PartitionHeads):
        heads = event_log
        metrics.on_scrape(lambda: metrics.set_consumer_lag(consumer_lags(recorder, heads)))
    metrics.on_scrape(lambda: metrics.set_sse_connections(hub.stream_count()))
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
    if "projector" in workers:
        metrics.on_scrape(
            lambda: metrics.set_projector_lag(
                projector_lag(scorekeeper, services.projector_followers())
            )
        )
    return services
