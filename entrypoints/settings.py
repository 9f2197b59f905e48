"""Settings: read once from the environment and the command line, then passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from entrypoints.push_settings import PushSettings, PushSettingsError


class SettingsError(Exception):
    """A setting is malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("scoreline-data")
    host: str = "127.0.0.1"
    port: int = 8000
    provider_secrets: Mapping[str, str] = field(default_factory=dict)
    admin_token: str | None = None
    gap_timeout: float = 2.0
    max_body_bytes: int = 1_048_576
    max_batch_events: int = 1000
    signature_tolerance: float = 300.0
    provider_rate: float = 100.0  # requests per second per provider, per ingest process
    provider_burst: float = 500.0
    device_rate: float = 5.0  # device writes (POST/DELETE /devices) a second per client address
    device_burst: float = 50.0
    provider_recovery: Mapping[str, str] = field(default_factory=dict)  # provider -> URL
    # Production parts; None means the embedded default for that part.
    database_url: str | None = None
    redis_url: str | None = None
    kafka_bootstrap: str | None = None
    redis_prefix: str = ""
    kafka_topic: str = "game-events"
    kafka_partitions: int = 12
    kafka_session_timeout_ms: int = 10_000  # how soon a dead recorder's partitions move
    kafka_heartbeat_interval_ms: int = 3_000
    # The longest a recorder's Kafka fetch may wait at the broker for records (ms).
    # The Kafka clients' default, 500, made the broker hold fetches up to half a second
    # under every event (measured: BENCHMARKS.md section 2); 10 costs an idle recorder
    # ~100 small fetches a second and nothing under load. Raise it to fetch less often.
    kafka_fetch_max_wait_ms: int = 10
    role: str = "all"
    # The read models a projector process writes (None: every one). Each has one writer
    # at a time (an advisory lock) whichever processes run it: splitting them over
    # processes gives each its own interpreter (see ARCHITECTURE.md, "Production layout").
    read_models: frozenset[str] | None = None
    tcp_feed_port: int | None = None  # also take providers' persistent TCP feeds here
    # Fans' SSE streams, per gateway process (entrypoints/web/fanout/stream.py).
    sse_max_connections: int = 15_000  # then 503 + Retry-After (a process holds < 20k fds)
    sse_max_lag: int = 64  # frames a stream may fall behind before it is told to reconnect
    sse_drain_deadline: float = 10.0  # seconds a shutting-down gateway waits for its fans
    push: PushSettings = field(default_factory=PushSettings)  # notifier and workers

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        if "SCORELINE_DATA_DIR" in env:
            values["data_dir"] = Path(env["SCORELINE_DATA_DIR"])
        if "SCORELINE_PROVIDER_SECRETS" in env:
            values["provider_secrets"] = parse_secrets(env["SCORELINE_PROVIDER_SECRETS"])
        if "SCORELINE_PROVIDER_RECOVERY" in env:
            values["provider_recovery"] = parse_pairs(
                "SCORELINE_PROVIDER_RECOVERY", env["SCORELINE_PROVIDER_RECOVERY"], "url"
            )
        for name, key in (
            ("SCORELINE_DATABASE_URL", "database_url"),
            ("SCORELINE_REDIS_URL", "redis_url"),
            ("SCORELINE_KAFKA_BOOTSTRAP", "kafka_bootstrap"),
        ):
            if env.get(name):
                values[key] = env[name]
        if "SCORELINE_REDIS_PREFIX" in env:
            values["redis_prefix"] = env["SCORELINE_REDIS_PREFIX"]
        for name, key in (
            ("SCORELINE_KAFKA_PARTITIONS", "kafka_partitions"),
            ("SCORELINE_KAFKA_SESSION_TIMEOUT_MS", "kafka_session_timeout_ms"),
            ("SCORELINE_KAFKA_HEARTBEAT_INTERVAL_MS", "kafka_heartbeat_interval_ms"),
        ):
            if env.get(name):
                values[key] = int(_positive(name, env))
        if env.get("SCORELINE_KAFKA_FETCH_MAX_WAIT_MS"):
            name = "SCORELINE_KAFKA_FETCH_MAX_WAIT_MS"
            values["kafka_fetch_max_wait_ms"] = _milliseconds(name, env[name])
        if env.get("SCORELINE_READ_MODELS"):
            values["read_models"] = parse_read_models(env["SCORELINE_READ_MODELS"])
        if env.get("SCORELINE_KAFKA_TOPIC"):
            values["kafka_topic"] = env["SCORELINE_KAFKA_TOPIC"]
        if env.get("SCORELINE_ADMIN_TOKEN"):
            values["admin_token"] = env["SCORELINE_ADMIN_TOKEN"]
        if "SCORELINE_GAP_TIMEOUT" in env:
            values["gap_timeout"] = _number("SCORELINE_GAP_TIMEOUT", env["SCORELINE_GAP_TIMEOUT"])
        if "SCORELINE_PROVIDER_RATE" in env:
            values["provider_rate"] = _positive("SCORELINE_PROVIDER_RATE", env)
        if "SCORELINE_PROVIDER_BURST" in env:
            values["provider_burst"] = _positive("SCORELINE_PROVIDER_BURST", env)
        if "SCORELINE_DEVICE_RATE" in env:
            values["device_rate"] = _positive("SCORELINE_DEVICE_RATE", env)
        if "SCORELINE_DEVICE_BURST" in env:
            values["device_burst"] = _positive("SCORELINE_DEVICE_BURST", env)
        for name, key in (
            ("SCORELINE_SSE_MAX_CONNECTIONS", "sse_max_connections"),
            ("SCORELINE_SSE_MAX_LAG", "sse_max_lag"),
        ):
            if env.get(name):
                values[key] = int(_positive(name, env))
        if "SCORELINE_SSE_DRAIN_DEADLINE" in env:
            values["sse_drain_deadline"] = _positive("SCORELINE_SSE_DRAIN_DEADLINE", env)
        try:
            values["push"] = PushSettings.from_env(env)
        except PushSettingsError as error:
            raise SettingsError(str(error)) from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise SettingsError naming the first malformed setting."""
        if self.role not in ROLES:
            raise SettingsError(f"--role must be one of {', '.join(ROLES)}, got {self.role!r}")
        if self.database_url is not None and not self.database_url.startswith(
            ("postgresql://", "postgres://")
        ):
            raise SettingsError(
                "SCORELINE_DATABASE_URL must be a postgresql:// URL, got "
                f"{_redacted(self.database_url)!r}"
            )
        if self.redis_url is not None and not self.redis_url.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise SettingsError(
                f"SCORELINE_REDIS_URL must be a redis:// URL, got {_redacted(self.redis_url)!r}"
            )
        if self.kafka_fetch_max_wait_ms < 0:
            raise SettingsError(
                "--kafka-fetch-max-wait-ms (SCORELINE_KAFKA_FETCH_MAX_WAIT_MS) must not be"
                f" negative, got {self.kafka_fetch_max_wait_ms}"
            )
        if self.kafka_bootstrap is not None:
            for server in self.kafka_bootstrap.split(","):
                host, _, port = server.strip().rpartition(":")
                if not host or not port.isdigit():
                    raise SettingsError(
                        "SCORELINE_KAFKA_BOOTSTRAP must be host:port[,host:port], got "
                        f"{self.kafka_bootstrap!r}"
                    )

        if self.read_models is not None:
            if self.role != "projector":
                raise SettingsError(
                    f"{_READ_MODELS_SETTING} is for --role projector, not {self.role!r}"
                )
            check_read_models(self.read_models)

    def projects(self, read_model: str) -> bool:
        """Whether this process writes ``read_model`` (its role projects, and the
        setting names it or names none)."""
        if "projector" not in WORKERS[self.role]:
            return False
        return self.read_models is None or read_model in self.read_models

    @property
    def is_embedded(self) -> bool:
        return not (self.database_url or self.redis_url or self.kafka_bootstrap)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


# What each role runs besides its HTTP endpoints (its background workers).
WORKERS: dict[str, tuple[str, ...]] = {
    "all": ("recorder", "projector", "notifier", "notification-worker"),
    "ingest": (),
    "recorder": ("recorder",),
    "projector": ("projector",),
    "gateway": (),
    "notifier": ("notifier",),
    "notification-worker": ("notification-worker",),
}
ROLES = tuple(WORKERS)
READ_MODELS = ("game_state", "history", "standings", "player_stats")
_READ_MODELS_SETTING = "--read-models (SCORELINE_READ_MODELS)"


def parse_read_models(text: str) -> frozenset[str]:
    """``game_state,history`` -> frozenset({"game_state", "history"}) (checked later)."""
    return frozenset(filter(None, (part.strip() for part in text.split(","))))


def check_read_models(names: frozenset[str]) -> None:
    unknown = sorted(names - set(READ_MODELS))
    if unknown or not names:
        raise SettingsError(
            f"{_READ_MODELS_SETTING} must name some of {', '.join(READ_MODELS)},"
            f" got {', '.join(unknown) or 'none'}"
        )
    if len(names & {"standings", "player_stats"}) == 1:
        raise SettingsError(
            f"{_READ_MODELS_SETTING}: standings and player_stats are projected together"
            " (one fold of the same boards); name both or neither"
        )


def _redacted(url: str) -> str:
    """A URL with any password replaced, fit for an error message."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def parse_secrets(text: str) -> dict[str, str]:
    """``name=secret,name2=secret2`` -> {"name": "secret", ...}."""
    return parse_pairs("SCORELINE_PROVIDER_SECRETS", text, "secret")


def parse_pairs(setting: str, text: str, what: str) -> dict[str, str]:
    """``name=value,name2=value2`` -> {"name": "value", ...}; errors name the setting."""
    pairs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value:
            raise SettingsError(
                f"{setting} must look like name={what},name2={what}2; "
                f"got an entry {name.strip() or part!r} without a {what}"
            )
        pairs[name.strip()] = value
    return pairs


def _positive(name: str, env: Mapping[str, str]) -> float:
    value = _number(name, env[name])
    if value <= 0:
        raise SettingsError(f"{name} must be above 0, got {env[name]!r}")
    return value


def _milliseconds(name: str, text: str) -> int:
    if not text.strip().isdigit():
        raise SettingsError(f"{name} must be a whole number of milliseconds, got {text!r}")
    return int(text)


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {text!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {text!r}")
    return value
