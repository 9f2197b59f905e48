"""Benchmark traffic: live games from the built-in simulator, as native events.

``live_games(G, E)`` gives G games (the four sports in turn), each the first E events
of a simulated game in sequence order (GAME_SCHEDULED first), so G x E events in all.
A script too short for E events is simulated over a longer demo duration, which adds
CLOCK_UPDATEs as a real feed would over a longer game. Deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.simulator import simulate_game
from domain.sports import Sport
from entrypoints.feed_push import signed_headers

Event = dict[str, Any]


@dataclass(frozen=True)
class LiveGame:
    game_id: str
    events: list[Event]  # sequence numbers 1..len, GAME_SCHEDULED first


def live_games(
    games: int, events_per_game: int, *, seed: int = 1, prefix: str = "bench"
) -> list[LiveGame]:
    if games < 1 or events_per_game < 1:
        raise ValueError("need at least one game of at least one event")
    rng = random.Random(seed)
    sports = list(Sport)
    found: list[LiveGame] = []
    for number in range(games):
        sport = sports[number % len(sports)]
        game_id = f"{prefix}-{sport.value.replace('_', '-')}-{number:04d}"
        game_seed = rng.getrandbits(32)
        duration = 180.0
        while True:
            script = simulate_game(sport, game_id, seed=game_seed, duration=duration)
            if len(script) >= events_per_game:
                break
            duration *= 1.5
        found.append(LiveGame(game_id, [s.event for s in script[:events_per_game]]))
    return found


def round_robin(games: Sequence[LiveGame], *, skip: int = 0, seed: int = 2) -> Iterator[Event]:
    """Every game's events after the first ``skip``, one event of each game in turn (the
    games shuffled afresh each turn), each game's in sequence order."""
    rng = random.Random(seed)
    longest = max(len(g.events) for g in games)
    order = list(range(len(games)))
    for index in range(skip, longest):
        rng.shuffle(order)
        for g in order:
            if index < len(games[g].events):
                yield games[g].events[index]


def body_and_headers(
    payload: Event | Sequence[Event], secret: str, now: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """A webhook body (one event, or a list) and its signed headers."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, signed_headers(secret, body, now)


def webhook(base_url: str, provider: str) -> str:
    return f"{base_url}/providers/{provider}/events"
