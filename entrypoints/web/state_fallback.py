"""The near cache's cold read: a game's state from the state cache, else the store's view.

``fallback_reader(cache, view)`` gives the :data:`~entrypoints.web.final_states.Load` the
composition root hands the near cache: the state cache's bytes as they are (one GET, no
re-encoding); the store's view (in a worker thread) when the cache has no copy (an
embedded gateway before its first publish, an expired final game) or is away. Read
errors of the view propagate to the poll that caused the read.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from entrypoints.web.final_states import Load
from entrypoints.web.state_snapshot import Snapshot, snapshot_of_json, snapshot_of_state

log = logging.getLogger("scoreline.near_cache")


class StateReader(Protocol):
    async def get_raw(self, game_id: str) -> bytes | None: ...


class ViewReader(Protocol):
    def state(self, game_id: str) -> dict[str, Any] | None: ...


def fallback_reader(cache: StateReader, view: ViewReader) -> Load:
    """The cold read: the state cache's bytes as they are; the store's view when the cache
    has no copy (an embedded gateway, an expired final game) or is away."""

    async def load(game_id: str) -> Snapshot | None:
        try:
            raw = await cache.get_raw(game_id)
        except Exception as error:  # the cache is away: the read model still answers
            log.warning("state cache unavailable: %s", error)
            raw = None
        if raw is not None:
            return snapshot_of_json(raw)
        state = await asyncio.to_thread(view.state, game_id)
        return None if state is None else snapshot_of_state(state)

    return load
