"""The Starlette application: routes and lifespan. Nothing is built at import time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from entrypoints.composition import Services
from entrypoints.web import games, ingest, ops
from entrypoints.web.openapi import document

STATIC = Path(str(files("entrypoints.web") / "static"))


def create_app(services: Services, *, run_workers: bool = True) -> Starlette:
    """The HTTP service over ``services``; its lifespan runs the recorder and projector."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if run_workers:
            await services.start()
        try:
            yield
        finally:
            await services.stop()

    openapi = document()

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def index_page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def game_page(request: Request) -> Response:
        return FileResponse(STATIC / "game.html", headers={"Cache-Control": "no-cache"})

    app = Starlette(
        routes=[
            Route("/", index_page),
            Route("/openapi.json", openapi_json),
            Route("/healthz", healthz),
            Route("/providers/{provider}/events", ingest.receive_events, methods=["POST"]),
            Route("/games", games.list_games),
            Route("/games/{game_id}", game_page),
            Route("/games/{game_id}/state", games.game_state),
            Route("/games/{game_id}/events", games.game_events),
            Route("/games/{game_id}/stream", games.game_stream),
            Route("/ops/rejected", ops.list_rejected),
            Route("/ops/rejected/{rejection_id}/replay", ops.replay_rejected, methods=["POST"]),
            Route("/ops/gaps", ops.list_gaps),
            Route("/ops/feeds", ops.list_feeds),
            Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static"),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
