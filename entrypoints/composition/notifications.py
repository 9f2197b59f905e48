"""The push-notification parts: the notifier (a follower of the event store with its
own position), its release into the fan-out queue, and the notification workers.

Nothing here is on the score path: the notifier reads the store a moment after the
projectors do, in its own tasks and threads, and writes only its own tables and the
fan-out queue. With it stopped or slow, scores, SSE and polling are unaffected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.notification_ports import DeliveryLedger, DeviceRegistry, PushSender
from domain.ports import EventLog
from entrypoints.composition.pacing import EMBEDDED_BATCH, EMBEDDED_BREATHER, NOTIFIER_LINGER
from entrypoints.push_settings import PushSettings
from entrypoints.settings import Settings, SettingsError
from projections.follower import BATCH_SIZE, LogFollower
from projections.notification_release import NotificationRelease
from projections.notifier import NotifierProjection, NotifierStore

log = logging.getLogger("scoreline.notifications")

NOTIFIER_ROLES = ("all", "notifier")
WORKER_ROLES = ("all", "notification-worker")
WORKER_GROUP = "scoreline-notification-workers"
FANOUT_FETCH_MAX_WAIT_MS = 200


@dataclass
class Notifications:
    """What a process runs of the push pipeline (by its role)."""

    queue: EventLog
    notifier: LogFollower | None = None
    release: NotificationRelease | None = None
    notifier_lock: Any = None  # an AdvisoryLock in a fleet: one notifier writes
    worker: Any = None  # domain.notification_worker.NotificationWorker
    ledger: DeliveryLedger | None = None
    senders: dict[str, PushSender] = field(default_factory=dict)
    closables: list[Callable[[], None]] = field(default_factory=list)

    def followers(self) -> list[LogFollower]:
        return [self.notifier] if self.notifier is not None else []

    def tasks(self) -> list[asyncio.Task[None]]:
        """Start what this process runs: the notifier and its release, the worker."""
        tasks = []
        if self.notifier is not None and self.release is not None:
            tasks.append(asyncio.create_task(self._notify(), name="notifier"))
            tasks.append(asyncio.create_task(self.release.run(), name="notifier:release"))
        if self.worker is not None:
            tasks.append(asyncio.create_task(self.worker.run(), name="notification-worker"))
        return tasks

    async def _notify(self) -> None:
        assert self.notifier is not None
        if self.notifier_lock is not None:
            await self.notifier_lock.acquire()
        await asyncio.to_thread(self.notifier.resume_from_store)
        await self.notifier.run()

    async def stopped(self) -> None:
        """After the tasks are stopped: let the notifier's lock go, close the senders
        (their HTTP/2 clients must be dropped on the loop that used them)."""
        if self.notifier_lock is not None:
            self.notifier_lock.release()
        for sender in self.senders.values():
            await sender.close()

    def close(self) -> None:
        for close in reversed(self.closables):
            close()
        self.queue.close()


def fanout_queue(settings: Settings, *, consumer_group: str = WORKER_GROUP) -> EventLog:
    """The fan-out queue: a Kafka topic partitioned by token shard in production, a
    SQLite log in the data directory otherwise."""
    push = settings.push
    if settings.kafka_bootstrap:
        from adapters.kafka_event_log import KafkaEventLog

        return KafkaEventLog(
            settings.kafka_bootstrap,
            topic=push.topic,
            group_id=consumer_group,
            partitions=push.partitions,
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
            # Not the recorder's 10 ms: a fan-out record waits for hundreds of sends, so
            # a fetch held up to 200 ms costs nothing, and idle workers stop polling
            # ~100 times a second (measured: 0.26 cores for two idle workers at 10 ms).
            fetch_max_wait_ms=FANOUT_FETCH_MAX_WAIT_MS,
        )
    from adapters.event_log import SQLiteEventLog

    return SQLiteEventLog(settings.data_dir / "fanout.sqlite", name="fanout")


def notifier_store(settings: Settings) -> NotifierStore:
    if settings.database_url:
        from adapters.postgres_notifier_store import PostgresNotifierStore
        from adapters.postgres_schema import postgres_datastore

        return PostgresNotifierStore(postgres_datastore(settings.database_url))
    from adapters.notifier_store import open_sqlite_notifier_store

    return open_sqlite_notifier_store(str(settings.data_dir / "notifier.sqlite"))


def delivery_ledger(settings: Settings, queue: EventLog) -> DeliveryLedger:
    """The workers' ledger, its positions those of ``queue`` (named by its topic)."""
    if settings.database_url:
        from adapters.postgres_delivery_ledger import PostgresDeliveryLedger
        from adapters.postgres_schema import postgres_datastore

        datastore = postgres_datastore(settings.database_url)
        return PostgresDeliveryLedger(datastore, queue=queue.name)
    from adapters.delivery_ledger import SQLiteDeliveryLedger

    path = settings.data_dir / "notification_deliveries.sqlite"
    return SQLiteDeliveryLedger(path, queue=queue.name)


