"""The near cache's finished games: their last state known, and a TTL'd copy of it.

Guarantees (asyncio, one event loop):
- **Never older.** A game's answer only moves to a higher ``version``: a re-read older
  than (or as old as) the state known is ignored.
- **Re-read within the TTL.** The copy lives ``ttl_seconds`` (probabilistic early
  refresh, one refresh in flight: :class:`EarlyExpirationCache`); when it expires the
  fallback is read again, so a correction to a finished game is answered within the TTL.
  A game just retired by its stream is answered from what the stream brought, first.
- **Back to live.** A re-read that finds the game no longer FINAL drops it from here and
  answers through ``live`` (the near cache's cold-game path, which subscribes again).
- **Bounded.** At most ``max_games`` are held, the least recently retired going first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from adapters.early_expiration_cache import EarlyExpirationCache
from entrypoints.web.state_snapshot import Snapshot

Load = Callable[[str], Awaitable[Snapshot | None]]
"""The fallback read of a game's state (None: no such game)."""


class FinalStates:
    def __init__(
        self,
        load: Load,
        live: Load,
        *,
        ttl_seconds: float,
        max_games: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``load``: the fallback read; ``live``: how a game no longer held here is read."""
        self._load = load
        self._live = live
        self.max_games = max_games
        self._known: OrderedDict[str, Snapshot] = OrderedDict()  # a floor for versions
        self._unread: set[str] = set()  # games whose copy is what the stream brought
        self._copies = EarlyExpirationCache[Snapshot | None](
            ttl_seconds, max_entries=max_games, clock=clock
        )

    def __contains__(self, game_id: str) -> bool:
        return game_id in self._known

    def games(self) -> list[str]:
        return list(self._known)

    def remember(self, game_id: str, snapshot: Snapshot) -> None:
        """Hold ``snapshot`` of a game that went FINAL (if newer than the one held); the
        next read answers it without a fallback read."""
        known = self._known.get(game_id)
        if known is None or snapshot.version > known.version:
            self._known[game_id] = snapshot
        self._known.move_to_end(game_id)
        while len(self._known) > self.max_games:
            gone, _ = self._known.popitem(last=False)
            self._copies.invalidate(gone)
            self._unread.discard(gone)
        self._copies.invalidate(game_id)  # the next read starts from this one
        self._unread.add(game_id)

    async def read(self, game_id: str) -> tuple[Snapshot | None, bool]:
        """The game's state, and whether the fallback (or ``live``) was read for it."""
        read_fallback: list[bool] = []
        found = await self._copies.get(game_id, lambda: self._refresh(game_id, read_fallback))
        return found, bool(read_fallback)

    async def close(self) -> None:
        await self._copies.close()

    async def _refresh(self, game_id: str, read_fallback: list[bool]) -> Snapshot | None:
        """The copy's compute: first the state known, then the fallback's (never older)."""
        known = self._known.get(game_id)
        if known is None:  # dropped for the bound meanwhile
            return await self._live(game_id)
        if game_id in self._unread:  # just retired: what the stream brought is current
            self._unread.discard(game_id)
            return known
        read_fallback.append(True)
        loaded = await self._load(game_id)
        if loaded is None or loaded.version <= known.version:
            return known
        if loaded.final:
            self._known[game_id] = loaded
            return loaded
        # Corrected out of FINAL: live again, subscribed like any cold game.
        del self._known[game_id]
        self._copies.invalidate(game_id)
        return await self._live(game_id)
