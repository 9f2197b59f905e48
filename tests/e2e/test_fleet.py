"""The production topology on real PostgreSQL, Redis and a Kafka-protocol broker.

2 ingest, 2 recorders, 1 projector and 2 gateways; three real matches pushed
concurrently, shuffled, with duplicates; midway one recorder and one gateway are
killed with SIGKILL and restarted, and their fans reconnect with Last-Event-ID.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.conftest import ConvertedFeeds
from tests.e2e.fleet import Fleet
from tests.sse_client import SSEReader

MATCHES = [
    ("3788741", "tur-ita", "Turkey", "Italy", (0, 3)),
    ("15986", "bar-gir", "Barcelona", "Girona", (2, 2)),
    ("barcelona-alaves", "bar-ala", "Barcelona", "Deportivo Alavés", (3, 0)),
]


@pytest.fixture
def fleet(
    postgres_url: str, redis_service: tuple[str, str], kafka_bootstrap: str, tmp_path: Path
) -> Iterator[Fleet]:
    f = Fleet(postgres_url, redis_service[0], kafka_bootstrap, tmp_path)
    f.redis_prefix = redis_service[1] + "fleet:"
    f.upgrade()
    yield f
    f.stop()


def test_fleet_survives_kill_minus_nine_with_nothing_lost_or_doubled(
    fleet: Fleet, converted_feeds: ConvertedFeeds
) -> None:
    for role, count in (("ingest", 2), ("recorder", 2), ("projector", 1), ("gateway", 2)):
        for _ in range(count):
            fleet.add(role)
    feeds = converted_feeds([m[:4] for m in MATCHES])  # while the fleet starts
    fleet.wait_healthy()
    ingest, gateways = fleet.of("ingest"), fleet.of("gateway")
    for events in feeds.values():
        fleet.push(ingest[0], events[:1])
    deadline = time.monotonic() + 60
    while any(fleet.state(gw, g) is None for gw in gateways for g in feeds):
        assert time.monotonic() < deadline, "schedules never reached the gateways"
        time.sleep(0.2)
    fans = {
        (gw.port, g): SSEReader(f"{gw.url}/games/{g}/stream", reconnect=True).start()
        for gw in gateways
        for g in feeds
    }

    rng = random.Random(7)
    rest = [e for events in feeds.values() for e in events[1:]]
    shuffled = rest + rng.sample(rest, len(rest) // 10)
    rng.shuffle(shuffled)
    batches = [shuffled[i : i + 100] for i in range(0, len(shuffled), 100)]
    half = len(batches) // 2
    for n, batch in enumerate(batches[:half]):
        fleet.push(ingest[n % 2], batch)
    victim_recorder, victim_gateway = fleet.of("recorder")[0], gateways[1]
    fleet.kill(victim_recorder)
    fleet.kill(victim_gateway)
    for n, batch in enumerate(batches[half:]):
        fleet.push(ingest[n % 2], batch)
    fleet.start(victim_recorder)
    fleet.start(victim_gateway)
    fleet.wait_healthy()

    for _, game_id, _, _, (home, away) in MATCHES:
        total = len(feeds[game_id])
        deadline = time.monotonic() + 120
        for gw in gateways:
            while True:
                state = fleet.state(gw, game_id)
                if state is not None and state["version"] == total:
                    break
                assert time.monotonic() < deadline, f"{game_id} stuck at {state}"
                time.sleep(0.2)
            assert (state["status"], state["home_score"], state["away_score"]) == (
                "FINAL",
                home,
                away,
            )
        for gw in gateways:
            fan = fans[(gw.port, game_id)]
            fan.wait_until(
                lambda f, n=total: any(m["version"] == n for m in f.game_events()), timeout=60
            )
            versions = [m["version"] for m in fan.game_events()]
            assert versions == list(range(2, total + 1)), f"fan of {game_id} on {gw.port}"
        stored = httpx.get(f"{gateways[0].url}/games/{game_id}/events?limit=1000").json()
        ids = [e["event"]["event_id"] for e in stored["events"]]
        assert len(ids) == len(set(ids)) == total
    assert fans[(victim_gateway.port, "tur-ita")].connections >= 2, "its fans reconnected"
    # The history read model (partitioned by date) holds each event once too.
    deadline = time.monotonic() + 60
    with psycopg.connect(fleet.database_url) as conn:
        while True:
            rows: dict[str, int] = dict(
                conn.execute(
                    "SELECT game_id, count(*) FROM game_events GROUP BY game_id"
                ).fetchall()
            )
            if rows == {g: len(events) for g, events in feeds.items()}:
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.5)
    for fan in fans.values():
        fan.stop()
