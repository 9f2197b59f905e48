"""The ``scoreline`` command line. Each command builds what it needs from the composition root."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
from pathlib import Path
from typing import Any

from entrypoints.feed_formats import FORMATS
from entrypoints.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args)
        return result
    except SettingsError as error:
        print(f"scoreline: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scoreline", description="Live sports scores.")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the service (embedded: one process)")
    _server_options(serve)
    serve.set_defaults(run=run_serve)

    demo = commands.add_parser("demo", help="run the service with simulated live games")
    _server_options(demo)
    demo.add_argument("--feed", type=Path, help="play this native JSON-lines feed instead")
    demo.add_argument("--speed", type=float, default=10.0, help="feed speed-up (default 10)")
    demo.add_argument(
        "--duration",
        type=float,
        default=180.0,
        help="seconds each simulated game lasts (default 180)",
    )
    demo.set_defaults(run=run_demo)

    feed = commands.add_parser("feed", help="convert and push provider feeds").add_subparsers(
        title="feed commands"
    )
    convert = feed.add_parser("convert", help="convert provider files to native JSON lines")
    convert.add_argument(
        "paths",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="the provider file (ESPN: successive scoreboard snapshots)",
    )
    convert.add_argument("--format", required=True, choices=sorted(FORMATS))
    convert.add_argument("--game-id", help="Scoreline's id for the game (default: provider's)")
    convert.add_argument("--home-team", help="StatsBomb: the home team's name in the file")
    convert.add_argument("--away-team", help="StatsBomb: the away team's name in the file")
    convert.add_argument("--league")
    convert.add_argument("--season")
    convert.set_defaults(run=run_feed_convert)

    push = feed.add_parser("push", help="sign and send native JSON lines to a webhook")
    push.add_argument("path", type=Path, help="native JSON lines ('-' for stdin)")
    push.add_argument("--url", required=True, help="the service, e.g. http://127.0.0.1:8000")
    push.add_argument("--provider", required=True)
    push.add_argument("--secret", required=True)
    push.add_argument("--speed", type=float, help="replay at this many times real time")
    push.add_argument("--batch", type=int, default=100, help="events per request (no --speed)")
    push.set_defaults(run=run_feed_push)

    rejected = commands.add_parser("rejected", help="inspect and replay refused payloads")
    rejected_commands = rejected.add_subparsers(title="rejected commands")
    listing = rejected_commands.add_parser("list", help="print refused payloads as JSON lines")
    _ops_options(listing)
    listing.add_argument("--after-id", type=int, default=0)
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(run=run_rejected_list)
    replay = rejected_commands.add_parser("replay", help="send a refused payload again")
    _ops_options(replay)
    replay.add_argument("rejection_id", type=int)
    replay.add_argument("--file", type=Path, help="the fixed payload to send instead")
    replay.set_defaults(run=run_rejected_replay)
    return parser


def _ops_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the service")
    p.add_argument("--token", help="admin token (default: $SCORELINE_ADMIN_TOKEN)")


def _admin_token(args: argparse.Namespace) -> str:
    token: str | None = args.token or Settings.from_env().admin_token
    if not token:
        raise SettingsError("no admin token: pass --token or set SCORELINE_ADMIN_TOKEN")
    return token


def run_rejected_list(args: argparse.Namespace) -> int:
    from entrypoints.ops_client import OpsError, list_rejected

    try:
        list_rejected(
            args.url, _admin_token(args), after_id=args.after_id, limit=args.limit, out=sys.stdout
        )
    except OpsError as error:
        print(f"scoreline rejected list: {error}", file=sys.stderr)
        return 1
    return 0


def run_rejected_replay(args: argparse.Namespace) -> int:
    from entrypoints.ops_client import OpsError, replay_rejected

    try:
        return replay_rejected(args.url, _admin_token(args), args.rejection_id, args.file)
    except (OpsError, OSError) as error:
        print(f"scoreline rejected replay: {error}", file=sys.stderr)
        return 1


def _server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", type=Path, help="embedded data directory (./scoreline-data)")
    p.add_argument("--log-level", default="info")


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    return Settings.from_env(data_dir=args.data_dir, host=args.host, port=args.port, **extra)


def _serve(settings: Settings, log_level: str, side_task: Any = None) -> int:
    import uvicorn

    from entrypoints.composition import build_embedded
    from entrypoints.web.app import create_app

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    services = build_embedded(settings)
    app = create_app(services)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level=log_level, lifespan="on"
    )
    server = uvicorn.Server(config)

    async def main_task() -> None:
        if side_task is None:
            await server.serve()
            return
        runner = asyncio.create_task(side_task(server))
        try:
            await server.serve()
        finally:
            runner.cancel()

    try:
        asyncio.run(main_task())
    finally:
        services.close()
    return 0


def run_serve(args: argparse.Namespace) -> int:
    return _serve(_settings(args), args.log_level)


def run_demo(args: argparse.Namespace) -> int:
    from entrypoints.demo import play_feed, simulate_forever

    base = Settings.from_env()
    secret = secrets.token_urlsafe(16)
    admin = base.admin_token or secrets.token_urlsafe(16)
    settings = _settings(
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

    return _serve(settings, args.log_level, simulator)


def _read_feed(path: Path) -> list[dict[str, Any]]:
    from entrypoints.feed_push import read_jsonl

    with path.open() as handle:
        return read_jsonl(handle)


def run_feed_convert(args: argparse.Namespace) -> int:
    from entrypoints.feed_formats import FORMATS, ConvertError

    try:
        events = FORMATS[args.format](args)
    except ConvertError as error:
        print(f"scoreline feed convert: {error}", file=sys.stderr)
        return 1
    for event in events:
        sys.stdout.write(json.dumps(event) + "\n")
    return 0


def run_feed_push(args: argparse.Namespace) -> int:
    from entrypoints.feed_push import PushError, push, read_jsonl

    try:
        if str(args.path) == "-":
            events = read_jsonl(sys.stdin)
        else:
            with args.path.open() as handle:
                events = read_jsonl(handle)
        push(
            events,
            url=args.url,
            provider=args.provider,
            secret=args.secret,
            speed=args.speed,
            batch_size=args.batch,
        )
    except (OSError, PushError) as error:
        print(f"scoreline feed push: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
