"""``scoreline serve`` and ``scoreline demo``: the service under uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from entrypoints.cli.options import Commands, server_options, settings_from_args
from entrypoints.garbage_collection import (
    FULL_COLLECTION_EVERY,
    SWITCH_INTERVAL,
    LongLivedSetAside,
)
from entrypoints.settings import READ_MODELS, ROLES, Settings

if TYPE_CHECKING:
    import uvicorn

    from entrypoints.web.poll_protocol import HeldStates


def add_serve_command(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the service, or one role of it")
    server_options(serve)
    serve.add_argument(
        "--tcp-feed-port", type=int, help="also accept providers' persistent TCP feeds on this port"
    )
    serve.add_argument(
        "--role",
        default="all",
        choices=ROLES,
        help="which part to run (default all: the whole service)",
    )
    serve.add_argument(
        "--read-models",
        help="the read models a projector writes, comma-separated, of"
        f" {', '.join(READ_MODELS)} (default: all; $SCORELINE_READ_MODELS)",
    )
    serve.set_defaults(run=run_serve)


def add_demo_command(commands: Commands) -> None:
    demo = commands.add_parser("demo", help="run the service with simulated live games")
    server_options(demo)
    demo.add_argument("--feed", type=Path, help="play this native JSON-lines feed instead")
    demo.add_argument("--speed", type=float, default=10.0, help="feed speed-up (default 10)")
    demo.add_argument(
        "--duration",
        type=float,
        default=180.0,
        help="seconds each simulated game lasts (default 180)",
    )
    demo.set_defaults(run=run_demo)


def uvicorn_config(
    settings: Settings, app: Any, near_cache: HeldStates | None, log_level: str
) -> uvicorn.Config:
    """How the service runs under uvicorn. A role that serves fans (``all``, ``gateway``)
    answers polls of the games ``near_cache`` holds in its HTTP protocol
    (:mod:`entrypoints.web.poll_protocol`); every role's protocol puts the transport in
    the scope."""
    import uvicorn

    from entrypoints.web.app import ROUTE_GROUPS
    from entrypoints.web.poll_protocol import poll_protocol

    serves_fans = "gateway" in ROUTE_GROUPS[settings.role]
    return uvicorn.Config(
        app,
        http=poll_protocol(near_cache if serves_fans else None),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        lifespan="on",
        log_config=None,  # uvicorn's loggers go through the JSON handler
        access_log=log_level in ("debug", "trace"),  # a line per poll costs more than the poll
        server_header=False,
        # the hub drains the fans' streams itself; this only bounds anything else that hangs
        timeout_graceful_shutdown=int(settings.sse_drain_deadline) + 5,
    )


def run_under_uvicorn(settings: Settings, log_level: str, side_task: Any = None) -> int:
    import uvicorn

    from entrypoints.composition import build
    from entrypoints.json_logs import configure_json_logging
    from entrypoints.preflight import check_services
    from entrypoints.web.app import create_app

    configure_json_logging(log_level, settings.role)
    check_services(settings)
    services = build(settings)
    config = uvicorn_config(settings, create_app(services), services.near_cache, log_level)
    collector = LongLivedSetAside()
    collector.install()
    # The recorder and the followers run on threads of their own: a thread waiting for the
    # GIL (the event loop, with a fan's write) gets it within 1 ms instead of 5.
    sys.setswitchinterval(SWITCH_INTERVAL)
    server = uvicorn.Server(config)

    async def main_task() -> None:
        sides = [asyncio.create_task(collector.collect_fully_every(FULL_COLLECTION_EVERY))]
        if side_task is not None:
            sides.append(asyncio.create_task(side_task(server)))
        try:
            await server.serve()
        finally:
            for side in sides:
                side.cancel()

    try:
        # uvicorn's own loop choice (uvloop when installed): asyncio.run would force the
        # default loop, and the polling path measured ~1.5x slower on it (BENCHMARKS.md).
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as loop_runner:
            loop_runner.run(main_task())
    finally:
        collector.remove()
        services.close()
    return 0


def run_serve(args: argparse.Namespace) -> int:
    return run_under_uvicorn(
        settings_from_args(args, tcp_feed_port=args.tcp_feed_port), args.log_level
    )


def run_demo(args: argparse.Namespace) -> int:
    from entrypoints.demo import play_feed, simulate_forever

    base = Settings.from_env()
    secret = secrets.token_urlsafe(16)
    admin = base.admin_token or secrets.token_urlsafe(16)
    settings = settings_from_args(
        args,
        provider_secrets={**base.provider_secrets, "demo": secret},
        admin_token=admin,
    )
    url = f"http://{settings.host}:{settings.port}"
    feed_events = _read_feed(args.feed) if args.feed else None

    async def simulator(server: Any) -> None:
        while not server.started:
            await asyncio.sleep(0.05)
        print(f"Scoreline demo on {url}  (admin token: {admin})", flush=True)
        if feed_events is not None:
            await play_feed(url, secret, feed_events, args.speed)
        else:
            await simulate_forever(url, secret, duration=args.duration, seed=7)

    return run_under_uvicorn(settings, args.log_level, simulator)


def _read_feed(path: Path) -> list[dict[str, Any]]:
    from entrypoints.feed_push import read_jsonl

    with path.open() as handle:
        return read_jsonl(handle)
