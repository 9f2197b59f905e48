"""The composition root: the one place that picks concrete adapters and wires them.

``build`` picks each part from the settings: PostgreSQL, Kafka and Redis where they
are configured, the embedded part (SQLite files in the data directory, in-process
log and broker) where not. ``build_in_memory`` is the same wiring on memory twins,
for tests. ``Services.start(role)`` runs the workers of a role.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.event_log import MemoryEventLog, SQLiteEventLog
from adapters.game_state_view import MemoryGameStateView, open_sqlite_game_state_view
from adapters.memory_broker import MemoryBroker
from adapters.memory_state_cache import MemoryStateCache
from adapters.rejected_store import MemoryRejectedStore, SQLiteRejectedStore
from domain.events import Verdict
from domain.feed_monitor import FeedMonitor
from domain.ingestion import Ingestion
from domain.ports import Broker, EventLog, RejectedStore, StateCache
from domain.recording import RecordingWorker
from domain.scorekeeper import Scorekeeper
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

WORKERS = {
    "all": ("recorder", "projector"),
    "ingest": (),
    "recorder": ("recorder",),
    "projector": ("projector",),
    "gateway": (),
}


@dataclass
class Services:
    settings: Settings
    scorekeeper: Scorekeeper
    event_log: EventLog
    rejected: RejectedStore
    view: GameStateView
    broker: Broker
    cache: StateCache
    hub: Hub
    authenticator: ProviderAuthenticator
    ingestion: Ingestion
    monitor: FeedMonitor
    rate_limits: RateLimits
    recorder: RecordingWorker
    follower: LogFollower
    metrics: Metrics
    writer_lock: Any = None  # an AdvisoryLock when the read models live in PostgreSQL
    # Further read models (name, follower, writer lock), each run by the projector role.
    read_models: list[tuple[str, LogFollower, Any]] = field(default_factory=list)
    listener: Any = None  # a NotificationListener in a fleet's projector
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self, role: str | None = None) -> None:
        """Run the workers of ``role`` (default: the settings' role)."""
        workers = WORKERS[role or self.settings.role]
        if "projector" in workers:
            self._listen_for_commits()
            self.tasks.append(asyncio.create_task(self._project(), name="projector"))
            for name, follower, lock in self.read_models:
                self.tasks.append(
                    asyncio.create_task(_run_read_model(follower, lock), name=f"projector:{name}")
                )
        elif self.settings.redis_url is None:
            await self.warm_cache()
        if "recorder" in workers:
            self.tasks.append(asyncio.create_task(self.recorder.run(), name="recorder"))

    def _listen_for_commits(self) -> None:
        """In a fleet the recorder is another process: wake followers on its NOTIFY."""
        channel = getattr(self.scorekeeper.recorder, "channel_name", None)
        if not self.settings.database_url or not channel:
            return
        from adapters.postgres_notifications import NotificationListener

        loop = asyncio.get_running_loop()
        followers = [self.follower, *(f for _, f, _ in self.read_models)]

        def wake() -> None:
            for follower in followers:
                loop.call_soon_threadsafe(follower.poke)

        self.listener = NotificationListener(self.settings.database_url, channel, wake).start()

    async def _project(self) -> None:
        if self.writer_lock is not None:
            await self.writer_lock.acquire()
        await self.follower.catch_up()
        await self.warm_cache()
        await self.follower.run()

    async def warm_cache(self) -> None:
        """Put every game's state from the read model into the cache (after a restart)."""
        for state in await asyncio.to_thread(self.view.states):
            await self.cache.put(state["game_id"], state, final=state["status"] == "FINAL")

    async def state(self, game_id: str) -> dict[str, Any] | None:
        """A game's state: the cache, or on a miss (a cold game) the read model."""
        try:
            found = await self.cache.get(game_id)
        except Exception as error:  # the cache is away: the read model still answers
            log.warning("state cache unavailable: %s", error)
            found = None
        if found is None:
            self.metrics.cache_miss()
            found = await asyncio.to_thread(self.view.state, game_id)
        else:
            self.metrics.cache_hit()
        return found

    async def all_states(self) -> list[dict[str, Any]]:
        """Every game's state: the cache, or the read model while the cache is away."""
        try:
            return await self.cache.all_states()
        except Exception as error:
            log.warning("state cache unavailable: %s", error)
            return await asyncio.to_thread(self.view.states)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks = []
        if self.listener is not None:
            self.listener.stop()
        for lock in [self.writer_lock, *(lock for _, _, lock in self.read_models)]:
            if lock is not None:
                lock.release()
        await self.hub.close()
        await self.broker.close()
        await self.cache.close()

    def close(self) -> None:
        self.event_log.close()
        self.rejected.close()
        self.scorekeeper.close()


async def _run_read_model(follower: LogFollower, lock: Any) -> None:
    if lock is not None:
        await lock.acquire()
    await follower.run()


def _wire(
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

    async def recorded(verdicts: Sequence[Verdict]) -> None:
        follower.poke()

    monitor = MeteredFeedMonitor(metrics)
    ingestion = Ingestion(scorekeeper, event_log, monitor)
    recorder = RecordingWorker(
        scorekeeper,
        event_log,
        rejected,
        gap_timeout=settings.gap_timeout,
        on_recorded=recorded,
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
    return Services(
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


def build(settings: Settings) -> Services:
    """Every part from the settings: production services where set, embedded otherwise."""
    data_dir = settings.data_dir
    if not (settings.database_url and settings.kafka_bootstrap):
        data_dir.mkdir(parents=True, exist_ok=True)
    writer_lock = None
    if settings.database_url:
        from adapters.postgres_advisory_lock import AdvisoryLock
        from adapters.postgres_game_state_view import PostgresGameStateView
        from adapters.postgres_rejected_store import PostgresRejectedStore
        from adapters.postgres_schema import postgres_datastore, postgres_env

        # Tables are `scoreline db upgrade`'s to create: a fleet starting at once must
        # not race each other's DDL.
        scorekeeper = Scorekeeper(env=postgres_env(settings.database_url, create_table=False))
        rejected: RejectedStore = PostgresRejectedStore(settings.database_url, create=False)
        view: GameStateView = PostgresGameStateView(postgres_datastore(settings.database_url))
        writer_lock = AdvisoryLock(settings.database_url, "scoreline:game_state")
    else:
        scorekeeper = Scorekeeper(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(data_dir / "events.sqlite"),
            }
        )
        rejected = SQLiteRejectedStore(data_dir / "rejected.sqlite")
        view = open_sqlite_game_state_view(str(data_dir / "views.sqlite"))
    event_log: EventLog
    if settings.kafka_bootstrap:
        from adapters.kafka_event_log import KafkaEventLog

        event_log = KafkaEventLog(
            settings.kafka_bootstrap,
            topic=settings.kafka_topic,
            partitions=settings.kafka_partitions,
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        )
    else:
        event_log = SQLiteEventLog(data_dir / "ingest.sqlite")
    broker: Broker
    cache: StateCache
    if settings.redis_url:
        from adapters.redis_broker import RedisBroker
        from adapters.redis_state_cache import RedisStateCache

        broker = RedisBroker(settings.redis_url, prefix=settings.redis_prefix)
        cache = RedisStateCache(settings.redis_url, prefix=settings.redis_prefix)
    else:
        broker, cache = MemoryBroker(), MemoryStateCache()
    services = _wire(settings, scorekeeper, event_log, rejected, view, broker, cache)
    services.writer_lock = writer_lock
    if settings.database_url and "projector" in WORKERS[settings.role]:
        from adapters.postgres_advisory_lock import AdvisoryLock
        from adapters.postgres_history import PostgresHistory
        from adapters.postgres_schema import postgres_datastore
        from projections.history import HistoryProjection

        history = HistoryProjection(
            PostgresHistory(postgres_datastore(settings.database_url)), scorekeeper.name
        )
        services.read_models.append(
            (
                "history",
                LogFollower(scorekeeper, history),
                AdvisoryLock(settings.database_url, "scoreline:history"),
            )
        )
    return services


def build_embedded(settings: Settings) -> Services:
    return build(settings)


def build_in_memory(settings: Settings) -> Services:
    scorekeeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return _wire(
        settings,
        scorekeeper,
        MemoryEventLog(),
        MemoryRejectedStore(),
        MemoryGameStateView(),
        MemoryBroker(),
        MemoryStateCache(),
    )
