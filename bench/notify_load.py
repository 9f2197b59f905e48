"""The notification benchmark's load: devices following one team, the game, the paced feed.

- :func:`device_token` is deterministic (device ``i``: even APNs, 64 hex digits; odd FCM,
  ~160 characters), so the peer sends to exactly the devices the fleet notifies.
- :func:`register_devices` loads them into the fleet's PostgreSQL with
  ``PostgresDeviceRegistry.register_many`` (COPY), in chunks that bound memory.
- :class:`Pacer` is the provider: one keep-alive connection, one event at a time in
  sequence order (a game's events must reach the log in order), one every ``pace``
  seconds: FOULs (not notified: domain/notification_rules.py), and the goal when asked.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.fanout_load import token as fan_token
from bench.fleet import PROVIDER
from bench.pushing import Endpoint, post, post_once
from bench.traffic import Event, webhook
from domain.devices import Device, Interest, Platform

HOME, AWAY = "notify-home", "notify-away"
HOME_NAME, AWAY_NAME = "Notify Home", "Notify Away"
REGISTRATION_CHUNK = 250_000  # devices per register_many call (one transaction each)


def device_token(i: int) -> tuple[str, Platform]:
    """Device ``i``'s token and platform: half APNs (even i), half FCM (odd i)."""
    digest = hashlib.sha256(f"bench-device-{i}".encode()).hexdigest()
    if i % 2 == 0:
        return digest, Platform.APNS
    return f"bench{i:09d}:APA91b{digest}{digest[:80]}", Platform.FCM


def devices(start: int, stop: int) -> Iterator[Device]:
    """Devices ``start`` .. ``stop - 1``, each following the home team, wanting all."""
    teams, games, wants = frozenset({HOME}), frozenset[str](), frozenset({Interest.ALL})
    for i in range(start, stop):
        token, platform = device_token(i)
        yield Device(token, platform, teams, games, wants)


def register_devices(database_url: str, count: int) -> float:
    """Register ``count`` devices; the seconds spent in ``register_many`` (generation of
    the Device objects, ~1 s a million, not counted)."""
    from adapters.postgres_device_registry import PostgresDeviceRegistry
    from adapters.postgres_schema import postgres_datastore

    registry = PostgresDeviceRegistry(postgres_datastore(database_url, pool_size=1))
    spent = 0.0
    try:
        for start in range(0, count, REGISTRATION_CHUNK):
            chunk = list(devices(start, min(count, start + REGISTRATION_CHUNK)))
            began = time.monotonic()
            registry.register_many(chunk)
            spent += time.monotonic() - began
    finally:
        registry.close()
    return spent


def schedule_event(game_id: str) -> Event:
    return {
        **_event(game_id, 1, "GAME_SCHEDULED"),
        "description": f"{HOME_NAME} v {AWAY_NAME}",
        "schedule": {
            "home_team_id": HOME,
            "away_team_id": AWAY,
            "home_team_name": HOME_NAME,
            "away_team_name": AWAY_NAME,
            "venue": "Bench Park",
            "start_time": None,
            "league": "bench-league",
            "season": "2026",
        },
    }


def _event(game_id: str, sequence: int, event_type: str, **fields: Any) -> Event:
    return {
        "event_id": f"{game_id}-{sequence}",
        "game_id": game_id,
        "sport": "soccer",
        "sequence_number": sequence,
        "event_type": event_type,
        "team_id": None,
        "player_id": None,
        "clock_seconds": None,
        "period": None,
        "description": event_type,
        "created_at": None,
        "references_event_id": None,
        **fields,
    }


def play_event(game_id: str, sequence: int, *, goal: bool = False) -> Event:
    """A FOUL (not notified), or a home GOAL; period 1, the clock moving slowly on. Its
    description carries ``fog-<sequence>``, the token the lean SSE receiver looks for."""
    team = HOME if goal or sequence % 2 else AWAY
    return _event(
        game_id,
        sequence,
        "GOAL" if goal else "FOUL",
        team_id=team,
        player_id=f"{team}-{sequence % 11 + 1}",
        clock_seconds=60 + sequence // 20,
        period=1,
        description=f"{'Goal!' if goal else 'Foul'} {fan_token(sequence)}",
    )


async def start_game(ingest: str, gateway: str, game_id: str) -> int:
    """Schedule and start the game, wait until the gateway lists it; the next sequence."""
    url = webhook(ingest, PROVIDER)
    await post_once(url, [schedule_event(game_id), _event(game_id, 2, "GAME_STARTED")])
    await post_once(url, _event(game_id, 3, "PERIOD_START", clock_seconds=0, period=1))
    async with httpx.AsyncClient(timeout=30) as http:
        deadline = time.monotonic() + 60
        while True:
            listed = (await http.get(f"{gateway}/games")).json()["games"]
            if any(g.get("game_id") == game_id for g in listed):
                return 4
            if time.monotonic() > deadline:
                raise RuntimeError(f"the game never reached {gateway}")
            await asyncio.sleep(0.1)


@dataclass
class Pacer:
    """The provider: the game's events, one every ``pace`` s, each after the previous
    202, over one connection. ``phase`` labels the events sent from now on; ``answered``
    holds each FOUL's 202 time (time.monotonic(): one clock for the machine's processes)."""

    url: str
    game_id: str
    pace: float
    sequence: int
    phase: str = "warmup"
    sent: dict[str, float] = field(default_factory=dict)
    answered: dict[str, float] = field(default_factory=dict)
    phase_of: dict[str, str] = field(default_factory=dict)
    late: int = 0  # events sent over 5 ms after their due time (the previous 202 was slow)
    goal_id: str = ""
    goal_sent: float = 0.0
    _goal: asyncio.Future[float] | None = None

    async def score(self) -> float:
        """Send the goal as the next event; its 202 time."""
        self._goal = asyncio.get_running_loop().create_future()
        return await self._goal

    async def run(self, stop: asyncio.Event) -> None:
        endpoint = Endpoint(self.url)
        start, due = time.monotonic(), 0
        try:
            while not stop.is_set():
                delay = start + due * self.pace - time.monotonic()
                if delay > 0:
                    with_stop = asyncio.create_task(stop.wait())
                    await asyncio.wait([with_stop], timeout=delay)
                    with_stop.cancel()
                    if stop.is_set():
                        break
                elif delay < -0.005:
                    self.late += 1
                await self._send(endpoint)
                due += 1
        finally:
            endpoint.close()

    async def _send(self, endpoint: Endpoint) -> None:
        goal = self._goal
        event = play_event(self.game_id, self.sequence, goal=goal is not None)
        key, phase = event["event_id"], self.phase
        self.sent[key] = time.monotonic()
        await post(endpoint, event)
        at = time.monotonic()
        self.sequence += 1
        if goal is not None:
            self.goal_id, self.goal_sent, self._goal = key, self.sent[key], None
            goal.set_result(at)
        else:
            self.answered[key] = at
            self.phase_of[key] = phase
