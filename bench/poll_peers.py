"""What the polling benchmarks run: one gateway process with live games, and its peers.

- ``gateway(...)``: ``scoreline serve`` (embedded, one process) on a free port, with
  ``games`` live games fed through the signed provider API; yields a :class:`Gateway`.
  ``in_protocol=False`` runs it with the poll protocol unbound (:data:`ASGI_ONLY`): every
  poll through uvicorn's ASGI cycle, as before ``entrypoints.web.poll_protocol``.
- ``nginx_static(...)``: nginx (Debian ``nginx-light``, one worker, no access log)
  serving the same state JSON as a static file, with nginx's own strong ETag.
- ``redis_get_peer(...)``: the seed's design, a plain Starlette endpoint doing one Redis
  GET per request (``bench.redis_get_peer``) under uvicorn, one process.
- ``wrk(...)``: one wrk run (Debian ``wrk``), its requests per second.
Each Debian package is installed with apt-get when missing, saying so first.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.services import free_port, stop_process, wait_reachable
from entrypoints.feed_push import signed_headers

PROVIDER, SECRET = "bench", "bench-secret"


def ensure_package(binary: str, package: str, why: str) -> str:
    """The binary's path, after ``apt-get install package`` if it is missing."""
    found = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if Path(p).exists()), None
    )
    if found:
        return found
    print(f"{binary} is missing: installing Debian's {package} ({why})", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    found = shutil.which(binary) or f"/usr/sbin/{binary}"
    if not Path(found).exists():
        raise RuntimeError(f"installing {package} gave no {binary}")
    return found


@dataclass
class Gateway:
    port: int
    pid: int
    games: list[str]
    data_dir: Path
    seq: dict[str, int] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def push(self, events: list[dict[str, Any]]) -> None:
        body = json.dumps(events).encode()
        response = httpx.post(
            f"{self.base_url}/providers/{PROVIDER}/events",
            content=body,
            headers=signed_headers(SECRET, body),
            timeout=30,
        )
        if response.status_code != 202:
            raise RuntimeError(f"push refused: {response.status_code} {response.text}")

    def goal(self, game_id: str) -> None:
        self.seq[game_id] += 1
        n = self.seq[game_id]
        self.push([_event(game_id, n, "GOAL", team_id="home", clock_seconds=60 * n, period=1)])

    def state(self, game_id: str) -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(f"{self.base_url}/games/{game_id}/state").json()
        return found

    def metric(self, name: str) -> float:
        text = httpx.get(f"{self.base_url}/metrics", timeout=10).text
        found = re.search(rf"^{name} (\S+)$", text, re.M)
        return float(found[1]) if found else 0.0

    def state_requests(self) -> float:
        """State requests answered so far (each counts one near-cache hit or miss)."""
        return self.metric("scoreline_cache_hits_total") + self.metric(
            "scoreline_cache_misses_total"
        )


def _event(game_id: str, seq: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"{game_id}-e{seq}",
        "game_id": game_id,
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": kind,
        **fields,
    }


ASGI_ONLY = """
import sys
from entrypoints.web import poll_protocol
bound = poll_protocol.poll_protocol
poll_protocol.poll_protocol = lambda near_cache: bound(None)
from entrypoints.cli import main
sys.exit(main(sys.argv[1:]))
"""
"""``python -c ASGI_ONLY serve ...``: ``scoreline serve`` whose protocol answers no poll itself."""


@contextlib.contextmanager
def gateway(games: int = 1, *, in_protocol: bool = True) -> Iterator[Gateway]:
    """``scoreline serve`` on a free port with ``games`` live games (ids ``poll-N``)."""
    directory = Path(tempfile.mkdtemp(prefix="scoreline-poll-"))
    port = free_port()
    launch = ["-m", "entrypoints.cli"] if in_protocol else ["-c", ASGI_ONLY]
    command = [sys.executable, *launch]
    command += ["serve", "--port", str(port), "--data-dir", str(directory / "data")]
    command += ["--log-level", "warning"]
    env = {**os.environ, "SCORELINE_PROVIDER_SECRETS": f"{PROVIDER}={SECRET}"}
    log = (directory / "gateway.log").open("ab")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_reachable("127.0.0.1", port, "the gateway", 60)
        running = Gateway(port, process.pid, [f"poll-{i}" for i in range(games)], directory)
        for game_id in running.games:
            schedule = {"home_team_id": "home", "away_team_id": "away"}
            running.push(
                [
                    _event(game_id, 1, "GAME_SCHEDULED", schedule=schedule),
                    _event(game_id, 2, "GAME_STARTED"),
                ]
            )
            running.seq[game_id] = 2
        deadline = time.monotonic() + 30
        for game_id in running.games:
            while httpx.get(f"{running.base_url}/games/{game_id}/state").status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"game {game_id} never showed up")
                time.sleep(0.05)
        yield running
    finally:
        stop_process(process, 20)
        shutil.rmtree(directory, ignore_errors=True)


NGINX = """\
daemon off;
user root;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    root {dir}/html;
    default_type application/json;
    etag on;
    add_header Cache-Control no-cache;
  }}
}}
"""


@contextlib.contextmanager
def nginx_static(files: Mapping[str, bytes]) -> Iterator[tuple[str, int]]:
    """nginx serving ``files`` (path -> bytes) on a free port; yields (url, worker pid)."""
    binary = ensure_package("nginx", "nginx-light", "the static-file peer")
    directory = Path(tempfile.mkdtemp(prefix="scoreline-nginx-"))
    for path, content in files.items():
        target = directory / "html" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    port = free_port()
    (directory / "nginx.conf").write_text(NGINX.format(dir=directory, port=port))
    process = subprocess.Popen(
        [binary, "-c", str(directory / "nginx.conf"), "-p", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_reachable("127.0.0.1", port, "nginx", 20)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        yield f"http://127.0.0.1:{port}", int(children[0]) if children else process.pid
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def redis_get_peer(redis_url: str, key: str) -> Iterator[tuple[str, int]]:
    """The seed's endpoint (one Redis GET per request) under uvicorn; (url, pid)."""
    port = free_port()
    env = {**os.environ, "PEER_REDIS_URL": redis_url, "PEER_KEY": key}
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.redis_get_peer:create"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    command += ["--loop", "uvloop", "--http", "httptools"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_reachable("127.0.0.1", port, "the Redis-per-request peer", 30)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(10)


def wrk(url: str, *, seconds: float, connections: int, headers: Mapping[str, str] = {}) -> float:
    """Requests per second of one wrk run (one thread: the other core is the server's)."""
    binary = ensure_package("wrk", "wrk", "the HTTP load generator")
    command = [binary, "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors[1]} error answers under load\n{out}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"no rate in wrk's output:\n{out}")
    return float(found[1])
