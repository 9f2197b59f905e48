"""Launch Scoreline for a benchmark: a fleet of ``serve --role R`` processes on real
services, or the embedded single process; read their ``/metrics``; sign pushes.

Adapted from tests/e2e/fleet.py. Differences that matter for measuring:
- the provider rate limit is raised (``SCORELINE_PROVIDER_RATE``/``_BURST``): it is a
  per-provider policy, not a capacity, and one benchmark provider stands for many;
- the gap timeout is long (60 s), so a late event waits rather than being skipped;
- every process logs at ``warning`` to a file under the run's log directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.services import (
    REDIS_URL,
    free_port,
    postgres_database,
    redis_prefix,
    tansu_broker,
)
from entrypoints.cluster import SPLIT_READ_MODELS

PROVIDER, SECRET, ADMIN = "bench", "bench-secret", "bench-admin"
BENCH_ENV = {
    "SCORELINE_PROVIDER_SECRETS": f"{PROVIDER}={SECRET}",
    "SCORELINE_ADMIN_TOKEN": ADMIN,
    "SCORELINE_GAP_TIMEOUT": "60",
    "SCORELINE_PROVIDER_RATE": "100000",
    "SCORELINE_PROVIDER_BURST": "100000",
}


def clean_environ() -> dict[str, str]:
    """This process's environment without any SCORELINE_* setting of the caller."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SCORELINE_")}


@dataclass
class Member:
    role: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


@dataclass
class Fleet:
    """Role processes sharing one environment (the fleet), or one embedded process."""

    env: dict[str, str]
    logs: Path
    members: list[Member] = field(default_factory=list)
    service_pids: dict[str, int] = field(default_factory=dict)  # e.g. the Kafka broker

    def pids(self) -> dict[str, list[int]]:
        """Process ids by role, and of the private services, for CPU accounting."""
        found: dict[str, list[int]] = {}
        for m in self.members:
            found.setdefault(m.role, []).append(m.pid)
        for name, pid in self.service_pids.items():
            found[name] = [pid]
        return found

    def upgrade(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "entrypoints.cli", "db", "upgrade"],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def add(self, role: str, *extra: str, nice: int = 0) -> Member:
        """Start ``serve --role role`` (under ``nice -n nice`` when given: same pid)."""
        member = Member(role, free_port())
        self.members.append(member)
        log = (self.logs / f"{role}-{member.port}.log").open("ab")
        command = [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(member.port)]
        if nice:
            command = ["nice", "-n", str(nice), *command]
        if role != "all":
            command += ["--role", role]
        member.process = subprocess.Popen(
            [*command, "--log-level", "warning", *extra],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return member

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        for member in self.members:
            while True:
                assert member.process is not None
                if member.process.poll() is not None:
                    log = self.logs / f"{member.role}-{member.port}.log"
                    tail = log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(
                        f"{member.role} exited with {member.process.returncode}:\n{tail}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{member.url}/healthz", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{member.role} on {member.port} never became healthy")
                time.sleep(0.1)

    def of(self, role: str) -> list[Member]:
        return [m for m in self.members if m.role == role]

    def stop(self) -> None:
        for member in self.members:
            if member.process is not None and member.process.poll() is None:
                member.process.send_signal(signal.SIGTERM)
        for member in self.members:
            if member.process is not None:
                try:
                    member.process.wait(20)
                except subprocess.TimeoutExpired:
                    member.process.kill()
                    member.process.wait()


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_prefix: str
    kafka_bootstrap: str
    kafka_pid: int
    topic: str
    partitions: int

    @property
    def redis_url(self) -> str:
        return REDIS_URL

    def env(self) -> dict[str, str]:
        return {
            **clean_environ(),
            **BENCH_ENV,
            "SCORELINE_DATABASE_URL": self.database_url,
            "SCORELINE_REDIS_URL": self.redis_url,
            "SCORELINE_REDIS_PREFIX": self.redis_prefix,
            "SCORELINE_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "SCORELINE_KAFKA_TOPIC": self.topic,
            "SCORELINE_KAFKA_PARTITIONS": str(self.partitions),
            "SCORELINE_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "SCORELINE_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
        }


@contextlib.contextmanager
def services(partitions: int = 12) -> Iterator[Services]:
    """Fresh PostgreSQL database, Redis prefix and a private Tansu broker for one round."""
    with (
        postgres_database("fleet") as database_url,
        redis_prefix() as prefix,
        tansu_broker() as (bootstrap, pid),
    ):
        topic = f"game-events-{uuid.uuid4().hex[:8]}"
        yield Services(database_url, prefix, bootstrap, pid, topic, partitions)


FLEET_ROLES = ("ingest", "recorder", "projector", "gateway", "notifier", "notification-worker")
# Two projectors splitting the read models (``running_fleet(extra=...)``): the game
# states, on the fans' path, in one; the other three in the other (as `scoreline cluster`).
SPLIT_PROJECTORS = tuple(
    ("projector", ("--read-models", read_models)) for read_models in SPLIT_READ_MODELS
)


@contextlib.contextmanager
def running_fleet(
    roles: Mapping[str, int],
    partitions: int = 12,
    *,
    env: Mapping[str, str] | None = None,
    nice: Mapping[str, int] | None = None,
    extra: Sequence[tuple[str, Sequence[str]]] = (),
) -> Iterator[Fleet]:
    """A started, healthy fleet (``{"ingest": 2, ...}``) on fresh services; stopped after.
    ``env`` adds settings (before ``db upgrade``); ``nice`` starts roles under ``nice -n``;
    ``extra``: more members, each ``(role, its serve options)``, started after the rest."""
    with services(partitions) as found, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        fleet = Fleet(
            {**found.env(), **(env or {})}, Path(tmp), service_pids={"kafka": found.kafka_pid}
        )
        try:
            fleet.upgrade()
            for role in FLEET_ROLES:
                for _ in range(roles.get(role, 0)):
                    fleet.add(role, nice=(nice or {}).get(role, 0))
            for role, options in extra:
                fleet.add(role, *options, nice=(nice or {}).get(role, 0))
            fleet.wait_healthy()
            yield fleet
        finally:
            fleet.stop()
            keep_logs(fleet.logs)


@contextlib.contextmanager
def running_embedded() -> Iterator[Fleet]:
    """``scoreline serve`` (role all, embedded SQLite, no services) on a fresh data dir."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        fleet = Fleet({**clean_environ(), **BENCH_ENV}, Path(tmp))
        try:
            fleet.add("all", "--data-dir", str(Path(tmp) / "data"))
            fleet.wait_healthy()
            yield fleet
        finally:
            fleet.stop()
            keep_logs(fleet.logs)


def keep_logs(logs: Path) -> None:
    """Copy the run's service logs to $BENCH_LOGS (when set) before they are deleted."""
    target = os.environ.get("BENCH_LOGS")
    if target:
        destination = Path(target) / f"{time.strftime('%H%M%S')}-{uuid.uuid4().hex[:4]}"
        shutil.copytree(logs, destination, ignore=shutil.ignore_patterns("data"))


def scrape(url: str, timeout: float = 5) -> dict[str, float]:
    """A process's ``/metrics`` as {sample name with labels: value} (Prometheus text)."""
    text = httpx.get(f"{url}/metrics", timeout=timeout).text
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                samples[name] = float(value)
    return samples


def metric(samples: Mapping[str, float], name: str) -> float:
    """The sum of every sample of ``name`` (all label sets)."""
    return sum(v for k, v in samples.items() if k == name or k.startswith(name + "{"))
