"""The ports the core needs from the outside world, with their guarantees.

Each port has an in-memory twin and a real implementation (adapters/), and one
contract suite in tests/integration that every implementation passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class LogRecord:
    """One accepted provider event on its way to the Scorekeeper."""

    key: str  # the game id: all of a game's records keep their relative order
    value: bytes  # the normalised native event, JSON
    received_at: float  # unix seconds


@dataclass(frozen=True)
class Positioned:
    partition: int
    position: int  # strictly increasing within a partition
    record: LogRecord


Assigned = Callable[[set[int]], dict[int, int]]
"""Told the partitions it now owns, a consumer's owner answers the last position it
processed in each (0: none); the consumer delivers what comes after."""

Revoked = Callable[[set[int]], None]


class LogConsumer(Protocol):
    """One member of the consumer group reading an EventLog."""

    async def poll(self, limit: int, timeout: float) -> list[Positioned]:
        """Records of owned partitions, in order per partition; waits up to ``timeout``."""
        ...

    def close(self) -> None: ...


class EventLog(Protocol):
    """The durable log between ingestion and recording (Kafka ``game-events`` in production).

    Guarantees:
    - :meth:`append` returns only once every record is durable; on error some may be
      durable, never reordered (callers retry; the Scorekeeper dedupes).
    - All records of one key go to one partition and are read in append order.
    - Reading is at-least-once: on every (re)assignment a consumer resumes each
      partition after the position its owner says it processed (``on_assigned``).
    """

    name: str

    async def append(self, records: Sequence[LogRecord]) -> None: ...

    def consumer(self, on_assigned: Assigned, on_revoked: Revoked) -> LogConsumer: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Rejection:
    """A payload Scoreline refused, kept raw so an operator can inspect and replay it."""

    id: int
    received_at: float
    source: str  # "webhook" | "recorder"
    provider: str
    reason: str  # short machine word: unauthorized, invalid, conflict, rule, too-large, ...
    detail: dict[str, Any]
    body: bytes
    content_type: str
    replays: tuple[dict[str, Any], ...] = ()  # what operators' replays of it gave


class RejectedStore(Protocol):
    """Keeps every rejected payload, raw.

    Guarantees: :meth:`keep` is durable when it returns and idempotent for the same
    ``dedupe_key`` (a recorder re-reading its log after a crash keeps one copy).
    """

    def keep(
        self,
        *,
        source: str,
        provider: str,
        reason: str,
        detail: dict[str, Any],
        body: bytes,
        content_type: str = "application/json",
        dedupe_key: str | None = None,
    ) -> int: ...

    def list(self, *, after_id: int = 0, limit: int = 100) -> list[Rejection]: ...

    def get(self, rejection_id: int) -> Rejection | None: ...

    def note_replay(self, rejection_id: int, result: dict[str, Any]) -> None:
        """Remember that an operator replayed it, and what came of it."""
        ...

    def close(self) -> None: ...


class BrokerSubscription(Protocol):
    """Messages of one channel, in publish order, from subscription on."""

    def __aiter__(self) -> BrokerSubscription: ...

    async def __anext__(self) -> bytes: ...

    async def close(self) -> None: ...


class Broker(Protocol):
    """Pub/sub between projectors and gateway nodes (Redis pub/sub in production).

    Guarantees: at-most-once delivery; one publisher's messages on one channel arrive
    in publish order; a subscriber gets what is published after :meth:`subscribe`
    returns. Nothing is stored: a consumer detects a lost message by a version gap
    and back-fills from the event store. After a reconnect a subscription yields
    ``BROKER_RESYNC`` (messages may have been lost: back-fill); a subscribe made while
    the transport is down returns at once and is followed by ``BROKER_RESYNC``.
    """

    async def publish(self, channel: str, message: bytes) -> None: ...

    async def subscribe(self, channel: str) -> BrokerSubscription: ...

    async def close(self) -> None: ...


BROKER_RESYNC = b"__scoreline_resync__"
"""Yielded by a BrokerSubscription when messages may have been lost (a reconnect):
consumers back-fill from the event store."""


class StateCache(Protocol):
    """The game states fans poll (Redis ``game:{id}:state`` in production).

    Guarantees: a state never replaces one with a higher ``version``; a FINAL game's
    state expires after an hour (the store still has it); reads see the latest write.
    """

    async def put(self, game_id: str, state: dict[str, Any], *, final: bool) -> None: ...

    async def get(self, game_id: str) -> dict[str, Any] | None: ...

    async def get_raw(self, game_id: str) -> bytes | None: ...

    async def all_states(self) -> list[dict[str, Any]]: ...

    async def close(self) -> None: ...
