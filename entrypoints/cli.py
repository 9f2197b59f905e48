"""The ``scoreline`` command line. Each command builds what it needs from the composition root."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from entrypoints.feed_formats import FORMATS
from entrypoints.settings import ROLES, Settings, SettingsError


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

    serve = commands.add_parser("serve", help="run the service, or one role of it")
    _server_options(serve)
    serve.add_argument(
        "--tcp-feed-port", type=int, help="also accept providers' persistent TCP feeds on this port"
    )
    serve.add_argument(
        "--role",
        default="all",
        choices=ROLES,
        help="which part to run (default all: the whole service)",
    )
    serve.set_defaults(run=run_serve)

    db = commands.add_parser("db", help="the database schema").add_subparsers(title="db commands")
    upgrade = db.add_parser("upgrade", help="create or upgrade the schema (idempotent)")
    _service_options(upgrade)
    upgrade.add_argument("--data-dir", type=Path)
    upgrade.set_defaults(run=run_db_upgrade)

    cluster = commands.add_parser("cluster", help="a fleet of role processes on this machine")
    for role, default in (("ingest", 1), ("recorders", 1), ("projectors", 1), ("gateways", 1)):
        cluster.add_argument(f"--{role}", type=int, default=default)
    cluster.add_argument("--host", default="127.0.0.1")
    cluster.add_argument("--base-port", type=int, default=8100)
    _service_options(cluster)
    cluster.set_defaults(run=run_cluster)

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
    _service_options(follow)
    follow.set_defaults(run=run_feed_follow)

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
    _service_options(p)


def _service_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", help="PostgreSQL (default: $SCORELINE_DATABASE_URL)")
    p.add_argument("--redis-url", help="Redis (default: $SCORELINE_REDIS_URL)")
    p.add_argument("--kafka-bootstrap", help="Kafka host:port,... ($SCORELINE_KAFKA_BOOTSTRAP)")


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    return Settings.from_env(
        data_dir=getattr(args, "data_dir", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        role=getattr(args, "role", None),
        database_url=getattr(args, "database_url", None),
        redis_url=getattr(args, "redis_url", None),
        kafka_bootstrap=getattr(args, "kafka_bootstrap", None),
        **extra,
    )


def _serve(settings: Settings, log_level: str, side_task: Any = None) -> int:
    import uvicorn

    from entrypoints.composition import build
    from entrypoints.json_logs import configure_json_logging
    from entrypoints.preflight import check_services
    from entrypoints.web.app import create_app

    configure_json_logging(log_level, settings.role)
    check_services(settings)
    services = build(settings)
    app = create_app(services)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        lifespan="on",
        log_config=None,  # uvicorn's loggers go through the JSON handler
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
    return _serve(_settings(args, tcp_feed_port=args.tcp_feed_port), args.log_level)


def run_feed_follow(args: argparse.Namespace) -> int:
    import time

    from entrypoints.composition import build
    from entrypoints.preflight import check_services
    from entrypoints.push_stream import DeliveryFailed, UnknownFormat, follow

    settings = _settings(args)
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


def run_db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from entrypoints.preflight import check_services

    check_services(settings)
    if settings.database_url:
        from adapters.postgres_rejected_store import create_rejected_tables
        from adapters.postgres_schema import upgrade

        for line in upgrade(settings.database_url):
            print(line)
        create_rejected_tables(settings.database_url)
        print("rejected payloads: tables rejected, rejected_replays")
    else:
        print("embedded: SQLite tables are created in the data directory on start")
    if settings.kafka_bootstrap:
        from adapters.kafka_event_log import KafkaEventLog

        log = KafkaEventLog(
            settings.kafka_bootstrap,
            topic=settings.kafka_topic,
            partitions=settings.kafka_partitions,
        )
        log.ensure_topic()
        log.close()
        print(f"kafka topic {settings.kafka_topic!r} with {settings.kafka_partitions} partitions")
    return 0


def run_cluster(args: argparse.Namespace) -> int:
    from entrypoints.cluster import run

    settings = _settings(args)
    from entrypoints.preflight import check_services

    check_services(settings)
    extra: list[str] = []
    for flag, value in (
        ("--database-url", settings.database_url),
        ("--redis-url", settings.redis_url),
        ("--kafka-bootstrap", settings.kafka_bootstrap),
    ):
        if value:
            extra += [flag, value]
    counts = {
        "ingest": args.ingest,
        "recorder": args.recorders,
        "projector": args.projectors,
        "gateway": args.gateways,
    }
    return run(counts, host=args.host, base_port=args.base_port, extra=extra)


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
