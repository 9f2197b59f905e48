"""A real ``scoreline serve`` process on a free port, and ways to talk to it."""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from entrypoints.feed_push import signed_headers
from tests.e2e.statsbomb_feeds import convert

PROVIDER, SECRET, ADMIN = "e2e", "e2e-secret", "e2e-admin"
BACKUP, BACKUP_SECRET = "e2e-backup", "e2e-backup-secret"
SECRETS = {PROVIDER: SECRET, BACKUP: BACKUP_SECRET}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    data_dir: Path
    port: int
    gap_timeout: float = 60.0
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)  # more SCORELINE_* settings

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        env = {
            **os.environ,
            "SCORELINE_PROVIDER_SECRETS": ",".join(f"{k}={v}" for k, v in SECRETS.items()),
            "SCORELINE_ADMIN_TOKEN": ADMIN,
            "SCORELINE_GAP_TIMEOUT": str(self.gap_timeout),
            **self.env,
        }
        log = (self.data_dir.parent / f"server-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "entrypoints.cli",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("server did not become healthy in 20 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def push(self, events: list[dict[str, Any]], provider: str = PROVIDER) -> httpx.Response:
        body = json.dumps(events).encode()
        return httpx.post(
            f"{self.base_url}/providers/{provider}/events",
            content=body,
            headers=signed_headers(SECRETS[provider], body),
            timeout=30,
        )

    def state(self, game_id: str) -> dict[str, Any]:
        r = httpx.get(f"{self.base_url}/games/{game_id}/state", timeout=10)
        r.raise_for_status()
        state: dict[str, Any] = r.json()
        return state

    def wait_for(self, game_id: str, predicate: Any, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            r = httpx.get(f"{self.base_url}/games/{game_id}/state", timeout=10)
            if r.status_code == 200:
                last = r.json()
                if predicate(last):
                    return last
            time.sleep(0.1)
        raise AssertionError(f"game {game_id} never matched; last state {last}")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "data", free_port()).start()
    yield server
    server.stop()


Match = tuple[str, str, str, str]  # (shared-data file id, game id, home team, away team)


class ConvertedFeeds:
    """StatsBomb matches as native events (:func:`convert`, i.e. ``scoreline feed
    convert``), each converted once per session and the first time in parallel; every
    call gets its own copy."""

    def __init__(self) -> None:
        self._feeds: dict[Match, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __call__(self, matches: Sequence[Match]) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            missing = [m for m in dict.fromkeys(matches) if m not in self._feeds]
            if missing:
                with ThreadPoolExecutor(len(missing)) as pool:
                    feeds = list(pool.map(lambda m: convert(*m), missing))
                self._feeds.update(zip(missing, feeds, strict=True))
            return {m[1]: copy.deepcopy(self._feeds[m]) for m in matches}


@pytest.fixture(scope="session")
def converted_feeds() -> ConvertedFeeds:
    return ConvertedFeeds()