def build_notifications(
    settings: Settings,
    scorekeeper: Any,
    devices: DeviceRegistry,
    *,
    store: NotifierStore | None = None,
    queue: EventLog | None = None,
    ledger: DeliveryLedger | None = None,
) -> Notifications | None:
    """The parts of the push pipeline the settings' role runs (None: it runs none)."""
    role = settings.role
    if role not in NOTIFIER_ROLES and role not in WORKER_ROLES:
        return None
    parts = Notifications(queue=queue if queue is not None else fanout_queue(settings))
    push = settings.push
    if role in NOTIFIER_ROLES:
        store = store if store is not None else notifier_store(settings)
        datastore = getattr(store, "datastore", None)  # the stores' SQLite/PostgreSQL handle
        if datastore is not None:
            parts.closables.append(datastore.close)
        projection = NotifierProjection(
            store, scorekeeper.name, hold_seconds=push.hold_seconds, max_age=push.max_age
        )
        release = NotificationRelease(
            store, devices, parts.queue, shards=push.shards, batch_size=push.batch_size
        )

        async def wake_release(_: Sequence[object]) -> None:
            release.poke()

        # Not on the score path (notifications are held seconds anyway): batches of
        # what was recorded over a second, not one per recorded batch.
        parts.notifier = LogFollower(
            scorekeeper,
            projection,
            wake_release,
            batch_size=BATCH_SIZE if settings.database_url else EMBEDDED_BATCH,
            linger=NOTIFIER_LINGER,
            # (in a fleet the notifier has a process of its own: no fans to make room for)
            breather=0.0 if settings.database_url else EMBEDDED_BREATHER,
        )
        parts.release = release
        if settings.database_url:
            from adapters.postgres_advisory_lock import AdvisoryLock

            parts.notifier_lock = AdvisoryLock(settings.database_url, "scoreline:notifier")
    if role in WORKER_ROLES:
        parts.ledger = ledger if ledger is not None else delivery_ledger(settings, parts.queue)
        parts.closables.append(parts.ledger.close)
        parts.senders = push_senders(push)
        if not parts.senders:
            log.warning(
                "push notifications: no APNs or FCM credentials configured; notifications"
                " are decided and queued, and dropped by the workers unsent"
            )
        parts.worker = _worker(parts, devices, push)
    return parts


def push_senders(push: PushSettings) -> dict[str, PushSender]:
    """A sender per push service the settings hold credentials for (SettingsError
    naming the setting when a key cannot be used)."""
    senders: dict[str, PushSender] = {}
    if push.apns_key_file is not None:
        from adapters.push.apns import ApnsSender

        try:
            senders["apns"] = ApnsSender(
                push.apns_url,
                key_pem=push.apns_key_file.read_bytes(),
                key_id=push.apns_key_id,
                team_id=push.apns_team_id,
                topic=push.apns_topic,
                ca_file=push.ca_file,
            )
        except (OSError, ValueError, TypeError) as error:
            raise SettingsError(
                f"SCORELINE_APNS_KEY_FILE: not a usable .p8 signing key: {error}"
            ) from None
    if push.fcm_credentials_file is not None:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        from adapters.push.fcm import FcmSender
        from adapters.push.service_account import ServiceAccount

        try:
            account = ServiceAccount.from_file(push.fcm_credentials_file)
            load_pem_private_key(account.private_key.encode(), password=None)
        except (OSError, ValueError, TypeError) as error:
            raise SettingsError(
                f"SCORELINE_FCM_CREDENTIALS_FILE: not a usable service-account key: {error}"
            ) from None
        senders["fcm"] = FcmSender(push.fcm_url, credentials=account, ca_file=push.ca_file)
    return senders


def _worker(parts: Notifications, devices: DeviceRegistry, push: PushSettings) -> Any:
    from domain.notification_worker import NotificationWorker

    assert parts.ledger is not None
    return NotificationWorker(
        parts.queue, parts.ledger, parts.senders, devices, concurrency=push.worker_concurrency
    )
