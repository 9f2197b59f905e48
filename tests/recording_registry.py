"""The device registry the push-pipeline tests run against: the real in-memory one,
which also records what the pipeline asked of it."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable

from adapters.device_registry import MemoryDeviceRegistry
from domain.devices import Device, Interest
from domain.push import Target


class RecordingRegistry(MemoryDeviceRegistry):
    """A :class:`MemoryDeviceRegistry` (same guarantees) holding ``devices`` that also
    records every :meth:`prune` call, ``(tokens, reason)`` in call order, in
    :attr:`prunes`, and counts the :meth:`followers` pages read in :attr:`pages`.
    Thread-safe, like its parent (the worker prunes from a thread)."""

    def __init__(self, devices: Iterable[Device] = ()) -> None:
        super().__init__()
        self.prunes: list[tuple[tuple[str, ...], str]] = []
        self.pages = 0
        self._recording = threading.Lock()
        self.register_many(list(devices))

    def pruned_tokens(self) -> list[tuple[str, str]]:
        """Every token pruned, with its reason, in call order (repeats kept)."""
        with self._recording:
            return [(token, reason) for tokens, reason in self.prunes for token in tokens]

    def prune(self, tokens: Collection[str], reason: str) -> int:
        with self._recording:
            self.prunes.append((tuple(tokens), reason))
        return super().prune(tokens, reason)

    def followers(
        self,
        teams: Collection[str],
        game_id: str,
        interest: Interest,
        *,
        after: str = "",
        limit: int = 10_000,
    ) -> list[Target]:
        with self._recording:
            self.pages += 1
        return super().followers(teams, game_id, interest, after=after, limit=limit)
