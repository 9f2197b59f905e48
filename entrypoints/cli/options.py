"""The options several commands share, and the settings they make."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TypeAlias

from entrypoints.settings import Settings, parse_read_models

# What ``add_subparsers`` returns: each command module adds its commands to it.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", type=Path, help="embedded data directory (./scoreline-data)")
    p.add_argument("--log-level", default="info")
    service_options(p)


def service_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", help="PostgreSQL (default: $SCORELINE_DATABASE_URL)")
    p.add_argument("--redis-url", help="Redis (default: $SCORELINE_REDIS_URL)")
    p.add_argument("--kafka-bootstrap", help="Kafka host:port,... ($SCORELINE_KAFKA_BOOTSTRAP)")
    p.add_argument(
        "--kafka-fetch-max-wait-ms",
        type=int,
        help="longest a recorder's Kafka fetch waits at the broker, ms"
        " ($SCORELINE_KAFKA_FETCH_MAX_WAIT_MS, 10)",
    )


def ops_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the service")
    p.add_argument("--token", help="admin token (default: $SCORELINE_ADMIN_TOKEN)")


def settings_from_args(args: argparse.Namespace, **extra: Any) -> Settings:
    return Settings.from_env(
        data_dir=getattr(args, "data_dir", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        role=getattr(args, "role", None),
        database_url=getattr(args, "database_url", None),
        redis_url=getattr(args, "redis_url", None),
        kafka_bootstrap=getattr(args, "kafka_bootstrap", None),
        kafka_fetch_max_wait_ms=getattr(args, "kafka_fetch_max_wait_ms", None),
        read_models=_read_models(getattr(args, "read_models", None)),
        **extra,
    )


def _read_models(text: str | None) -> frozenset[str] | None:
    return None if text is None else parse_read_models(text)
