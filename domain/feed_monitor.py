"""FeedMonitor: what each provider's feed of each game looks like right now.

Ingestion notes what arrives, recording notes what is recorded, transports note
whether a provider is connected. Read by ``GET /ops/feeds``. In memory, per process:
it describes this process's view, and starts empty after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FeedStatus:
    provider: str
    game_id: str
    last_received_at: float | None = None
    last_recorded_at: float | None = None
    last_sequence: int = 0
    received: int = 0
    recorded: int = 0
    lag_seconds: float | None = None  # receipt to recording, for the last event recorded


class FeedMonitor:
    def __init__(self) -> None:
        self._feeds: dict[tuple[str, str], FeedStatus] = {}
        self._connections: dict[str, tuple[str, bool, float]] = {}

    def _feed(self, provider: str, game_id: str) -> FeedStatus:
        key = (provider, game_id)
        if key not in self._feeds:
            self._feeds[key] = FeedStatus(provider, game_id)
        return self._feeds[key]

    def note_received(self, provider: str, game_id: str, at: float) -> None:
        feed = self._feed(provider, game_id)
        feed.received += 1
        feed.last_received_at = at

    def note_recorded(
        self, provider: str, game_id: str, sequence_number: int, received_at: float, at: float
    ) -> None:
        feed = self._feed(provider, game_id)
        feed.recorded += 1
        feed.last_sequence = max(feed.last_sequence, sequence_number)
        feed.last_recorded_at = at
        feed.lag_seconds = max(0.0, at - received_at)

    def note_connection(self, provider: str, transport: str, connected: bool, at: float) -> None:
        self._connections[provider] = (transport, connected, at)

    def feeds(self) -> list[FeedStatus]:
        return [self._feeds[k] for k in sorted(self._feeds)]

    def connection(self, provider: str) -> tuple[str, bool, float] | None:
        """(transport, connected, since) for providers on a persistent connection."""
        return self._connections.get(provider)
