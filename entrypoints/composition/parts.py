"""The parts: PostgreSQL, Kafka and Redis where the settings name them, embedded otherwise."""

from __future__ import annotations

from pathlib import Path

from eventsourcing.sqlite import SQLiteDatastore

from adapters.event_log import MemoryEventLog, SQLiteEventLog
from adapters.game_state_view import MemoryGameStateView, SQLiteGameStateView
from adapters.memory_broker import MemoryBroker
from adapters.memory_state_cache import MemoryStateCache
from adapters.partitioned_recorders import process_recorder_env
from adapters.rejected_store import MemoryRejectedStore, SQLiteRejectedStore
from adapters.sqlite_checkpoints import WalCheckpoints, tune_datastore
from adapters.sqlite_connection import read_model_datastore
from domain.notification_ports import DeviceRegistry
from domain.ports import Broker, EventLog, RejectedStore, StateCache
from domain.scorekeeper import Scorekeeper
from entrypoints.composition.notifications import build_notifications
from entrypoints.composition.pacing import EMBEDDED_BATCH, EMBEDDED_BREATHER, OFF_PATH_LINGER
from entrypoints.composition.services import DEVICE_ROLES, Services
from entrypoints.composition.wiring import scorekeeper_env, wire
from entrypoints.settings import Settings
from projections.board_fold import FoldedGroup
from projections.follower import LogFollower
from projections.game_state import GameStateView
from projections.player_stats import PlayerStatsProjection, PlayerStatsStore
from projections.standings import StandingsProjection, StandingsStore
from projections.writer_boards import WriterBoards


def build(settings: Settings) -> Services:
    """Every part from the settings: production services where set, embedded otherwise."""
    data_dir = settings.data_dir
    embedded_files = not (settings.database_url and settings.kafka_bootstrap)
    if embedded_files:
        data_dir.mkdir(parents=True, exist_ok=True)
    writer_lock = None
    # The embedded files' checkpoints, off their commits (started once they are added).
    checkpoints = WalCheckpoints() if embedded_files else None
    if settings.database_url:
        from adapters.postgres_advisory_lock import AdvisoryLock
        from adapters.postgres_game_state_view import PostgresGameStateView
        from adapters.postgres_rejected_store import PostgresRejectedStore
        from adapters.postgres_schema import postgres_datastore, postgres_env

        # Tables are `scoreline db upgrade`'s to create: a fleet starting at once must
        # not race each other's DDL.
        scorekeeper = Scorekeeper(
            env=postgres_env(settings.database_url, create_table=False) | scorekeeper_env(settings)
        )
        rejected: RejectedStore = PostgresRejectedStore(settings.database_url, create=False)
        # The projector writes under this lock: it need not read its own boards back,
        # nor check a connection before each save (its follower retries a failed batch).
        writer_lock = AdvisoryLock(settings.database_url, "scoreline:game_state")
        projects = settings.projects("game_state")
        # The read models' commits wait for no disk flush, as embedded (``durable_commits``).
        stored_view = PostgresGameStateView(
            postgres_datastore(settings.database_url, pre_ping=not projects, durable_commits=False)
        )
        view: GameStateView = WriterBoards(stored_view) if projects else stored_view
        from adapters.postgres_standings import PostgresStandingsStore

        standings: StandingsStore = PostgresStandingsStore(
            postgres_datastore(settings.database_url, durable_commits=False)
        )
        from adapters.postgres_player_stats import PostgresPlayerStatsStore

        player_stats: PlayerStatsStore = PostgresPlayerStatsStore(
            postgres_datastore(settings.database_url, durable_commits=False)
        )
    else:
        scorekeeper = Scorekeeper(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(data_dir / "events.sqlite"),
                **process_recorder_env("eventsourcing.sqlite"),
                **scorekeeper_env(settings),
            }
        )
        _store_checkpointed(scorekeeper, checkpoints)
        rejected = SQLiteRejectedStore(data_dir / "rejected.sqlite")
        view, standings, player_stats = _sqlite_read_models(data_dir, checkpoints)
    event_log: EventLog
    if settings.kafka_bootstrap:
        from adapters.kafka_event_log import KafkaEventLog

        event_log = KafkaEventLog(
            settings.kafka_bootstrap,
            topic=settings.kafka_topic,
            partitions=settings.kafka_partitions,
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
            fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        )
    else:
        event_log = SQLiteEventLog(data_dir / "ingest.sqlite", checkpoints=checkpoints)
    broker: Broker
    cache: StateCache
    if settings.redis_url:
        from adapters.redis_broker import RedisBroker
        from adapters.redis_state_cache import RedisStateCache

        broker = RedisBroker(settings.redis_url, prefix=settings.redis_prefix)
        cache = RedisStateCache(settings.redis_url, prefix=settings.redis_prefix)
    else:
        broker, cache = MemoryBroker(), MemoryStateCache()
    services = wire(settings, scorekeeper, event_log, rejected, view, broker, cache)
    services.writer_lock = writer_lock
    if checkpoints is not None:
        services.checkpoints = checkpoints.start()
    if settings.role in DEVICE_ROLES:
        services.devices = _device_registry(settings)
        services.notifications = build_notifications(settings, scorekeeper, services.devices)
        _add_push_metrics(services)
    _add_standings(services, standings)
    _add_player_stats(services, player_stats)
    _add_near_cache(services)
    if settings.database_url and settings.projects("history"):
        from adapters.postgres_advisory_lock import AdvisoryLock
        from adapters.postgres_history import PostgresHistory
        from adapters.postgres_schema import postgres_datastore
        from projections.history import HistoryProjection

        history = HistoryProjection(
            PostgresHistory(postgres_datastore(settings.database_url, durable_commits=False)),
            scorekeeper.name,
        )
        services.read_models.append(
            (
                "history",
                LogFollower(scorekeeper, history, linger=OFF_PATH_LINGER),
                AdvisoryLock(settings.database_url, "scoreline:history"),
            )
        )
    return services


