"""``scoreline cluster`` starts a fleet, prints its ports, and stops it all on a signal."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from tests.services import free_port_run

CLI = [sys.executable, "-m", "entrypoints.cli"]


def upgraded_env(
    postgres_url: str,
    redis_service: tuple[str, str],
    kafka_bootstrap: str,
    redis_prefix: str,
    **more: str,
) -> dict[str, str]:
    """The environment of a cluster on the test services (its own Redis prefix and
    topic), with the database upgraded."""
    env = {
        **os.environ,
        "SCORELINE_DATABASE_URL": postgres_url,
        "SCORELINE_REDIS_URL": redis_service[0],
        "SCORELINE_REDIS_PREFIX": redis_service[1] + redis_prefix,
        "SCORELINE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SCORELINE_KAFKA_TOPIC": f"game-events-{uuid.uuid4().hex[:8]}",
        **more,
    }
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    return env


def test_cluster_starts_every_role_and_stops_them_cleanly(
    postgres_url: str, redis_service: tuple[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = upgraded_env(
        postgres_url,
        redis_service,
        kafka_bootstrap,
        "cluster:",
        SCORELINE_KAFKA_SESSION_TIMEOUT_MS="6000",
        SCORELINE_KAFKA_HEARTBEAT_INTERVAL_MS="1000",
        SCORELINE_NOTIFICATIONS_TOPIC=f"notifications-{uuid.uuid4().hex[:8]}",
    )
    base = free_port_run(9)
    errors = tmp_path / "cluster.stderr"
    cluster = subprocess.Popen(
        [
            *CLI,
            "cluster",
            "--ingest",
            "2",
            "--recorders",
            "2",
            "--projectors",
            "1",
            "--gateways",
            "2",
            "--base-port",
            str(base),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors.open("w"),
        text=True,
    )
    try:
        assert cluster.stdout is not None
        lines = [cluster.stdout.readline() for _ in range(9)]
        members = [re.match(r"([\w-]+)\s+http://127\.0\.0\.1:(\d+)", line) for line in lines]
        roles = [m.group(1) for m in members if m]
        assert roles == [
            "ingest",
            "ingest",
            "recorder",
            "recorder",
            "projector",
            "gateway",
            "gateway",
            "notifier",
            "notification-worker",
        ], lines
        ports = [int(m.group(2)) for m in members if m]
        deadline = time.monotonic() + 60
        for port in ports:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, (
                    f"port {port} never healthy: {errors.read_text()[-2000:]}"
                )
                time.sleep(0.2)
        assert (
            httpx.get(f"http://127.0.0.1:{ports[6]}/games", timeout=5).status_code == 200
        )  # a gateway
        assert httpx.get(f"http://127.0.0.1:{ports[0]}/games", timeout=5).status_code == 404
        cluster.send_signal(signal.SIGTERM)
        assert cluster.wait(40) == 0
        rest = cluster.stdout.read()
        assert "cluster stopped" in rest
        for port in ports:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                raise AssertionError(f"port {port} still answers")
            except httpx.TransportError:
                pass
    finally:
        if cluster.poll() is None:
            cluster.kill()


def test_a_split_cluster_runs_each_projector_as_two_ready_processes(
    postgres_url: str, redis_service: tuple[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = upgraded_env(postgres_url, redis_service, kafka_bootstrap, "split-cluster:")
    base = free_port_run(2)
    roles = ("ingest", "recorders", "gateways", "notifiers", "notification-workers")
    cluster = subprocess.Popen(
        [
            *(*CLI, "cluster", "--projectors", "1", "--split-read-models"),
            *(arg for role in roles for arg in (f"--{role}", "0")),
            *("--base-port", str(base)),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "cluster.stderr").open("w"),
        text=True,
    )
    try:
        assert cluster.stdout is not None
        lines = [cluster.stdout.readline() for _ in range(2)]
        found = [
            re.match(r"projector\s+http://127\.0\.0\.1:(\d+).*\((.+)\)$", line) for line in lines
        ]
        assert all(found), lines
        assert [m.group(2) for m in found if m] == ["game_state", "history,standings,player_stats"]
        deadline = time.monotonic() + 60
        for port in (int(m.group(1)) for m in found if m):
            while True:  # ready: its workers run and its read models are at the head
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).is_success:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "cluster.stderr").read_text()[
                    -2000:
                ]
                time.sleep(0.2)
        cluster.send_signal(signal.SIGTERM)
        assert cluster.wait(40) == 0
    finally:
        if cluster.poll() is None:
            cluster.kill()
