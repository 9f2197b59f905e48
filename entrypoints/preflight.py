"""Fail fast: every configured service is reachable before a process starts serving.

Each failure is one line naming the setting, never a traceback.
"""

from __future__ import annotations

import socket

from entrypoints.settings import Settings, SettingsError, _redacted


def check_services(settings: Settings, timeout: float = 3.0) -> None:
    if settings.database_url:
        _check_postgres(settings.database_url, timeout)
    if settings.redis_url:
        _check_redis(settings.redis_url, timeout)
    if settings.kafka_bootstrap:
        _check_kafka(settings.kafka_bootstrap, timeout)


def _check_postgres(url: str, timeout: float) -> None:
    import psycopg

    from adapters.postgres_schema import conninfo

    try:
        info = conninfo(url)
    except ValueError as error:
        raise SettingsError(f"SCORELINE_DATABASE_URL: {error}") from None
    try:
        with psycopg.connect(info, connect_timeout=max(1, int(timeout))) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SettingsError(
            f"SCORELINE_DATABASE_URL: cannot use {_redacted(url)}: {reason}"
        ) from None


def _check_redis(url: str, timeout: float) -> None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as error:
        raise SettingsError(f"SCORELINE_REDIS_URL: cannot use {_redacted(url)}: {error}") from None


def _check_kafka(bootstrap: str, timeout: float) -> None:
    failures = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout):
                return  # one reachable bootstrap server is enough
        except OSError as error:
            failures.append(f"{server.strip()}: {error.strerror or error}")
    raise SettingsError(f"SCORELINE_KAFKA_BOOTSTRAP: no broker reachable ({'; '.join(failures)})")
