"""Fan endpoint: ``GET /players/{player_id}/stats?season=S``, a player's stats.

Guarantees:
- 200 with ``{"player_id", "name", "seasons": [...], "games": [...]}``: ``name`` the
  player's name from the latest event naming them (None if none did), ``seasons`` the season
  totals (``domain.player_stats.SeasonLine.public``: the FINAL games of each league's
  season), ``games`` the per-game lines, live games included (``status`` says which);
  both limited to ``season`` when it is given, every season otherwise.
- A strong ETag of the body's content, 304 on ``If-None-Match``, and the standings'
  cache headers (``entrypoints.web.tagged_json``).
- 404 ``application/problem+json`` (``urn:scoreline:problem:unknown-player``) for a
  player with no line (in that season); 400 naming ``season`` when it is empty.
- The read runs in a worker thread: a store that does I/O never blocks the event loop.

The store is ``request.app.state.services.player_stats`` (a :class:`PlayerReader`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from entrypoints.web.problems import problem
from entrypoints.web.tagged_json import encoded, tagged


class PlayerReader(Protocol):
    """What the endpoint needs of a player-stats store."""

    def player(self, player_id: str, season: str | None = None) -> dict[str, Any] | None: ...


class NameReader(Protocol):
    """The players' names of a player-stats store (``PlayerStatsStore.player_names``)."""

    def player_names(self, player_ids: Collection[str]) -> dict[str, str]: ...


def known_names(store: NameReader, player_ids: Collection[str]) -> dict[str, str]:
    """The stored names of those of ``player_ids`` that have one; the leaderboards and
    team pages show them."""
    return store.player_names(player_ids) if player_ids else {}


async def player_stats(request: Request) -> Response:
    store: PlayerReader = request.app.state.services.player_stats
    player_id = request.path_params["player_id"]
    season = request.query_params.get("season")
    if season is not None and not season.strip():
        return problem(
            400,
            "Bad season",
            "season, when given, must name a season (such as 2015-16)",
            errors=[{"pointer": "season", "detail": "empty"}],
        )
    found = await asyncio.to_thread(store.player, player_id, season)
    if found is None:
        where = f" in season {season!r}" if season else ""
        return problem(
            404,
            "Unknown player",
            f"player {player_id!r} has no stats{where}",
            kind="unknown-player",
        )
    return tagged(request, encoded(found))
