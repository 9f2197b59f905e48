"""The composition root: the one place that picks concrete adapters and wires them.

``build_embedded`` gives the whole service in one process on a data directory:
SQLite event store, SQLite log between ingestion and recording, in-process broker.
``build_in_memory`` is the same wiring with memory twins, for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.event_log import MemoryEventLog, SQLiteEventLog
from adapters.game_state_view import MemoryGameStateView, open_sqlite_game_state_view
from adapters.memory_broker import MemoryBroker
from adapters.native_format import NativeFormatError, parse
from adapters.recovery_client import RecoveryClient
from adapters.rejected_store import MemoryRejectedStore, SQLiteRejectedStore
from domain.events import Verdict
from domain.feed_monitor import FeedMonitor
from domain.ingestion import DeliveryRefused, Ingestion
from domain.ports import Broker, EventLog, RejectedStore
from domain.recording import RecordingWorker
from domain.scorekeeper import Scorekeeper
from entrypoints.settings import Settings
from entrypoints.web.hub import Hub, updates_channel
from entrypoints.web.provider_auth import ProviderAuthenticator
from entrypoints.web.rate_limit import RateLimits
from projections.follower import LogFollower
from projections.game_state import GameStateProjection, GameStateView, StateUpdate

log = logging.getLogger("scoreline.composition")


@dataclass
class Services:
    settings: Settings
    scorekeeper: Scorekeeper
    event_log: EventLog
    rejected: RejectedStore
    view: GameStateView
    broker: Broker
    hub: Hub
    authenticator: ProviderAuthenticator
    ingestion: Ingestion
    monitor: FeedMonitor
    rate_limits: RateLimits
    recorder: RecordingWorker
    follower: LogFollower
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Catch the read model up, then run the recorder and projector."""
        await self.follower.catch_up()
        self.tasks = [
            asyncio.create_task(self.recorder.run(), name="recorder"),
            asyncio.create_task(self.follower.run(), name="projector"),
        ]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks = []
        await self.hub.close()
        await self.broker.close()

    def close(self) -> None:
        self.event_log.close()
        self.rejected.close()
        self.scorekeeper.close()


def _wire(
    settings: Settings,
    scorekeeper: Scorekeeper,
    event_log: EventLog,
    rejected: RejectedStore,
    view: GameStateView,
) -> Services:
    broker = MemoryBroker()
    hub = Hub(broker)

    async def publish(updates: Sequence[StateUpdate]) -> None:
        for u in updates:
            message = {
                "game_id": u.game_id,
                "version": u.version,
                "event": u.event,
                "state": u.state,
            }
            await broker.publish(updates_channel(u.game_id), json.dumps(message).encode())

    projection = GameStateProjection(view, upstream=scorekeeper.name)
    follower = LogFollower(scorekeeper, projection, publish)

    async def recorded(verdicts: Sequence[Verdict]) -> None:
        follower.poke()

    monitor = FeedMonitor()
    ingestion = Ingestion(scorekeeper, event_log, monitor)
    recoveries = {
        name: RecoveryClient(name, url, settings.provider_secrets.get(name, ""))
        for name, url in settings.provider_recovery.items()
    }
    background: set[asyncio.Task[None]] = set()

    async def recover(game_id: str, first: int, last: int) -> None:
        for feed in monitor.feeds():
            client = recoveries.get(feed.provider)
            if client is not None and feed.game_id == game_id:
                task = asyncio.create_task(_backfill(client, ingestion, game_id, first, last))
                background.add(task)
                task.add_done_callback(background.discard)

    recorder = RecordingWorker(
        scorekeeper,
        event_log,
        rejected,
        gap_timeout=settings.gap_timeout,
        on_recorded=recorded,
        on_gap=recover if recoveries else None,
        monitor=monitor,
    )
    return Services(
        settings=settings,
        scorekeeper=scorekeeper,
        event_log=event_log,
        rejected=rejected,
        view=view,
        broker=broker,
        hub=hub,
        authenticator=ProviderAuthenticator(
            settings.provider_secrets, tolerance=settings.signature_tolerance
        ),
        ingestion=ingestion,
        monitor=monitor,
        rate_limits=RateLimits(settings.provider_rate, settings.provider_burst),
        recorder=recorder,
        follower=follower,
    )


async def _backfill(
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


def build_embedded(settings: Settings) -> Services:
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    scorekeeper = Scorekeeper(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(data_dir / "events.sqlite"),
        }
    )
    return _wire(
        settings,
        scorekeeper,
        SQLiteEventLog(data_dir / "ingest.sqlite"),
        SQLiteRejectedStore(data_dir / "rejected.sqlite"),
        open_sqlite_game_state_view(str(data_dir / "views.sqlite")),
    )


def build_in_memory(settings: Settings) -> Services:
    scorekeeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return _wire(
        settings, scorekeeper, MemoryEventLog(), MemoryRejectedStore(), MemoryGameStateView()
    )
