"""Push notifications: what is sent to a device, and what a push service answered.

A :class:`PushNotification` is decided once per notable event (by the notifier) and
delivered to many devices; its ``id`` is deterministic (game, event, kind), so every
stage downstream can dedupe by ``(id, token)``. A :class:`DeliveryBatch` is one record
of the fan-out queue: a notification and the devices of one token shard.
"""

from __future__ import annotations

import enum
import hashlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.devices import Interest, Platform

MAX_COLLAPSE_ID_BYTES = 64  # APNs refuses a longer apns-collapse-id


class NotificationKind(enum.StrEnum):
    GOAL = "goal"
    FINAL = "final"
    CARD = "card"
    CORRECTION = "correction"  # a goal already sent was retracted or changed


@dataclass(frozen=True)
class PushNotification:
    """One notification about one event of one game, for every device that wants it.

    ``interest`` picks the audience among the followers of ``teams`` and ``game_id``
    (a correction goes to the audience of what it corrects). ``expires_at`` (unix
    seconds) is when it stops being worth delivering (``apns-expiration``, FCM ``ttl``).
    """

    id: str
    game_id: str
    kind: NotificationKind
    interest: Interest
    title: str
    body: str
    collapse_id: str
    teams: tuple[str, ...]
    created_at: float
    expires_at: float
    data: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "game_id": self.game_id,
            "kind": self.kind.value,
            "interest": self.interest.value,
            "title": self.title,
            "body": self.body,
            "collapse_id": self.collapse_id,
            "teams": list(self.teams),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PushNotification:
        return cls(
            id=data["id"],
            game_id=data["game_id"],
            kind=NotificationKind(data["kind"]),
            interest=Interest(data["interest"]),
            title=data["title"],
            body=data["body"],
            collapse_id=data["collapse_id"],
            teams=tuple(data["teams"]),
            created_at=float(data["created_at"]),
            expires_at=float(data["expires_at"]),
            data=dict(data.get("data") or {}),
        )


def collapse_id(game_id: str) -> str:
    """The collapse id every notification of a game shares (a device shows the latest
    score, not a pile): ``game-<id>``, or a digest of the id when that is too long."""
    plain = f"game-{game_id}"
    if len(plain.encode()) <= MAX_COLLAPSE_ID_BYTES:
        return plain
    return "game-" + hashlib.sha256(game_id.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Target:
    token: str
    platform: Platform


def token_shard(token: str, shards: int) -> int:
    """The fan-out queue shard of a device token (stable across processes and runs)."""
    return zlib.crc32(token.encode()) % shards


@dataclass(frozen=True)
class DeliveryBatch:
    """One fan-out queue record: a notification and devices of one token shard."""

    notification: PushNotification
    targets: tuple[Target, ...]

    def encode(self) -> bytes:
        return json.dumps(
            {
                "notification": self.notification.to_dict(),
                "targets": [[t.token, t.platform.value] for t in self.targets],
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def decode(cls, raw: bytes) -> DeliveryBatch:
        data = json.loads(raw)
        return cls(
            PushNotification.from_dict(data["notification"]),
            tuple(Target(token, Platform(platform)) for token, platform in data["targets"]),
        )


def delivery_batches(
    notification: PushNotification, targets: Sequence[Target], shards: int, size: int
) -> list[tuple[int, DeliveryBatch]]:
    """``targets`` grouped by token shard, in batches of at most ``size``: (shard, batch)."""
    by_shard: dict[int, list[Target]] = {}
    for target in targets:
        by_shard.setdefault(token_shard(target.token, shards), []).append(target)
    found = []
    for shard, group in sorted(by_shard.items()):
        for start in range(0, len(group), size):
            found.append((shard, DeliveryBatch(notification, tuple(group[start : start + size]))))
    return found


class SendOutcome(enum.StrEnum):
    ACCEPTED = "accepted"  # the push service took it
    UNREGISTERED = (
        "unregistered"  # the token is dead (APNs 410/BadDeviceToken, FCM UNREGISTERED): prune
    )
    RETRY = "retry"  # 429, 5xx or a connection error: try again (after ``retry_after`` if given)
    REJECTED = "rejected"  # refused for good (payload, topic, credentials): log, don't retry


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    reason: str = ""  # the push service's reason (e.g. "BadDeviceToken", "UNREGISTERED")
    retry_after: float | None = None  # seconds, from Retry-After when the service sent one
    status: int | None = None  # the HTTP status, when there was a response
