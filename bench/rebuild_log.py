"""A large event log for the rebuild benchmark, written straight into a fresh store.

The games are the simulator's (adapters/simulator): whole games of the four sports in
turn, each from GAME_SCHEDULED to GAME_FINAL. A base slate of ``base_games`` games is
decided once by an in-memory Scorekeeper (bench/store_peer.py: the stored events it
would write); the log is that slate cloned under new game ids until it holds at least
the events asked for. Each clone's stored events differ from the base's only in the
game ids (and so event ids and aggregate ids). A slate is one match day: its games
interleaved as live feeds arrive (schedules first, then one event of each game in
turn), all ``base_games`` under way at once; the clones follow one another, day after
day. Each sport plays in a league of its own (``bench-<sport>``), so the standings and
player stats count every game.

The events are inserted by eventsourcing's own recorder, ``batch`` per transaction,
never through the domain: filling is untimed set-up, not what is measured.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from eventsourcing.persistence import StoredEvent

from adapters.simulator import simulate_game
from bench.store_peer import ordered_events, stored_events
from bench.traffic import LiveGame
from domain.game import game_aggregate_id
from domain.scorekeeper import Scorekeeper
from domain.sports import Sport

PREFIX = "bench"
# Stored events per insert transaction. Not 10,000: eventsourcing's PostgreSQL recorder
# sends a transaction's inserts as one psycopg pipeline, and on 2026-12-02's machine one
# of 5,000 events of 1.5 KB (psycopg 3.3.9 and 3.2.13, binary, over TCP to 127.0.0.1)
# never returned: the client waiting in Pipeline.sync, the server in ClientRead (the
# shape of psycopg issue #685). 2,000 returned every time.
INSERT_BATCH = 2_000


@dataclass(frozen=True)
class EventLog:
    """The stored events of the benchmark log, in log order."""

    events: list[StoredEvent]
    games: int
    seconds: float  # to make them (simulate, decide, clone)


def whole_games(count: int, *, seed: int = 1) -> list[LiveGame]:
    """``count`` whole simulated games, the four sports in turn."""
    sports = list(Sport)
    found = []
    for number in range(count):
        sport = sports[number % len(sports)]
        game_id = f"{PREFIX}-{sport.value.replace('_', '-')}-{number:05d}"
        script = simulate_game(sport, game_id, seed=seed * 100_003 + number, duration=180.0)
        events = [s.event for s in script]
        for event in events:
            if event.get("schedule"):
                event["schedule"] = {**event["schedule"], "league": f"{PREFIX}-{sport.value}"}
        found.append(LiveGame(game_id, events))
    return found


def benchmark_log(total: int, *, base_games: int = 400, seed: int = 1) -> EventLog:
    """At least ``total`` stored events: the base slate, then clones of it."""
    started = time.perf_counter()
    games = whole_games(base_games, seed=seed)
    base = stored_events(ordered_events(games), batch_size=500)
    clones = max(1, -(-total // len(base)))
    ids = {g.game_id: [_clone_id(g.game_id, k) for k in range(clones)] for g in games}
    events = list(_interleaved(base, ids, clones))
    return EventLog(events, base_games * clones, time.perf_counter() - started)


def _clone_id(game_id: str, clone: int) -> str:
    return game_id if clone == 0 else f"c{clone:03d}-{game_id}"


def _interleaved(
    base: Sequence[StoredEvent], ids: dict[str, list[str]], clones: int
) -> Iterator[StoredEvent]:
    """The base log once per clone, each under its clone's game ids."""
    originals = {game_aggregate_id(g): g for g in ids}
    uuids = {g: [game_aggregate_id(c) for c in cs] for g, cs in ids.items()}
    quoted = f'"{PREFIX}-'.encode()
    for k in range(clones):
        renamed = quoted if k == 0 else f'"c{k:03d}-{PREFIX}-'.encode()
        for e in base:
            game = originals.get(_uuid(e.originator_id))
            if game is None:  # not a game's event (none in a single-provider log)
                if k == 0:
                    yield e
                continue
            yield StoredEvent(
                uuids[game][k],
                e.originator_version,
                e.topic,
                e.state if k == 0 else e.state.replace(quoted, renamed),
            )


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def fill(keeper: Scorekeeper, events: Sequence[StoredEvent], batch: int = INSERT_BATCH) -> float:
    """Insert ``events`` into the keeper's (fresh) store, ``batch`` per transaction;
    the seconds it took."""
    started = time.perf_counter()
    recorder = keeper.recorder
    for start in range(0, len(events), batch):
        recorder.insert_events(list(events[start : start + batch]))
    return time.perf_counter() - started
