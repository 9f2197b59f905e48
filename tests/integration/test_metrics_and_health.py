"""``/metrics``, ``/healthz`` and ``/readyz``: on a small app, and on the in-memory wiring."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from domain.events import GameEvent
from entrypoints.composition import Services, build_in_memory
from entrypoints.feed_push import signed_headers
from entrypoints.metrics import (
    MeteredFeedMonitor,
    MeteredRejectedStore,
    Metrics,
    PartitionHeads,
    consumer_lags,
    metrics_endpoint,
    projector_lag,
)
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from entrypoints.web.health import (
    Check,
    NotReady,
    caught_up,
    healthz,
    reachable,
    readyz_endpoint,
    service_checks,
)
from projections.game_state import StateUpdate

SECRET = "s3cret"


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with exactly ``labels``, or None if absent."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return None


def small_app(metrics: Metrics, checks: dict[str, Check], timeout: float = 2.0) -> Starlette:
    return Starlette(
        routes=[
            Route("/metrics", metrics_endpoint(metrics)),
            Route("/healthz", healthz),
            Route("/readyz", readyz_endpoint(checks, timeout=timeout)),
        ]
    )


def update(game_id: str, version: int, provider: str = "acme") -> StateUpdate:
    event = {"provider": provider, "game_id": game_id, "sequence_number": version}
    return StateUpdate(game_id, version, event, {"version": version})


# ---------------------------------------------------------------- /metrics
def test_metrics_exposition_shows_every_update() -> None:
    now = [1000.0]
    metrics = Metrics(clock=lambda: now[0])
    metrics.received("acme", 3)
    metrics.received("beta")
    metrics.recorded("acme", "g1", 1, received_at=999.99)
    metrics.recorded("acme", "g1", 2, received_at=998.0)
    metrics.published([update("g1", 1), update("g1", 2), update("g2", 1)])  # g2: not seen
    metrics.rejected("webhook", "unauthorized")
    metrics.set_consumer_lag({0: 7, 3: 2})
    metrics.set_projector_lag(11)
    for _ in range(2):
        metrics.rejected("recorder", "conflict")
        metrics.sse_opened()
        metrics.cache_hit()
    metrics.sse_closed()
    metrics.cache_miss()

    with TestClient(small_app(metrics, {})) as client:
        r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert sample(text, "scoreline_events_received_total", provider="acme") == 3
    assert sample(text, "scoreline_events_received_total", provider="beta") == 1
    assert sample(text, "scoreline_events_recorded_total") == 2
    assert sample(text, "scoreline_events_projected_total") == 3
    rejected = "scoreline_events_rejected_total"
    assert sample(text, rejected, source="webhook", reason="unauthorized") == 1
    assert sample(text, rejected, source="recorder", reason="conflict") == 2
    assert sample(text, "scoreline_consumer_lag", partition="0") == 7
    assert sample(text, "scoreline_consumer_lag", partition="3") == 2
    assert sample(text, "scoreline_projector_lag") == 11
    assert sample(text, "scoreline_sse_connections") == 1
    assert sample(text, "scoreline_cache_hits_total") == 2
    assert sample(text, "scoreline_cache_misses_total") == 1
    # Two latencies: 10 ms and 2 s; the event never recorded here is not observed.
    assert sample(text, "scoreline_provider_to_fan_seconds_count") == 2
    assert sample(text, "scoreline_provider_to_fan_seconds_sum") == pytest.approx(2.01)
    for le, count in {"0.001": 0, "0.01": 1, "2.5": 2, "5.0": 2, "+Inf": 2}.items():
        assert sample(text, "scoreline_provider_to_fan_seconds_bucket", le=le) == count


def test_render_is_the_text_exposition_of_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.received("acme")
    text = first.render().decode()
    assert sample(text, "scoreline_events_received_total", provider="acme") == 1
    assert "# TYPE scoreline_provider_to_fan_seconds histogram" in text
    other = second.render().decode()
    assert sample(other, "scoreline_events_received_total", provider="acme") is None


def test_openmetrics_when_asked() -> None:
    metrics = Metrics()
    with TestClient(small_app(metrics, {})) as client:
        r = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert r.text.rstrip().endswith("# EOF")


def test_probes_run_at_scrape_and_a_failing_one_does_not_break_it() -> None:
    metrics = Metrics()
    lags = [{0: 5, 1: 1}]

    def broken() -> None:
        raise RuntimeError("store down")

    metrics.on_scrape(broken)
    metrics.on_scrape(lambda: metrics.set_consumer_lag(lags[0]))
    metrics.on_scrape(lambda: metrics.set_sse_connections(4))
    with TestClient(small_app(metrics, {})) as client:
        text = client.get("/metrics").text
        assert sample(text, "scoreline_consumer_lag", partition="1") == 1
        assert sample(text, "scoreline_sse_connections") == 4
        lags[0] = {0: 0}  # partition 1 revoked
        text = client.get("/metrics").text
    assert sample(text, "scoreline_consumer_lag", partition="0") == 0
    assert sample(text, "scoreline_consumer_lag", partition="1") is None


# ------------------------------------------------------- /healthz, /readyz
async def fine() -> None:
    return None


async def broken() -> None:
    raise ConnectionError("redis refused the connection")


async def hangs() -> None:
    await asyncio.sleep(30)


def test_healthz() -> None:
    with TestClient(small_app(Metrics(), {})) as client:
        r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_readyz_when_every_check_passes() -> None:
    checks: dict[str, Check] = {"store": fine, "lag": caught_up(lambda: 3, 10)}
    with TestClient(small_app(Metrics(), checks)) as client:
        r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"store": "ok", "lag": "ok"}}


def test_readyz_names_a_check_that_raises() -> None:
    async def silent() -> None:
        raise NotReady

    checks: dict[str, Check] = {"store": fine, "broker": broken, "silent": silent}
    with TestClient(small_app(Metrics(), checks)) as client:
        r = client.get("/readyz")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 503 and body["type"] == "urn:scoreline:problem:not-ready"
    assert body["failed"] == ["broker", "silent"]
    assert body["checks"] == {
        "store": "ok",
        "broker": "redis refused the connection",
        "silent": "NotReady",  # no message: its type
    }
    assert "broker" in body["detail"]


def test_readyz_does_not_hang_on_a_check_that_hangs() -> None:
    checks: dict[str, Check] = {
        "store": hangs,
        "blocking": reachable(lambda: time.sleep(1.5)),
        "fine": fine,
    }
    with TestClient(small_app(Metrics(), checks, timeout=0.2)) as client:
        started = time.monotonic()
        r = client.get("/readyz")
        elapsed = time.monotonic() - started
    assert elapsed < 1.2  # checks run together, each cut off at the timeout (0.2 s)
    assert r.status_code == 503
    body = r.json()
    assert sorted(body["failed"]) == ["blocking", "store"]
    assert body["checks"]["store"] == "timed out after 0.2 s"


def test_readyz_when_too_far_behind() -> None:
    checks: dict[str, Check] = {"projector": caught_up(lambda: 50, 10, what="notifications behind")}
    with TestClient(small_app(Metrics(), checks)) as client:
        r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"] == {"projector": "50 notifications behind (bound 10)"}


# ------------------------------------------------------ the in-memory wiring
def instrument(services: Services, metrics: Metrics) -> None:
    """What the composition root does (see entrypoints.metrics), applied after the fact."""
    monitor = MeteredFeedMonitor(metrics)
    services.monitor = services.ingestion.monitor = services.recorder.monitor = monitor
    rejected = MeteredRejectedStore(services.rejected, metrics)
    services.rejected = services.recorder.rejected = rejected
    publish = services.follower.publish
    assert publish is not None

    async def published(updates: Any) -> None:
        await publish(updates)
        metrics.published(updates)

    services.follower.publish = published
    metrics.on_scrape(
        lambda: metrics.set_projector_lag(projector_lag(services.scorekeeper, [services.follower]))
    )
    metrics.on_scrape(lambda: metrics.set_sse_connections(services.hub.subscriber_count()))


@pytest.fixture
def wired() -> Iterator[tuple[TestClient, Services, Metrics]]:
    services = build_in_memory(Settings(provider_secrets={"acme": SECRET}))
    metrics = Metrics()
    instrument(services, metrics)
    app = create_app(services)
    # Test-only paths, so these routes are never shadowed by the app's own.
    app.router.routes.append(Route("/test/metrics", metrics_endpoint(metrics)))
    app.router.routes.append(Route("/test/readyz", readyz_endpoint(service_checks(services))))
    with TestClient(app) as client:
        yield client, services, metrics


def post(client: TestClient, events: list[dict[str, Any]], secret: str = SECRET) -> int:
    body = json.dumps(events).encode()
    r = client.post("/providers/acme/events", content=body, headers=signed_headers(secret, body))
    status: int = r.status_code
    return status


def game_event(seq: int, event_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{seq}",
        "game_id": "g1",
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": event_type,
        **extra,
    }


def scrape_until(client: TestClient, name: str, value: float) -> str:
    deadline = time.monotonic() + 5
    while True:
        text: str = client.get("/test/metrics").text
        if sample(text, name) == value or time.monotonic() > deadline:
            return text
        time.sleep(0.02)


def test_the_wired_service_counts_its_events(wired: tuple[TestClient, Services, Metrics]) -> None:
    client, services, _ = wired
    schedule = game_event(1, "GAME_SCHEDULED", schedule={"home_team_id": "a", "away_team_id": "b"})
    events = [schedule, game_event(2, "GAME_STARTED"), game_event(3, "GOAL", team_id="a")]
    assert post(client, events) == 202
    assert post(client, events[:1]) == 202  # a duplicate: received, not recorded again
    assert post(client, events[:1], secret="wrong") == 401

    text = scrape_until(client, "scoreline_events_projected_total", 3)
    assert sample(text, "scoreline_events_received_total", provider="acme") == 4
    assert sample(text, "scoreline_events_recorded_total") == 3
    assert sample(text, "scoreline_events_projected_total") == 3
    assert sample(text, "scoreline_provider_to_fan_seconds_count") == 3
    assert (sample(text, "scoreline_provider_to_fan_seconds_sum") or 0) < 5
    rejected = "scoreline_events_rejected_total"
    assert sample(text, rejected, source="webhook", reason="unauthorized") == 1
    assert sample(text, "scoreline_projector_lag") == 0
    assert sample(text, "scoreline_sse_connections") == 0

    class FiveDeep:
        def head(self, partition: int) -> int:
            return 5

    assert isinstance(FiveDeep(), PartitionHeads)
    assert consumer_lags(services.recorder, FiveDeep()) == {0: 2}  # 3 recorded of 5


def test_the_wired_service_is_ready(wired: tuple[TestClient, Services, Metrics]) -> None:
    client, _, _ = wired
    r = client.get("/test/readyz")
    assert r.status_code == 200, r.text
    checks = {"event_store": "ok", "cache": "ok", "workers": "ok", "projector": "ok"}
    assert r.json()["checks"] == checks
    assert client.get("/healthz").json() == {"status": "ok"}


def readyz_of(services: Services, *, run_workers: bool = True, max_lag: int = 1000) -> Any:
    """``/readyz`` of the app over ``services``, on a test-only path."""
    app = create_app(services, run_workers=run_workers)
    checks = service_checks(services, max_lag=max_lag)
    app.router.routes.append(Route("/test/readyz", readyz_endpoint(checks)))
    with TestClient(app) as client:
        return client.get("/test/readyz")


def test_a_gateway_has_no_workers_to_wait_for() -> None:
    r = readyz_of(build_in_memory(Settings(role="gateway")))
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"event_store": "ok", "cache": "ok"}


def test_a_projector_behind_the_log_is_not_ready() -> None:
    services = build_in_memory(Settings(role="projector"))
    schedule = game_event(1, "GAME_SCHEDULED", schedule={"home_team_id": "a", "away_team_id": "b"})
    events = [GameEvent.from_dict(e) for e in (schedule, game_event(2, "GAME_STARTED"))]
    keeper = services.scorekeeper
    keeper.commit(keeper.decide(events))  # recorded, never projected: no projector runs
    r = readyz_of(services, run_workers=False, max_lag=1)
    assert r.status_code == 503
    assert r.json()["failed"] == ["workers", "projector"]
    assert r.json()["checks"]["projector"] == "2 notifications behind (bound 1)"
    assert projector_lag(keeper, [services.follower]) == 2


def test_not_ready_without_workers() -> None:
    r = readyz_of(build_in_memory(Settings()), run_workers=False)
    assert r.status_code == 503
    assert r.json()["failed"] == ["workers"]
    assert r.json()["checks"]["workers"] == "workers not started"
