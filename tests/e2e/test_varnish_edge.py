"""End to end: a real Varnish running ``deploy/varnish/default.vcl`` in front of a real
``scoreline serve``: the edge honours the state's CDN directive (max-age, grace for
stale-while-revalidate, stale-if-error while the gateway is down), coalesces a crowd's
misses into one fetch, answers 304s itself, passes provider and ops endpoints, and
pipes SSE streams unbuffered.

Needs the Debian ``varnish`` package (``make test`` installs it); skipped, with that
reason, where ``varnishd`` is missing."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.conftest import LiveServer, free_port
from tests.e2e.test_polling import counter, feed_game, goal
from tests.e2e.varnish_edge import Edge, varnishd_path

pytestmark = pytest.mark.skipif(
    varnishd_path() is None, reason="varnishd not installed (Debian package varnish)"
)


@pytest.fixture
def edge(live_server: LiveServer) -> Iterator[Edge]:
    running = Edge(free_port(), live_server.port).start()
    yield running
    running.stop()


def origin_polls(server: LiveServer) -> float:
    """State requests the gateway has answered (each counts one near-cache hit or miss),
    read from the gateway itself, not through the edge."""
    metrics = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    return counter(metrics, "scoreline_cache_hits_total") + counter(
        metrics, "scoreline_cache_misses_total"
    )


def live_game(server: LiveServer) -> tuple[str, int]:
    game_id = f"edge-{uuid.uuid4().hex[:8]}"
    seq = feed_game(server, game_id)
    server.wait_for(game_id, lambda s: s["status"] == "LIVE", 20)
    return game_id, seq


def test_the_edge_serves_polls_from_cache_and_revalidates_once(
    live_server: LiveServer, edge: Edge
) -> None:
    game_id, seq = live_game(live_server)
    url = f"{edge.base_url}/games/{game_id}/state"
    with httpx.Client(timeout=10) as client:
        first = client.get(url)
        assert first.status_code == 200 and first.headers["x-cache"] == "MISS"
        tag = first.headers["etag"]
        assert first.headers["cache-control"] == "no-cache"  # the browser's, as sent
        assert "surrogate-control" not in first.headers  # consumed by the edge
        fetched = origin_polls(live_server)
        started = time.monotonic()
        answers = [client.get(url) for _ in range(100)]
        took = time.monotonic() - started
        assert all(a.status_code == 200 and a.json() == first.json() for a in answers)
        # max-age=1 s: at most one revalidation per second began.
        assert origin_polls(live_server) - fetched <= 1 + took
        conditional = client.get(url, headers={"If-None-Match": tag})
        assert conditional.status_code == 304 and conditional.headers["etag"] == tag

        goal(live_server, game_id, seq)
        live_server.wait_for(game_id, lambda s: s["home_score"] == 1, 20)
        # Within max-age + one revalidation, the edge serves the new state.
        deadline = time.monotonic() + 5
        while client.get(url).json()["home_score"] != 1:
            assert time.monotonic() < deadline, "the edge kept the old score"
            time.sleep(0.1)


def test_a_crowd_missing_together_causes_one_fetch(live_server: LiveServer, edge: Edge) -> None:
    game_id, _ = live_game(live_server)
    url = f"{edge.base_url}/games/{game_id}/state"
    clients = [httpx.Client(timeout=10) for _ in range(40)]
    for client in clients:  # connected to the edge beforehand: the polls leave together
        assert client.get(f"{edge.base_url}/healthz").status_code == 200
    fetched = origin_polls(live_server)
    start = threading.Barrier(len(clients))

    def poll(client: httpx.Client) -> int:
        start.wait()
        return client.get(url).status_code

    began = time.monotonic()
    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(poll, clients))
    took = time.monotonic() - began
    for client in clients:
        client.close()
    assert statuses == [200] * len(clients)
    # One fetch for the crowd (the rest waited on it), and at most one per max-age after.
    assert origin_polls(live_server) - fetched <= 1 + int(took), took


def test_stale_copies_are_served_while_the_gateway_is_down(
    live_server: LiveServer, edge: Edge
) -> None:
    game_id, _ = live_game(live_server)
    url = f"{edge.base_url}/games/{game_id}/state"
    fresh = httpx.get(url, timeout=10)
    assert fresh.status_code == 200
    live_server.stop()
    deadline = time.monotonic() + 10
    while edge.healthy():
        assert time.monotonic() < deadline, "the probe never saw the gateway go"
        time.sleep(0.2)
    time.sleep(6)  # past max-age + stale-while-revalidate, within stale-if-error
    stale = httpx.get(url, timeout=10)
    assert stale.status_code == 200
    assert stale.json() == fresh.json()
    assert int(stale.headers["age"]) >= 6
    cold = httpx.get(f"{edge.base_url}/games/never-polled/state", timeout=10)
    assert cold.status_code == 503  # nothing stale to serve


def test_provider_and_ops_endpoints_pass_through(live_server: LiveServer, edge: Edge) -> None:
    game_id = f"edge-{uuid.uuid4().hex[:8]}"
    event = {
        "event_id": f"{game_id}-e1",
        "game_id": game_id,
        "sport": "soccer",
        "sequence_number": 1,
        "event_type": "GAME_SCHEDULED",
        "schedule": {"home_team_id": "ars", "away_team_id": "che"},
    }
    via_edge = LiveServer(live_server.data_dir, edge.port)  # push through the edge
    assert via_edge.push([event]).status_code == 202
    live_server.wait_for(game_id, lambda s: s["version"] == 1, 20)
    for _ in range(3):
        metrics = httpx.get(f"{edge.base_url}/metrics", timeout=10)
        assert metrics.status_code == 200 and metrics.headers["x-cache"] == "MISS"
        rejected = httpx.get(f"{edge.base_url}/ops/rejected", timeout=10)
        assert rejected.status_code in (401, 403) and rejected.headers["x-cache"] == "MISS"


def test_streams_go_through_the_edge_unbuffered(live_server: LiveServer, edge: Edge) -> None:
    game_id, seq = live_game(live_server)
    url = f"{edge.base_url}/games/{game_id}/stream"
    received: list[dict[str, object]] = []
    opened = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", url, timeout=httpx.Timeout(10, read=30)) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            opened.set()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    if len(received) >= 2:
                        return

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    assert opened.wait(10), "the stream did not open through the edge"
    time.sleep(0.3)
    pushed = time.monotonic()
    goal(live_server, game_id, seq)
    reader.join(10)
    assert len(received) == 2, received  # the opening state, then the goal as it happened
    assert time.monotonic() - pushed < 5
    last = received[-1]
    assert isinstance(last.get("state"), dict) and last["state"]["home_score"] == 1  # type: ignore[index]
