"""``scoreline db``, ``cluster`` and ``rejected``: running and repairing a deployment."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from entrypoints.cli.options import Commands, ops_options, service_options, settings_from_args
from entrypoints.garbage_collection import leave_heap_to_exit
from entrypoints.settings import Settings, SettingsError


def add_db_commands(commands: Commands) -> None:
    db = commands.add_parser("db", help="the database schema").add_subparsers(title="db commands")
    upgrade = db.add_parser("upgrade", help="create or upgrade the schema (idempotent)")
    service_options(upgrade)
    upgrade.add_argument("--data-dir", type=Path)
    upgrade.set_defaults(run=run_db_upgrade)


def add_cluster_command(commands: Commands) -> None:
    cluster = commands.add_parser("cluster", help="a fleet of role processes on this machine")
    for role, default in (
        ("ingest", 1),
        ("recorders", 1),
        ("projectors", 1),
        ("gateways", 1),
        ("notifiers", 1),
        ("notification-workers", 1),
    ):
        cluster.add_argument(f"--{role}", type=int, default=default)
    cluster.add_argument(
        "--split-read-models",
        action="store_true",
        help="each projector as two processes: the game states, and the other read models",
    )
    cluster.add_argument("--host", default="127.0.0.1")
    cluster.add_argument("--base-port", type=int, default=8100)
    service_options(cluster)
    cluster.set_defaults(run=run_cluster)


def add_rejected_commands(commands: Commands) -> None:
    rejected = commands.add_parser("rejected", help="inspect and replay refused payloads")
    rejected_commands = rejected.add_subparsers(title="rejected commands")
    listing = rejected_commands.add_parser("list", help="print refused payloads as JSON lines")
    ops_options(listing)
    listing.add_argument("--after-id", type=int, default=0)
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(run=run_rejected_list)
    replay = rejected_commands.add_parser("replay", help="send a refused payload again")
    ops_options(replay)
    replay.add_argument("rejection_id", type=int)
    replay.add_argument("--file", type=Path, help="the fixed payload to send instead")
    replay.set_defaults(run=run_rejected_replay)


def run_db_upgrade(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
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
        push = settings.push
        fanout = KafkaEventLog(
            settings.kafka_bootstrap, topic=push.topic, partitions=push.partitions
        )
        fanout.ensure_topic()
        fanout.close()
        print(f"kafka topic {push.topic!r} (push fan-out) with {push.partitions} partitions")
    return 0


def run_cluster(args: argparse.Namespace) -> int:
    from entrypoints.cluster import run

    settings = settings_from_args(args)
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
        "notifier": args.notifiers,
        "notification-worker": args.notification_workers,
    }
    return run(
        counts,
        host=args.host,
        base_port=args.base_port,
        extra=extra,
        split_read_models=args.split_read_models,
    )


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


def add_read_model_commands(commands: Commands) -> None:
    rebuild = commands.add_parser(
        "rebuild", help="replay the log into fresh read models and swap them in"
    )
    rebuild.add_argument(
        "--projection", default="all", help="the read model to rebuild (default: all)"
    )
    rebuild.add_argument(
        "--dry-run", action="store_true", help="build and compare only; swap nothing"
    )
    rebuild.add_argument("--data-dir", type=Path, help="embedded data directory")
    service_options(rebuild)
    rebuild.set_defaults(run=run_rebuild)
    audit = commands.add_parser(
        "audit", help="compare the read models with copies rebuilt from the log"
    )
    audit.add_argument("--data-dir", type=Path, help="embedded data directory")
    service_options(audit)
    audit.set_defaults(run=run_audit)


def run_rebuild(args: argparse.Namespace) -> int:
    from entrypoints.read_model_commands import rebuild

    status = rebuild(settings_from_args(args), args.projection, args.dry_run, sys.stdout)
    leave_heap_to_exit()  # what the replay built: the process ends next
    return status


def run_audit(args: argparse.Namespace) -> int:
    from entrypoints.read_model_commands import audit

    status = audit(settings_from_args(args), sys.stdout)
    leave_heap_to_exit()
    return status
