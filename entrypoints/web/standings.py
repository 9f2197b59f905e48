"""Fan endpoint: ``GET /standings/{league}/{season}``, a league's table for a season.

Guarantees:
- 200 with the table's public JSON (``domain.standings.Table.public``), a strong ETag
  ``"v{version}"`` (the version is the log position of the table's latest change, so
  the tag changes whenever the table does) and the same cache headers as a game's state:
  ``Cache-Control: no-cache`` for browsers, a one-second edge cache that may serve stale
  for 5 s while it revalidates and for 60 s while the origin errs.
- 304 with the same headers and no body when ``If-None-Match`` names the current tag
  (weak comparison, RFC 9110: ``W/"v3"`` matches ``"v3"``; ``*`` matches any table).
- 404 ``application/problem+json`` (type ``urn:scoreline:problem:unknown-standings``)
  for a league and season no game has been scheduled in.
- The read runs in a worker thread: a store that does I/O never blocks the event loop.

The store is ``request.app.state.services.standings`` (a :class:`StandingsReader`).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

# One definition for every polled answer; re-exported for the other read-model endpoints.
from entrypoints.web.cache_headers import CACHE_HEADERS as CACHE_HEADERS
from entrypoints.web.problems import problem


class StandingsReader(Protocol):
    """What the endpoint needs of a standings store."""

    def standings(self, league: str, season: str) -> dict[str, Any] | None: ...


def standings_etag(table: dict[str, Any]) -> str:
    return f'"v{table["version"]}"'


def _matches(request: Request, tag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    tags = [t.strip() for t in header.split(",") if t.strip()]
    return "*" in tags or tag in [t.removeprefix("W/") for t in tags]


async def standings_table(request: Request) -> Response:
    store: StandingsReader = request.app.state.services.standings
    league = request.path_params["league"]
    season = request.path_params["season"]
    table = await asyncio.to_thread(store.standings, league, season)
    if table is None:
        return problem(
            404,
            "Unknown standings",
            f"no game of league {league!r} in season {season!r} has been scheduled",
            kind="unknown-standings",
        )
    tag = standings_etag(table)
    headers = {**CACHE_HEADERS, "ETag": tag}
    if _matches(request, tag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(table, headers=headers)
