"""The ports the push-notification pipeline needs, with their guarantees.

Each has an in-memory twin and real implementations in adapters/, and one contract
suite in tests/integration that every implementation passes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from domain.devices import Device, Interest
from domain.push import PushNotification, SendResult, Target


class DeviceRegistry(Protocol):
    """The registered devices and what they follow (SQLite embedded, PostgreSQL).

    Guarantees:
    - :meth:`register` is an upsert by token: the new registration replaces the old
      one whole (platform, follows, wants); it returns whether the token was new. A
      pruned token registered again is live again.
    - :meth:`prune` removes dead tokens (idempotent) and remembers when and why, so an
      operator can see it; a pruned token is never returned by :meth:`followers`.
    - :meth:`followers` pages through the live devices that follow any of ``teams`` or
      ``game_id`` and want ``interest`` (``all`` wants everything), each token once, in
      token order after ``after`` (keyset pagination: a page boundary never skips or
      repeats a device that stays registered). An empty page is the end.
    - Every write is durable when it returns.
    """

    def register(self, device: Device) -> bool: ...

    def register_many(self, devices: Sequence[Device]) -> None:
        """Upsert many at once (one transaction): bulk loading and benchmarks."""
        ...

    def get(self, token: str) -> Device | None: ...

    def remove(self, token: str) -> bool:
        """Forget a device (``DELETE /devices/{token}``); whether it was registered."""
        ...

    def prune(self, tokens: Collection[str], reason: str) -> int:
        """Remove dead tokens a push service refused; how many were live."""
        ...

    def followers(
        self,
        teams: Collection[str],
        game_id: str,
        interest: Interest,
        *,
        after: str = "",
        limit: int = 10_000,
    ) -> list[Target]: ...

    def close(self) -> None: ...


class DeliveryLedger(Protocol):
    """The notification workers' dedup record and their fan-out queue positions.

    Guarantees:
    - :meth:`delivered` returns which of ``tokens`` have a delivery recorded for the
      notification: a worker never sends those again, whatever it re-reads.
    - :meth:`record` is idempotent and durable when it returns; given ``position``
      (partition, position of the fan-out queue) it stores that position in the same
      transaction, and a position never moves back.
    - :meth:`positions` answers, for the partitions asked, the last position recorded
      (0: none): the fan-out queue's ``on_assigned``. Positions belong to one queue (the
      ledger is made for it: a topic renamed or a second deployment on the database
      starts from its own positions, never another queue's).
    """

    def delivered(self, notification_id: str, tokens: Collection[str]) -> set[str]: ...

    def record(
        self,
        notification_id: str,
        tokens: Collection[str],
        position: tuple[int, int] | None = None,
    ) -> None: ...

    def positions(self, partitions: Collection[int]) -> dict[int, int]: ...

    def count(self, notification_id: str) -> int:
        """How many deliveries of the notification are recorded (ops and tests)."""
        ...

    def close(self) -> None: ...


class PushSender(Protocol):
    """One push service (APNs, FCM) over its real protocol.

    Guarantees: :meth:`send` makes one attempt and never raises for what the service
    or the network did: it answers a :class:`SendResult` (connection errors and
    timeouts are ``RETRY``). Retrying, backing off and pruning are the caller's. Many
    sends may run at once (HTTP/2 multiplexes them on few connections).
    """

    async def send(self, notification: PushNotification, token: str) -> SendResult: ...

    async def close(self) -> None: ...


Senders = Mapping[str, PushSender]
"""A sender per platform value ("apns", "fcm") that is configured."""
