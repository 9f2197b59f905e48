"""DeliveredEvents: the events a follower already delivered, bounded.

Guarantees: an event whose ``(game_id, event_id)`` and content (fingerprint) match
one of the last ``max_size`` delivered is not fresh; an event with a known id but
other content *is* fresh, so ingestion can refuse it as the conflict it is. This
only saves work: Ingestion and the Scorekeeper dedupe by ``event_id`` anyway.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from domain.events import GameEvent


class DeliveredEvents:
    def __init__(self, max_size: int = 100_000) -> None:
        self.max_size = max_size
        self._seen: OrderedDict[tuple[str, str], str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def fresh(self, events: Iterable[GameEvent]) -> list[GameEvent]:
        return [e for e in events if self._seen.get((e.game_id, e.event_id)) != e.fingerprint()]

    def add(self, events: Iterable[GameEvent]) -> None:
        for event in events:
            key = (event.game_id, event.event_id)
            self._seen[key] = event.fingerprint()
            self._seen.move_to_end(key)
        while len(self._seen) > self.max_size:
            self._seen.popitem(last=False)
