"""End to end: ``GameWatcher`` and ``scoreline watch`` against a real ``scoreline serve``,
through a proxy that can refuse streams (503, as a gateway at its cap does) and cut the
open ones: the client polls with ETags, comes back to streaming, and resumes gaplessly."""

from __future__ import annotations

import http.client
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from entrypoints.watch_client import GameWatcher, Update
from tests.e2e.conftest import LiveServer
from tests.e2e.test_polling import feed_game, goal


class Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream_port = upstream_port
        self.refuse_streams = False
        self.log: list[tuple[str, int, str | None]] = []  # path, status, If-None-Match
        self.streams: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def cut_streams(self) -> None:
        with self.lock:
            streams, self.streams = self.streams, []
        for conn in streams:
            if conn.sock is not None:
                conn.sock.shutdown(2)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Proxy

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        inm = self.headers.get("If-None-Match")
        if "/stream" in self.path and self.server.refuse_streams:
            body = b'{"title": "Too many streams"}'
            self.server.log.append((self.path, 503, inm))
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=60)
        skip = {"host", "connection"}
        conn.request(
            "GET",
            self.path,
            headers={k: v for k, v in self.headers.items() if k.lower() not in skip},
        )
        response = conn.getresponse()
        self.server.log.append((self.path, response.status, inm))
        self.send_response(response.status)
        hop = {"transfer-encoding", "connection", "content-length"}
        for name, value in response.getheaders():
            if name.lower() not in hop:
                self.send_header(name, value)
        if response.getheader("content-type", "").startswith("text/event-stream"):
            with self.server.lock:
                self.server.streams.append(conn)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                while chunk := response.read1(65536):
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                pass
            return
        body = response.read()
        conn.close()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[Proxy]:
    server = Proxy(live_server.port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.cut_streams()
    server.shutdown()
    server.server_close()


class Watching:
    """A GameWatcher run in a thread; its updates and mode switches in queues."""

    def __init__(self, url: str, game_id: str) -> None:
        self.updates: queue.Queue[Update] = queue.Queue()
        self.modes: list[str] = []
        self.slept: list[float] = []
        self.watcher = GameWatcher(
            url,
            game_id,
            poll_interval=0.2,
            jitter=0.3,
            stream_retry=1.0,
            on_mode=lambda mode, reason: self.modes.append(mode),
            sleep=self._sleep,
        )
        self.seen: list[Update] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        time.sleep(seconds)

    def _run(self) -> None:
        try:
            for update in self.watcher.updates():
                self.updates.put(update)
        except Exception:  # closed at the end of the test
            pass

    def next(self, timeout: float = 10.0) -> Update:
        update = self.updates.get(timeout=timeout)
        self.seen.append(update)
        return update

    def until(self, predicate: Any, timeout: float = 15.0) -> Update:
        deadline = time.monotonic() + timeout
        while True:
            update = self.next(max(0.1, deadline - time.monotonic()))
            if predicate(update):
                return update


def test_the_watcher_polls_when_refused_streams_again_and_resumes_after_a_cut(
    live_server: LiveServer, proxy: Proxy
) -> None:
    game_id = f"watch-{uuid.uuid4().hex[:8]}"
    seq = feed_game(live_server, game_id)
    live_server.wait_for(game_id, lambda s: s["status"] == "LIVE", 20)
    proxy.refuse_streams = True
    watching = Watching(proxy.url, game_id)
    try:
        first = watching.next()
        assert first.via == "poll" and first.state["status"] == "LIVE"
        assert watching.watcher.mode == "poll"
        deadline = time.monotonic() + 10
        while not any(p.endswith("/state") and s == 304 and inm for p, s, inm in proxy.log):
            assert time.monotonic() < deadline, f"no conditional 304 poll: {proxy.log}"
            time.sleep(0.1)
        goal(live_server, game_id, seq)
        scored = watching.until(lambda u: u.state["home_score"] == 1)
        assert scored.via == "poll"
        pauses = list(watching.slept)  # between polls: 0.2 s plus a jitter of 0 to 0.3 s
        assert len(pauses) >= 3 and all(0.2 <= p <= 0.5 for p in pauses), pauses
        assert len(set(pauses)) > 1, "polls in step: no jitter"

        proxy.refuse_streams = False  # the gateway has room again
        deadline = time.monotonic() + 10
        while watching.watcher.mode != "stream":
            assert time.monotonic() < deadline, f"never streamed again: {watching.modes}"
            time.sleep(0.05)
        goal(live_server, game_id, seq + 1)
        streamed = watching.until(lambda u: u.state["home_score"] == 2)
        assert streamed.via == "stream" and streamed.event is not None
        assert streamed.event["event_type"] == "GOAL"

        # Cut the open stream, score meanwhile: the reopened stream resumes by Last-Event-ID.
        proxy.cut_streams()
        goal(live_server, game_id, seq + 2)
        goal(live_server, game_id, seq + 3)
        last = watching.until(lambda u: u.state["home_score"] == 4)
        assert last.version == live_server.state(game_id)["version"]
        versions = [u.version for u in watching.seen]
        assert versions == sorted(set(versions)), f"a version twice or out of order: {versions}"
        resumed = [p for p, s, _ in proxy.log if "/stream" in p and s == 200]
        assert len(resumed) >= 2
        assert watching.modes[:2] == ["poll", "stream"]
    finally:
        watching.watcher.close()


def test_scoreline_watch_prints_a_line_per_update(live_server: LiveServer) -> None:
    game_id = f"watch-{uuid.uuid4().hex[:8]}"
    seq = feed_game(live_server, game_id)
    state = live_server.wait_for(game_id, lambda s: s["status"] == "LIVE", 20)
    command = [sys.executable, "-m", "entrypoints.cli", "watch", game_id]
    command += ["--url", live_server.base_url, "--count", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith(f"v{state['version']} ") and "LIVE" in first, first
        assert "ars 0-0 che" in first and first.rstrip().endswith("(stream)")
        goal(live_server, game_id, seq)
        second = process.stdout.readline()
        assert "ars 1-0 che" in second and "GOAL" in second, second
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_scoreline_watch_refuses_an_unknown_game(live_server: LiveServer) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "watch", "nope", "--url", live_server.base_url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "no game 'nope'" in done.stderr
