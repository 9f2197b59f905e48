"""Faults in the fleet's services: Redis restarted mid-game, the broker briefly away."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass
class FaultyFleet:
    """One fleet (ingest, recorder, projector, gateway) on a Redis and a broker of its
    own, to kill and pause; shared by this module's tests, each on games of its own,
    each leaving both services running."""

    fleet: Fleet
    redis: PrivateRedis
    broker: Tansu


@pytest.fixture(scope="module")
def faulty(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultyFleet]:
    redis, broker = PrivateRedis().start(), Tansu().start()
    f = Fleet(postgres_url, redis.url, broker.bootstrap, tmp_path_factory.mktemp("faults"))
    try:
        f.upgrade()
        for role in ("ingest", "recorder", "projector", "gateway"):
            f.add(role)
        f.wait_healthy()
        yield FaultyFleet(f, redis, broker)
    finally:
        f.stop()
        if broker.process is not None:
            os.kill(broker.process.pid, signal.SIGCONT)
        broker.stop()
        redis.kill()


def wait_version(fleet: Fleet, game_id: str, version: int, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = fleet.state(fleet.of("gateway")[0], game_id)
        if state is not None and state["version"] == version:
            return state
        time.sleep(0.2)
    raise AssertionError(f"{game_id} never reached version {version}: {state}")


def test_redis_restarted_mid_game_no_fan_misses_an_update(faulty: FaultyFleet) -> None:
    fleet, redis = faulty.fleet, faulty.redis
    try:
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
        if redis.process is None:  # back for the module's next test
            redis.start()


def test_broker_briefly_away_providers_get_503_and_nothing_accepted_is_lost(
    faulty: FaultyFleet,
) -> None:
    fleet, broker = faulty.fleet, faulty.broker
    assert broker.process is not None
    pid = broker.process.pid
    try:
        events = game("broker-away", goals=4)
        ingest = fleet.of("ingest")[0]
        fleet.push(ingest, events[:5])
        wait_version(fleet, "broker-away", 5)
        os.kill(pid, signal.SIGSTOP)  # the broker stops answering
        statuses: list[int] = []

        def resume_once_refused() -> None:
            """The broker comes back once a provider was told to retry (or after 60 s)."""
            deadline = time.monotonic() + 60
            while 503 not in statuses and time.monotonic() < deadline:
                time.sleep(0.05)
            os.kill(pid, signal.SIGCONT)

        resumed = threading.Thread(target=resume_once_refused)
        resumed.start()
        for event in events[5:]:
            fleet.push(ingest, [event], attempts=60, statuses=statuses)
        resumed.join()
        assert 503 in statuses, "while the broker was away, providers were told to retry"
        state = wait_version(fleet, "broker-away", len(events))
        assert (state["status"], state["home_score"], state["away_score"]) == ("FINAL", 2, 2)
    finally:
        os.kill(pid, signal.SIGCONT)