def _store_checkpointed(scorekeeper: Scorekeeper, checkpoints: WalCheckpoints | None) -> None:
    """The embedded event store's file checkpointed by ``checkpoints``, not by the
    recorder's commits (on the fans' path)."""
    datastore = getattr(scorekeeper.factory, "datastore", None)
    if isinstance(datastore, SQLiteDatastore):
        tune_datastore(datastore, [], checkpoints)


def _sqlite_read_models(
    data_dir: Path, checkpoints: WalCheckpoints | None
) -> tuple[GameStateView, StandingsStore, PlayerStatsStore]:
    """The embedded read models, each in its file at ``synchronous=NORMAL``: they are
    rebuilt from the event store, their positions saved with their writes (see
    ``read_model_datastore``), so none waits for the disk on every batch; their files
    are checkpointed by ``checkpoints``, never by a follower's commit."""
    from adapters.player_stats_store import SQLitePlayerStatsStore
    from adapters.standings_store import SQLiteStandingsStore

    view = SQLiteGameStateView(read_model_datastore(str(data_dir / "views.sqlite"), checkpoints))
    view.create_table()
    standings = SQLiteStandingsStore(
        read_model_datastore(str(data_dir / "standings.sqlite"), checkpoints)
    )
    standings.create_table()
    player_stats = SQLitePlayerStatsStore(
        read_model_datastore(str(data_dir / "player_stats.sqlite"), checkpoints)
    )
    player_stats.create_table()
    return view, standings, player_stats


def _device_registry(settings: Settings) -> DeviceRegistry:
    if settings.database_url:
        from adapters.postgres_device_registry import PostgresDeviceRegistry
        from adapters.postgres_schema import postgres_datastore

        return PostgresDeviceRegistry(postgres_datastore(settings.database_url))
    from adapters.device_registry import open_sqlite_device_registry

    return open_sqlite_device_registry(str(settings.data_dir / "devices.sqlite"))


def _add_push_metrics(services: Services) -> None:
    if services.notifications is not None:
        from entrypoints.push_metrics import PushCollector

        services.metrics.registry.register(
            PushCollector(services.notifications, services.scorekeeper)
        )


