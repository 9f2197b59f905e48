"""The leaderboard endpoint without its cache, as a peer: the very same endpoint and
``Leaderboards`` code over the gateway's own SQLite read models, with a pass-through
"cache" that computes on every request (a store read in a worker thread per request).

``uvicorn --factory bench.leaderboard_peer:create`` with ``PEER_DATA_DIR`` (the
gateway's data directory) in the environment.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace

from starlette.applications import Starlette
from starlette.routing import Route

from adapters.player_stats_store import open_sqlite_player_stats_store
from adapters.standings_store import open_sqlite_standings_store
from entrypoints.web.leaderboards import Answer, Leaderboards, leaderboard


class NoCache:
    async def get(self, key: str, compute: Callable[[], Awaitable[Answer]]) -> Answer:
        return await compute()

    async def close(self) -> None:
        return None


def create() -> Starlette:
    data = Path(os.environ["PEER_DATA_DIR"])
    players = open_sqlite_player_stats_store(str(data / "player_stats.sqlite"))
    standings = open_sqlite_standings_store(str(data / "standings.sqlite"))
    app = Starlette(routes=[Route("/leaderboards/{league}/{season}/{stat}", leaderboard)])
    app.state.services = SimpleNamespace(leaderboards=Leaderboards(players, standings, NoCache()))
    return app
