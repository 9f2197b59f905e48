"""The Starlette application: routes and lifespan. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from entrypoints.composition import Services
from entrypoints.metrics import metrics_endpoint
from entrypoints.tcp_feed import serve_tcp_feed
from entrypoints.web import (
    games,
    history,
    ingest,
    leaderboards,
    ops,
    players,
    polling,
    standings,
    teams,
)
from entrypoints.web.devices import device_routes
from entrypoints.web.fanout.shutdown import drain_when_exiting
from entrypoints.web.fanout.stream import GameStream, StreamFirst
from entrypoints.web.health import healthz, readyz_endpoint, service_checks
from entrypoints.web.openapi import document
from entrypoints.web.rate_limit import RateLimits

STATIC = Path(str(files("entrypoints.web") / "static"))
ROUTE_GROUPS = {
    "all": ("common", "ingest", "gateway"),
    "ingest": ("common", "ingest"),
    "gateway": ("common", "gateway"),
    "recorder": ("common",),
    "projector": ("common",),
    "notifier": ("common",),
    "notification-worker": ("common",),
}


async def index_page(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def game_page(request: Request) -> Response:
    return FileResponse(STATIC / "game.html", headers={"Cache-Control": "no-cache"})


def routes(role: str) -> list[BaseRoute]:
    """The endpoints a role serves: ingest the providers' and operators', gateway the fans'."""
    openapi = document()

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi)

    groups: dict[str, list[BaseRoute]] = {
        "common": [Route("/healthz", healthz), Route("/openapi.json", openapi_json)],
        "ingest": [
            Route("/providers/{provider}/events", ingest.receive_events, methods=["POST"]),
            Route("/ops/rejected", ops.list_rejected),
            Route("/ops/rejected/{rejection_id}/replay", ops.replay_rejected, methods=["POST"]),
            Route("/ops/gaps", ops.list_gaps),
            Route("/ops/feeds", ops.list_feeds),
        ],
        "gateway": [
            Route("/", index_page),
            Route("/games", games.list_games),
            Route("/games/{game_id}", game_page),
            Route("/games/{game_id}/state", polling.game_state, methods=["GET", "HEAD"]),
            Route("/games/{game_id}/replay", history.replay),
            Route("/games/{game_id}/events", games.game_events),
            Route("/games/{game_id}/stream", GameStream(), methods=["GET"]),
            Route("/standings/{league}/{season}", standings.standings_table),
            Route("/leaderboards/{league}/{season}/{stat}", leaderboards.leaderboard),
            Route("/players/{player_id}/stats", players.player_stats),
            Route("/teams/{team_id}", teams.team),
            Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static"),
        ],
    }
    return [route for group in ROUTE_GROUPS[role] for route in groups[group]]


def _device_routes(services: Services) -> list[BaseRoute]:
    """Fans register their phones on the gateway (the routes need the registry)."""
    if services.devices is None or "gateway" not in ROUTE_GROUPS[services.settings.role]:
        return []
    settings = services.settings
    limits = RateLimits(settings.device_rate, settings.device_burst)
    return list(device_routes(services.devices, services.rejected, limits=limits))


class GatewayApp(StreamFirst, polling.FastPollApp):
    """Starlette behind two fast paths: fans' streams, then polls of held games."""


def create_app(services: Services, *, run_workers: bool = True) -> Starlette:
    """The HTTP service of the settings' role; its lifespan runs that role's workers."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if run_workers:
            await services.start()
        port = services.settings.tcp_feed_port
        tcp_feed = None
        if port is not None and services.settings.role in ("all", "ingest"):
            tcp_feed = await serve_tcp_feed(services, services.settings.host, port)
        app.state.tcp_feed = tcp_feed
        drain = asyncio.create_task(
            drain_when_exiting(services.hub, services.settings.sse_drain_deadline)
        )
        try:
            yield
        finally:
            drain.cancel()
            if tcp_feed is not None:
                await tcp_feed.close()
            await services.stop()

    app = GatewayApp(
        routes=[
            Route("/readyz", readyz_endpoint(service_checks(services))),
            Route("/metrics", metrics_endpoint(services.metrics)),
            *routes(services.settings.role),
            *_device_routes(services),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    if "gateway" in ROUTE_GROUPS[services.settings.role]:
        app.near_cache = services.near_cache  # polls of held games skip the router
        app.stream = GameStream()  # and so do fans' streams
    return app
