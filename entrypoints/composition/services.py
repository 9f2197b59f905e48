"""The running service: every wired part, and the workers each role runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.sqlite_checkpoints import WalCheckpoints
from domain.events import Verdict
from domain.feed_monitor import FeedMonitor
from domain.ingestion import Ingestion
from domain.notification_ports import DeviceRegistry
from domain.ports import Broker, EventLog, RejectedStore, StateCache
from domain.recording import RecordingWorker
from domain.scorekeeper import Scorekeeper
from entrypoints.composition.notifications import Notifications
from entrypoints.metrics import Metrics
from entrypoints.settings import WORKERS, Settings
from entrypoints.web.hub import Hub
from entrypoints.web.near_cache import NearCache
from entrypoints.web.provider_auth import ProviderAuthenticator
from entrypoints.web.rate_limit import RateLimits
from projections.follower import LogFollower
from projections.game_state import GameStateView
from projections.player_stats import PlayerStatsStore
from projections.standings import StandingsStore

log = logging.getLogger("scoreline.composition")

PUSH_WORKERS = frozenset({"notifier", "notification-worker"})
DEVICE_ROLES = ("all", "gateway", "notifier", "notification-worker")  # use the registry


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
    standings: StandingsStore | None = None  # league tables, GET /standings/{league}/{season}
    player_stats: PlayerStatsStore | None = None  # GET /players/{id}/stats, /teams/{id}
    leaderboards: Any = None  # entrypoints.web.leaderboards.Leaderboards (the PER cache)
    near_cache: NearCache | None = None  # the polled game states, GET /games/{id}/state
    # Further read models (name, follower, writer lock), each run by the projector role.
    read_models: list[tuple[str, LogFollower, Any]] = field(default_factory=list)
    listener: Any = None  # a NotificationListener in a fleet's projector
    devices: DeviceRegistry | None = None  # POST/GET/DELETE /devices (push notifications)
    notifications: Notifications | None = None  # the notifier, its release, the workers
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    checkpoints: WalCheckpoints | None = None  # the embedded SQLite files' WAL checkpoints

    async def start(self, role: str | None = None) -> None:
        """Run the workers of ``role`` (default: the settings' role)."""
        workers = WORKERS[role or self.settings.role]
        if "projector" in workers or "notifier" in workers:
            self._listen_for_commits(workers)
        if self.notifications is not None:
            self.tasks.extend(self.notifications.tasks())
        if "projector" in workers:
            if self.settings.projects("game_state"):
                self.tasks.append(asyncio.create_task(self._project(), name="projector"))
            for name, follower, lock in self.read_models:
                self.tasks.append(
                    asyncio.create_task(_run_read_model(follower, lock), name=f"projector:{name}")
                )
        elif self.settings.redis_url is None and not PUSH_WORKERS.intersection(workers):
            await self.warm_cache()  # (the push roles serve no game states)
        if "recorder" in workers:
            if self._records_alone():
                self.scorekeeper.become_sole_writer()
            self.tasks.append(asyncio.create_task(self.recorder.run(), name="recorder"))

    def _records_alone(self) -> bool:
        """Whether this process is the only writer of its store's games: the embedded
        process (SQLite store, one-partition log) recording. Another process on the
        data directory (``scoreline feed follow``) only appends to the log; two
        recorders of one SQLite log are not supported (one consumer at a time)."""
        return self.settings.database_url is None and self.settings.kafka_bootstrap is None

    def projector_followers(self) -> list[LogFollower]:
        """The followers of the read models this process writes (none for a role that
        does not project: it builds no read model followers)."""
        writes_states = self.settings.projects("game_state")
        return [*([self.follower] if writes_states else []), *(f for _, f, _ in self.read_models)]

    def _followers(self, workers: Sequence[str]) -> list[LogFollower]:
        """The followers of the event store this process runs."""
        followers = []
        if "projector" in workers:
            followers = self.projector_followers()
        if "notifier" in workers and self.notifications is not None:
            followers += self.notifications.followers()
        return followers

    def _listen_for_commits(self, workers: Sequence[str]) -> None:
        """In a fleet the recorder is another process: wake followers on its NOTIFY."""
        channel = getattr(self.scorekeeper.recorder, "channel_name", None)
        if not self.settings.database_url or not channel:
            return
        from adapters.postgres_notifications import NotificationListener

        loop = asyncio.get_running_loop()
        followers = self._followers(workers)

        def wake() -> None:
            for follower in followers:
                loop.call_soon_threadsafe(follower.poke)

        self.listener = NotificationListener(self.settings.database_url, channel, wake).start()

    async def _project(self) -> None:
        if self.writer_lock is not None:
            await self.writer_lock.acquire()
        await asyncio.to_thread(self.follower.resume_from_store)
        await self.follower.catch_up()
        await self.warm_cache()
        await self.follower.run()

    async def warm_cache(self) -> None:
        """Put every game's state from the read model into the cache (after a restart)."""
        for state in await asyncio.to_thread(self.view.states):
            await self.cache.put(state["game_id"], state, final=state["status"] == "FINAL")

    async def wake_projectors(self, verdicts: Sequence[Verdict]) -> None:
        """The recorder's ``on_recorded``: every read model of this process has news
        (the game states' follower, when the recorder folded them on its thread,
        ``RecordingWorker.after_commit``, has only to publish them). A batch of
        duplicates and refusals appended nothing: no follower is woken for it."""
        if not any(v.outcome == "recorded" for v in verdicts):
            return
        if self.recorder.after_commit is None:
            self.follower.poke()
        else:
            self.follower.wake_to_publish()
        for _, follower, _ in self.read_models:
            follower.poke()
        if self.notifications is not None:
            for follower in self.notifications.followers():
                follower.poke()

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
        if self.notifications is not None:
            await self.notifications.stopped()
        if self.near_cache is not None:
            await self.near_cache.close()
        await self.hub.close()
        await self.broker.close()
        await self.cache.close()
        if self.leaderboards is not None:
            await self.leaderboards.close()

    def close(self) -> None:
        if self.notifications is not None:
            self.notifications.close()
        if self.devices is not None:
            self.devices.close()
        self.event_log.close()
        self.rejected.close()
        self.scorekeeper.close()
        if self.checkpoints is not None:
            self.checkpoints.close()


async def _run_read_model(follower: LogFollower, lock: Any) -> None:
    if lock is not None:
        await lock.acquire()
    await asyncio.to_thread(follower.resume_from_store)
    await follower.run()
