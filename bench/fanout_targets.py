"""The targets of ``bench fanout`` and the interleaved measurement of them.

A :class:`Target` is a server with N idle subscribers of the load generator on one
channel and a way to publish a goal on it. :func:`measure_together` connects the
subscribers of every target first (each target's RSS before and after, so its
growth per idle subscriber), then publishes goals to the targets in turn (the
order alternating goal by goal), waiting after each goal until every subscriber
has it: so background load on the shared 2 cores falls on all targets alike.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import httpx
import redis

from bench.fanout_load import Spec, Subscribers, token
from bench.fleet import clean_environ
from bench.report import percentile
from bench.services import REDIS_URL, free_port, process_cpu_seconds, stop_process, wait_reachable
from bench.traffic import body_and_headers, live_games, webhook

PROVIDER, SECRET = "fanout-bench", "fanout-bench-secret"
HOST = "127.0.0.1"
Publish = Callable[[int, int], None]  # (goal token number, goal index) -> None


@dataclass
class Target:
    name: str
    pid: int
    port: int
    path: str
    base: int  # goal token numbers of this target start here
    publish: Publish
    crowds: list[Subscribers] = field(default_factory=list)
    sent: dict[int, float] = field(default_factory=dict)
    cpu: float = 0.0
    rss_kb_per_connection: float = math.nan
    opened: int = 0
    failed: int = 0


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def goal_message(game_id: str, version: int, goal: int, state: dict[str, Any]) -> bytes:
    """What the projector publishes for a goal: the event and the state after it."""
    event = {
        "event_id": token(goal),
        "game_id": game_id,
        "event_type": "GOAL",
        "team_id": state.get("home_team_id") or "home",
        "sequence_number": version,
        "period": state.get("period", 1),
    }
    message = {"game_id": game_id, "version": version, "event": event, "state": state}
    return json.dumps(message).encode()


def connect(target: Target, shares: list[int]) -> None:
    time.sleep(0.5)
    before = rss_kb(target.pid)
    target.crowds = [Subscribers(Spec(HOST, target.port, target.path, n)) for n in shares]
    for crowd in target.crowds:
        crowd.start()
    answers = [crowd.wait_open(300) for crowd in target.crowds]
    target.opened = sum(a[0] for a in answers)
    target.failed = sum(a[1] for a in answers)
    if target.failed:
        first = next(a[2] for a in answers if a[1])
        print(f"{target.failed} subscribers failed on {target.name}: {first}", file=sys.stderr)
    time.sleep(2)
    target.rss_kb_per_connection = (rss_kb(target.pid) - before) / max(1, target.opened)


def one_goal(target: Target, number: int, pause: float) -> None:
    goal = target.base + number
    cpu = process_cpu_seconds(target.pid)
    target.sent[goal] = time.monotonic()
    target.publish(goal, number)
    waiting = {crowd.conn.fileno(): crowd.conn for crowd in target.crowds}
    deadline = time.monotonic() + 30
    while waiting and time.monotonic() < deadline:
        left = max(0.0, deadline - time.monotonic())
        for ready in wait(list(waiting.values()), timeout=left):
            conn = waiting[ready.fileno()]  # type: ignore[union-attr]
            kind, value = conn.recv()
            if kind == "done" and value == goal:
                del waiting[conn.fileno()]
    target.cpu += process_cpu_seconds(target.pid) - cpu
    time.sleep(pause)


def figures(target: Target, goals: int) -> dict[str, Any]:
    latencies: list[float] = []
    per_goal: dict[int, list[float]] = {}
    generator_cpu = 0.0
    for crowd in target.crowds:
        receipts, cpu = crowd.finish()
        generator_cpu += cpu
        for goal, times in receipts.items():
            if goal in target.sent:
                ms = [1000 * (t - target.sent[goal]) for t in times]
                latencies.extend(ms)
                per_goal.setdefault(goal, []).extend(ms)
    return {
        "subscribers_open": target.opened,
        "subscribers_failed": target.failed,
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p90_ms": round(percentile(latencies, 0.9), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=math.nan), 1),
        "p99_ms_per_goal": [round(percentile(v, 0.99), 1) for _, v in sorted(per_goal.items())],
        "missing": target.opened * goals - len(latencies),
        "rss_kb_per_connection": round(target.rss_kb_per_connection, 2),
        "target_cpu_s": round(target.cpu, 2),
        "generator_cpu_s": round(generator_cpu, 2),
    }


def measure_together(
    targets: list[Target], shares: list[int], goals: int, pause: float, profile: Any = None
) -> dict[str, dict[str, Any]]:
    for target in targets:
        connect(target, shares)
    for target in targets:
        for crowd in target.crowds:
            crowd.mark()
    with profile if profile is not None else contextlib.nullcontext():
        for number in range(goals):
            order = targets if number % 2 == 0 else targets[::-1]
            for target in order:
                one_goal(target, number, pause)
    return {target.name: figures(target, goals) for target in targets}


@contextlib.contextmanager
def gateway(
    data_dir: Path,
    prefix: str,
    subscribers: int,
    base: int,
    uvloop: bool = False,
    send_path: bool = False,
) -> Iterator[tuple[Target, dict[str, Any]]]:
    """A fresh embedded ``scoreline serve`` (broker: Redis) with one live game;
    ``send_path``: with no scope's transport taken for direct writes (the stream
    endpoint then finds none, and every frame goes through uvicorn's ``send``)."""
    port = free_port()
    env = {
        **clean_environ(),
        "SCORELINE_REDIS_URL": REDIS_URL,
        "SCORELINE_REDIS_PREFIX": prefix,
        "SCORELINE_PROVIDER_SECRETS": f"{PROVIDER}={SECRET}",
        "SCORELINE_SSE_MAX_CONNECTIONS": str(subscribers + 1000),
        "SCORELINE_SSE_DRAIN_DEADLINE": "2",
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "gateway.log").open("ab")
    command = [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    prelude = []
    if uvloop:
        prelude.append("import uvloop; uvloop.install()")
    if send_path:
        prelude.append("from entrypoints.web.fanout import stream")
        prelude.append("stream.TRANSPORT_EXTENSION = 'scoreline.no-direct-writes'")
    if prelude:
        launch = "; ".join([*prelude, "import sys; from entrypoints.cli import main"])
        command[1:3] = ["-c", launch + "; sys.exit(main())"]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    publisher = redis.Redis.from_url(REDIS_URL)
    try:
        try:
            wait_reachable(HOST, port, "the gateway", 60)
        except RuntimeError:
            log.flush()
            tail = (data_dir / "gateway.log").read_text()[-1500:]
            raise RuntimeError(f"the gateway did not come up; its log ends:\n{tail}") from None
        state = create_game(f"http://{HOST}:{port}", "fanout")
        game_id, version = state["game_id"], int(state["version"])
        channel = f"{prefix}game:{game_id}:updates"

        def publish(goal: int, number: int) -> None:
            message = goal_message(game_id, version + number + 1, goal, state)
            publisher.publish(channel, message)

        path = f"/games/{game_id}/stream"
        yield Target("scoreline", process.pid, port, path, base, publish), state
    finally:
        publisher.close()
        stop_process(process, 20)
        log.close()


def create_game(url: str, game_id: str) -> dict[str, Any]:
    (game,) = live_games(1, 2, prefix=game_id)
    body, headers = body_and_headers(game.events, SECRET)
    r = httpx.post(webhook(url, PROVIDER), content=body, headers=headers, timeout=30)
    r.raise_for_status()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        s = httpx.get(f"{url}/games/{game.game_id}/state", timeout=10)
        if s.status_code == 200 and s.json()["version"] >= 2:
            state: dict[str, Any] = s.json()
            return state
        time.sleep(0.1)
    raise RuntimeError("the bench game never reached the gateway's state")


@contextlib.contextmanager
def nchan(
    pid: int, port: int, channel: str, base: int, goals: int, state: dict[str, Any]
) -> Iterator[Target]:
    """Nchan's channel ``channel``, published with the gateway's payloads."""
    payloads = {
        base + n: goal_message(state["game_id"], 3 + n, base + n, state) for n in range(goals)
    }
    connection = http.client.HTTPConnection(HOST, port, timeout=30)

    def publish(goal: int, number: int) -> None:
        connection.request("POST", f"/pub/{channel}", body=payloads[goal])
        connection.getresponse().read()

    try:
        yield Target("nchan", pid, port, f"/sub/{channel}", base, publish)
    finally:
        connection.close()


@contextlib.contextmanager
def sse_starlette(
    prefix: str, number: int, base: int, goals: int, state: dict[str, Any], uvloop: bool
) -> Iterator[Target]:
    """One sse-starlette response per subscriber (``bench/sse_starlette_peer.py``)."""
    port = free_port()
    channel = f"{prefix}naive{number}"
    command = [sys.executable, "-m", "bench.sse_starlette_peer", str(port), REDIS_URL, channel]
    command += ["uvloop"] if uvloop else []
    process = subprocess.Popen(command, env=clean_environ())
    publisher = redis.Redis.from_url(REDIS_URL)
    payloads = {
        base + n: goal_message(state["game_id"], 3 + n, base + n, state) for n in range(goals)
    }

    def publish(goal: int, n: int) -> None:
        publisher.publish(channel, payloads[goal])

    try:
        wait_reachable(HOST, port, "the sse-starlette peer", 30)
        yield Target("sse_starlette", process.pid, port, "/sub", base, publish)
    finally:
        publisher.close()
        process.kill()
        process.wait()
