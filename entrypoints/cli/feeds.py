"""``scoreline feed``: convert provider files, push them to a webhook, follow a push stream."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from entrypoints.cli.options import Commands, service_options, settings_from_args
from entrypoints.feed_formats import FORMATS


def add_feed_commands(commands: Commands) -> None:
    feed = commands.add_parser("feed", help="convert and push provider feeds").add_subparsers(
        title="feed commands"
    )
    convert = feed.add_parser("convert", help="convert provider files to native JSON lines")
    convert.add_argument(
        "paths",
        type=Path,
        nargs="*",
        metavar="FILE",
        help="the provider file (ESPN: successive scoreboard snapshots)",
    )
    convert.add_argument("--format", required=True, choices=sorted(FORMATS))
    convert.add_argument("--game-id", help="Scoreline's id for the game (default: provider's)")
    convert.add_argument("--home-team", help="StatsBomb: the home team's name in the file")
    convert.add_argument("--away-team", help="StatsBomb: the away team's name in the file")
    convert.add_argument("--matches", type=Path, help="results-csv: the season's matches.csv")
    convert.add_argument("--teams", type=Path, help="results-csv: the season's teams.csv")
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

    follow = feed.add_parser("follow", help="follow a provider's HTTP push stream into ingestion")
    follow.add_argument("url")
    follow.add_argument("--format", default="native", help="the stream's format (native)")
    follow.add_argument("--provider", help="who the events are from (default: the URL)")
    follow.add_argument(
        "--heartbeat-timeout",
        type=float,
        default=30.0,
        help="seconds of silence that mean a dead connection",
    )
    follow.add_argument("--data-dir", type=Path)
    service_options(follow)
    follow.set_defaults(run=run_feed_follow)


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


def run_feed_follow(args: argparse.Namespace) -> int:
    import time

    from entrypoints.composition import build
    from entrypoints.preflight import check_services
    from entrypoints.push_stream import DeliveryFailed, UnknownFormat, follow

    settings = settings_from_args(args)
    check_services(settings)
    services = build(settings)
    name = args.provider or args.url

    def up(connected: bool) -> None:
        services.monitor.note_connection(name, "push-stream", connected, time.time())

    try:
        asyncio.run(
            follow(
                args.url,
                format=args.format,
                provider=args.provider,
                deliver=services.ingestion.accept,
                on_connection=up,
                heartbeat_timeout=args.heartbeat_timeout,
            )
        )
    except UnknownFormat as error:
        print(f"scoreline feed follow: {error}", file=sys.stderr)
        return 2
    except DeliveryFailed as error:
        print(f"scoreline feed follow: {error}", file=sys.stderr)
        return 1
    finally:
        services.close()
    return 0
