"""``scoreline cluster``: a fleet of role processes on one machine, for trying the topology.

Starts ``scoreline serve --role R --port P`` processes against the configured services
(the environment's SCORELINE_* settings pass through), prints their ports, forwards
SIGINT and SIGTERM to all of them, and stops them all cleanly (SIGKILL after a grace).
With ``split_read_models`` each projector is two processes: one writing the game
states, one the other read models (``serve --read-models``).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType


@dataclass
class Member:
    role: str
    port: int
    process: subprocess.Popen[bytes]


ROLE_ORDER = ("ingest", "recorder", "projector", "gateway", "notifier", "notification-worker")
SPLIT_READ_MODELS = ("game_state", "history,standings,player_stats")


def plan(
    counts: dict[str, int], base_port: int, *, split_read_models: bool = False
) -> list[tuple[str, int, list[str]]]:
    """(role, port, its further serve options) of every member, in start order."""
    members: list[tuple[str, int, list[str]]] = []
    port = base_port
    for role in ROLE_ORDER:
        for _ in range(counts.get(role, 0)):
            if role == "projector" and split_read_models:
                for read_models in SPLIT_READ_MODELS:
                    members.append((role, port, ["--read-models", read_models]))
                    port += 1
            else:
                members.append((role, port, []))
                port += 1
    return members


def run(
    counts: dict[str, int],
    *,
    host: str,
    base_port: int,
    extra: list[str],
    split_read_models: bool = False,
) -> int:
    members: list[Member] = []
    for role, port, options in plan(counts, base_port, split_read_models=split_read_models):
        command = [
            sys.executable,
            "-m",
            "entrypoints.cli",
            "serve",
            "--role",
            role,
            "--host",
            host,
            "--port",
            str(port),
            *options,
            *extra,
        ]
        members.append(Member(role, port, subprocess.Popen(command)))
        writes = f"  ({options[-1]})" if options else ""
        print(f"{role:9s} http://{host}:{port}  pid {members[-1].process.pid}{writes}", flush=True)
    stopping = False

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for m in members:
            if m.process.poll() is None:
                m.process.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    reported: set[int] = set()
    while not stopping:
        for m in members:
            code = m.process.poll()
            if code is not None and m.process.pid not in reported:
                reported.add(m.process.pid)
                print(f"{m.role} on port {m.port} exited with {code}", flush=True)
        if len(reported) == len(members):
            return 1
        time.sleep(0.2)
    deadline = time.monotonic() + 20
    for m in members:
        try:
            m.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            m.process.kill()
            m.process.wait()
    print("cluster stopped", flush=True)
    return 0
