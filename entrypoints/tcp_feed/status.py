"""FeedStatus: what an operator sees of each provider's TCP feed (for /ops/feeds).

One :class:`ProviderFeed` per provider that ever authenticated in this process:
whether it is connected, when it was last heard from, why it last went away, and
per game the acknowledged (durable, contiguous) sequence number.

Guarantees: the status of a provider follows its *current* connection only; an
older connection going away after a newer one took over does not mark it down.
Times are unix seconds. Everything is in memory and bounded (see AckedSequences).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from entrypoints.tcp_feed.acked import AckedSequences


@dataclass
class ProviderFeed:
    provider: str
    acked: AckedSequences = field(default_factory=AckedSequences)
    connected: bool = False
    connection_id: int | None = None
    peer: str | None = None
    connected_at: float | None = None
    last_seen: float | None = None
    disconnected_at: float | None = None
    disconnect_reason: str | None = None
    connections: int = 0
    frames: int = 0
    accepted: int = 0
    duplicates: int = 0
    errors: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "connected": self.connected,
            "peer": self.peer,
            "connected_at": self.connected_at,
            "last_seen": self.last_seen,
            "disconnected_at": self.disconnected_at,
            "disconnect_reason": self.disconnect_reason,
            "connections": self.connections,
            "frames": self.frames,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "acked": self.acked.snapshot(),
        }


class FeedStatus:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._providers: dict[str, ProviderFeed] = {}

    def provider(self, name: str) -> ProviderFeed:
        feed = self._providers.get(name)
        if feed is None:
            feed = self._providers[name] = ProviderFeed(name)
        return feed

    def connected(self, name: str, connection_id: int, peer: str) -> ProviderFeed:
        feed = self.provider(name)
        now = self.clock()
        feed.connected = True
        feed.connection_id = connection_id
        feed.peer = peer
        feed.connected_at = feed.last_seen = now
        feed.disconnect_reason = None
        feed.connections += 1
        return feed

    def seen(self, name: str) -> None:
        self.provider(name).last_seen = self.clock()

    def disconnected(self, name: str, connection_id: int, reason: str) -> bool:
        """Mark the provider down if this was its current connection; True if so."""
        feed = self.provider(name)
        if feed.connection_id != connection_id or not feed.connected:
            return False
        feed.connected = False
        feed.disconnected_at = self.clock()
        feed.disconnect_reason = reason
        return True

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready: ``{"providers": [...]}``, sorted by provider name."""
        return {"providers": [self._providers[n].to_json() for n in sorted(self._providers)]}
