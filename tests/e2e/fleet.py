"""A fleet of ``scoreline serve --role R`` processes on real services, for e2e tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from entrypoints.feed_push import signed_headers
from tests.services import free_port

PROVIDER, SECRET, ADMIN = "fleet", "fleet-secret", "fleet-admin"


@dataclass
class Member:
    role: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Fleet:
    database_url: str
    redis_url: str
    kafka_bootstrap: str
    logs: Path
    redis_prefix: str = field(default_factory=lambda: f"fleet-{uuid.uuid4().hex[:8]}:")
    topic: str = field(default_factory=lambda: f"game-events-{uuid.uuid4().hex[:8]}")
    members: list[Member] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SCORELINE_DATABASE_URL": self.database_url,
            "SCORELINE_REDIS_URL": self.redis_url,
            "SCORELINE_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "SCORELINE_REDIS_PREFIX": self.redis_prefix,
            "SCORELINE_KAFKA_TOPIC": self.topic,
            "SCORELINE_KAFKA_PARTITIONS": "6",
            "SCORELINE_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "SCORELINE_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            "SCORELINE_PROVIDER_SECRETS": f"{PROVIDER}={SECRET}",
            "SCORELINE_ADMIN_TOKEN": ADMIN,
            "SCORELINE_GAP_TIMEOUT": "60",
            # Every test fan shares 127.0.0.1: one address's device limit is not under test.
            "SCORELINE_DEVICE_RATE": "100000",
            "SCORELINE_DEVICE_BURST": "100000",
        }

    def upgrade(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "entrypoints.cli", "db", "upgrade"],
            env=self.env(),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def add(self, role: str) -> Member:
        member = Member(role, free_port())
        self.members.append(member)
        self.start(member)
        return member

    def start(self, member: Member) -> None:
        log = (self.logs / f"{member.role}-{member.port}.log").open("ab")
        member.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "entrypoints.cli",
                "serve",
                "--role",
                member.role,
                "--port",
                str(member.port),
                "--log-level",
                "warning",
            ],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for member in self.members:
            while True:
                assert member.process is not None
                if member.process.poll() is not None:
                    raise AssertionError(f"{member.role} exited with {member.process.returncode}")
                try:
                    if httpx.get(f"{member.url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{member.role} on {member.port} never became healthy")
                time.sleep(0.1)

    def kill(self, member: Member) -> None:
        assert member.process is not None
        member.process.send_signal(signal.SIGKILL)
        member.process.wait(10)

    def stop(self) -> None:
        for member in self.members:
            if member.process is not None and member.process.poll() is None:
                member.process.terminate()
        for member in self.members:
            if member.process is not None:
                try:
                    member.process.wait(20)
                except subprocess.TimeoutExpired:
                    member.process.kill()

    def of(self, role: str) -> list[Member]:
        return [m for m in self.members if m.role == role]

    def push(
        self,
        member: Member,
        events: list[dict[str, Any]],
        attempts: int = 30,
        statuses: list[int] | None = None,
    ) -> None:
        """Send like a provider: retry on 429/503 (after Retry-After) and on no answer."""
        body = json.dumps(events).encode()
        for _ in range(attempts):
            try:
                r = httpx.post(
                    f"{member.url}/providers/{PROVIDER}/events",
                    content=body,
                    headers=signed_headers(SECRET, body),
                    timeout=30,
                )
            except httpx.TransportError:
                time.sleep(0.5)
                continue
            if statuses is not None:
                statuses.append(r.status_code)
            if r.status_code == 202:
                return
            assert r.status_code in (429, 503), r.text
            time.sleep(float(r.headers.get("retry-after", "1")))
        raise AssertionError("ingest never accepted the batch")

    def state(self, gateway: Member, game_id: str) -> dict[str, Any] | None:
        r = httpx.get(f"{gateway.url}/games/{game_id}/state", timeout=10)
        return r.json() if r.status_code == 200 else None
