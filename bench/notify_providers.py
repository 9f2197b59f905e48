"""The stand-ins for Apple and Google: ``python -m bench.push_servers`` in a process of
its own, under ``nice`` (so it takes CPU only when our processes leave some), and its
counters (``GET /_stats`` over HTTP/2, the senders' own transport)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.push.http2 import Http2Transport
from bench.services import stop_process


@dataclass(frozen=True)
class PushServersProcess:
    pid: int
    env: dict[str, str]  # SCORELINE_APNS_* / FCM_* / PUSH_CA_FILE
    nice: int

    @property
    def stats_urls(self) -> tuple[str, str]:
        return (
            f"{self.env['SCORELINE_APNS_URL'].rstrip('/')}/_stats",
            f"{self.env['SCORELINE_FCM_URL'].rstrip('/')}/_stats",
        )


@contextlib.contextmanager
def push_servers(nice: int, record: str = "ids") -> Iterator[PushServersProcess]:
    """Start the local APNs and FCM servers (fresh keys, fresh counters); stop after."""
    with tempfile.TemporaryDirectory(prefix="bench-push-") as tmp:
        log = (Path(tmp) / "push-servers.log").open("ab")
        command = [sys.executable, "-m", "bench.push_servers", "--dir", tmp, "--record", record]
        if nice:
            command = ["nice", "-n", str(nice), *command]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
        try:
            ready = _ready_line(process, timeout=60)
            yield PushServersProcess(process.pid, dict(ready["env"]), nice)
        finally:
            stop_process(process, 20)
            log.close()


def _ready_line(process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the push servers exited with {process.returncode}")
        readable, _, _ = select.select([process.stdout], [], [], 0.2)
        if readable:
            found: dict[str, Any] = json.loads(process.stdout.readline())
            if not found.get("ready"):
                raise RuntimeError(f"the push servers said {found}")
            return found
    raise RuntimeError("the push servers never said ready")


class PushStats:
    """Both servers' counters, summed: ``accepted``, ``duplicates``, ``requests``."""

    def __init__(self, servers: PushServersProcess) -> None:
        self._urls = servers.stats_urls
        self._transport = Http2Transport(ca_file=servers.env["SCORELINE_PUSH_CA_FILE"])

    async def read(self) -> dict[str, int]:
        total = {"accepted": 0, "duplicates": 0, "requests": 0}
        for url in self._urls:
            answer = await self._transport.get(url)
            stats = json.loads(answer.body)
            for key in total:
                total[key] += int(stats.get(key, 0))
        return total

    async def close(self) -> None:
        await self._transport.close()


async def wait_accepted(
    stats: PushStats, count: int, timeout: float, interval: float = 0.05
) -> tuple[float, list[tuple[float, int]], dict[str, int]]:
    """Poll until the servers accepted ``count`` (or ``timeout`` s passed): the
    time.monotonic() of the poll that saw it, the timeline (time, accepted), last stats."""
    deadline = time.monotonic() + timeout
    timeline: list[tuple[float, int]] = []
    while True:
        found = await stats.read()
        now = time.monotonic()
        timeline.append((now, found["accepted"]))
        if found["accepted"] >= count or now > deadline:
            return now, timeline, found
        await asyncio.sleep(interval)