def build_embedded(settings: Settings) -> Services:
    return build(settings)


def _add_standings(services: Services, standings: StandingsStore) -> None:
    """The standings read model: served by every role (projected: :func:`_follow_boards`)."""
    services.standings = standings


def _add_player_stats(services: Services, store: PlayerStatsStore) -> None:
    """Player stats and the leaderboards over them (and the standings) through the PER
    cache: served by every role, projected by the projector role."""
    from adapters.early_expiration_cache import EarlyExpirationCache
    from entrypoints.web.leaderboards import TTL_SECONDS, Answer, Leaderboards

    services.player_stats = store
    assert services.standings is not None, "add the standings first"
    cache = EarlyExpirationCache[Answer](TTL_SECONDS)
    services.leaderboards = Leaderboards(store, services.standings, cache)
    _follow_boards(services)


def _follow_boards(services: Services) -> None:
    """The projector role's follower of the standings and the player stats: one for
    both, one thread and one fold of each batch (they fold the same boards): half the
    boards read, folded and turned into records. With PostgreSQL under one writer lock
    (projectors may be several); embedded, in a process that also serves the fans, in
    short batches with rests between them."""
    settings, scorekeeper = services.settings, services.scorekeeper
    if not settings.projects("standings"):  # (and player_stats: both or neither)
        return
    assert services.standings is not None and services.player_stats is not None
    standings = StandingsProjection(services.standings, scorekeeper.name)
    player_stats = PlayerStatsProjection(services.player_stats, scorekeeper.name)
    group = FoldedGroup("standings+player_stats", [standings, player_stats])
    if not settings.database_url:
        follower = LogFollower(
            scorekeeper,
            group,
            batch_size=EMBEDDED_BATCH,
            linger=OFF_PATH_LINGER,
            breather=EMBEDDED_BREATHER,
        )
        services.read_models.append((group.name, follower, None))
        return
    from adapters.postgres_advisory_lock import AdvisoryLock

    lock = AdvisoryLock(settings.database_url, f"scoreline:{group.name}")
    follower = LogFollower(scorekeeper, group, linger=OFF_PATH_LINGER)
    services.read_models.append((group.name, follower, lock))


def _add_near_cache(services: Services) -> None:
    """The gateway's polled states: fed by the hub, cold games read from the state cache
    (the store's view when it has no copy)."""
    import asyncio

    from entrypoints.web.games import replay_after
    from entrypoints.web.hub import Replay
    from entrypoints.web.near_cache import NearCache
    from entrypoints.web.state_fallback import fallback_reader

    scorekeeper = services.scorekeeper

    def replay_for(game_id: str) -> Replay:
        async def replay(after: int) -> list[tuple[int, bytes]]:
            rows = await asyncio.to_thread(replay_after, scorekeeper, game_id, after)
            return rows

        return replay

    services.near_cache = NearCache(
        services.hub,
        fallback_reader(services.cache, services.view),
        replay_for,
        counters=services.metrics,
    )


def build_in_memory(settings: Settings) -> Services:
    from adapters.delivery_ledger import MemoryDeliveryLedger
    from adapters.device_registry import MemoryDeviceRegistry
    from adapters.memory_player_stats import MemoryPlayerStatsStore
    from adapters.notifier_store import MemoryNotifierStore
    from adapters.standings_store import MemoryStandingsStore

    scorekeeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    services = wire(
        settings,
        scorekeeper,
        MemoryEventLog(),
        MemoryRejectedStore(),
        MemoryGameStateView(),
        MemoryBroker(),
        MemoryStateCache(),
    )
    services.devices = MemoryDeviceRegistry()
    services.notifications = build_notifications(
        settings,
        scorekeeper,
        services.devices,
        store=MemoryNotifierStore(),
        queue=MemoryEventLog(),
        ledger=MemoryDeliveryLedger(),
    )
    _add_standings(services, MemoryStandingsStore())
    _add_player_stats(services, MemoryPlayerStatsStore())
    _add_near_cache(services)
    return services
