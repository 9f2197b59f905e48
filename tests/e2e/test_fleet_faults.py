"""Faults in the fleet's services: Redis restarted mid-game, the broker briefly away."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fleet import Fleet
from tests.services import PrivateRedis, Tansu
from tests.sse_client import SSEReader


def game(game_id: str, goals: int) -> list[dict[str, Any]]:
    """A soccer game: schedule, start, many fouls and ``goals`` goals, final."""

    def e(seq: int, kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "event_id": f"{game_id}-{seq}",
            "game_id": game_id,
            "sport": "soccer",
            "sequence_number": seq,
            "event_type": kind,
            **extra,
        }

    events = [
        e(1, "GAME_SCHEDULED", schedule={"home_team_id": "h", "away_team_id": "a"}),
        e(2, "GAME_STARTED"),
    ]
    for n in range(goals * 10):
        seq = len(events) + 1
        if n % 10 == 9:
            events.append(e(seq, "GOAL", team_id="h" if n % 20 == 9 else "a"))
        else:
            events.append(e(seq, "FOUL", team_id="a"))
    events.append(e(len(events) + 1, "GAME_FINAL"))
    return events


@pytest.fixture
def fleet_factory(postgres_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Any]:
    made: list[Fleet] = []

    def make(redis_url: str, bootstrap: str | None = None, prefix: str | None = None) -> Fleet:
        f = Fleet(postgres_url, redis_url, bootstrap or kafka_bootstrap, tmp_path)
        if prefix is not None:
            f.redis_prefix = prefix
        f.upgrade()
        for role in ("ingest", "recorder", "projector", "gateway"):
            f.add(role)
        f.wait_healthy()
        made.append(f)
        return f

    yield make
    for f in made:
        f.stop()


def wait_version(fleet: Fleet, game_id: str, version: int, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = fleet.state(fleet.of("gateway")[0], game_id)
        if state is not None and state["version"] == version:
            return state
        time.sleep(0.2)
    raise AssertionError(f"{game_id} never reached version {version}: {state}")


def test_redis_restarted_mid_game_no_fan_misses_an_update(fleet_factory: Any) -> None:
    redis = PrivateRedis().start()
    try:
        fleet = fleet_factory(redis.url)
        events = game("redis-restart", goals=6)
        ingest, gateway = fleet.of("ingest")[0], fleet.of("gateway")[0]
        fleet.push(ingest, events[:1])
        wait_version(fleet, "redis-restart", 1)
        fan = SSEReader(f"{gateway.url}/games/redis-restart/stream", reconnect=True).start()
        half = len(events) // 2
        for event in events[1:half]:
            fleet.push(ingest, [event])
        redis.kill()
        for event in events[half : half + 10]:  # recorded while Redis is away
            fleet.push(ingest, [event])
        redis.start()
        for event in events[half + 10 :]:
            fleet.push(ingest, [event])
        state = wait_version(fleet, "redis-restart", len(events))
        assert (state["status"], state["home_score"], state["away_score"]) == ("FINAL", 3, 3)
        fan.wait_until(lambda f: any(m["version"] == len(events) for m in f.game_events()))
        versions = [m["version"] for m in fan.game_events()]
        assert versions == list(range(2, len(events) + 1)), "every update once, in order"
        fan.stop()
    finally:
        redis.kill()


def test_broker_briefly_away_providers_get_503_and_nothing_accepted_is_lost(
    fleet_factory: Any, redis_service: tuple[str, str]
) -> None:
    broker = Tansu().start()
    try:
        fleet = fleet_factory(redis_service[0], broker.bootstrap, redis_service[1] + "faults:")
        events = game("broker-away", goals=4)
        ingest = fleet.of("ingest")[0]
        fleet.push(ingest, events[:5])
        wait_version(fleet, "broker-away", 5)
        assert broker.process is not None
        os.kill(broker.process.pid, signal.SIGSTOP)  # the broker stops answering
        statuses: list[int] = []
        resumed = threading.Timer(12, os.kill, (broker.process.pid, signal.SIGCONT))
        resumed.start()
        for event in events[5:]:
            fleet.push(ingest, [event], attempts=60, statuses=statuses)
        resumed.join()
        assert 503 in statuses, "while the broker was away, providers were told to retry"
        state = wait_version(fleet, "broker-away", len(events))
        assert (state["status"], state["home_score"], state["away_score"]) == ("FINAL", 2, 2)
    finally:
        if broker.process is not None:
            os.kill(broker.process.pid, signal.SIGCONT)
        broker.stop()
