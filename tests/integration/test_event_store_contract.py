"""One contract for the event store on every backend: POPO, SQLite and PostgreSQL.

The Scorekeeper is the port here (eventsourcing supplies the recorders): idempotency,
atomic tracking, order, the notification log, and optimistic concurrency.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from adapters.partitioned_recorders import process_recorder_env
from adapters.postgres_schema import postgres_env
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from tests.game_events import AWAY, HOME, GameScript

Make = Callable[[], Scorekeeper]


def _keepers(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    opened: list[Scorekeeper] = []
    shared = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    env: dict[str, str] = {}
    if backend == "postgres":
        import psycopg

        url = request.getfixturevalue("postgres_url")
        env = postgres_env(url)
        env["POSTGRES_SCHEMA"] = f"store_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{env["POSTGRES_SCHEMA"]}"')

    def make() -> Scorekeeper:
        if backend == "popo":
            return shared
        if backend == "sqlite":
            keeper = Scorekeeper(
                env={
                    "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                    "SQLITE_DBNAME": str(tmp_path / "events.sqlite"),
                    **process_recorder_env("eventsourcing.sqlite"),
                }
            )
        else:
            keeper = Scorekeeper(env=env)
        opened.append(keeper)
        return keeper

    yield make
    for keeper in opened:
        keeper.close()


@pytest.fixture(params=["popo", "sqlite", "postgres"])
def make_keeper(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    yield from _keepers(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
def make_shared_keeper(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    """Stores that several writers (processes) can open at once."""
    yield from _keepers(request.param, request, tmp_path)


def game(game_id: str = "g1") -> GameScript:
    g = GameScript(game_id)
    g.schedule()
    g.start()
    g.score(EventType.GOAL, HOME)
    g.score(EventType.GOAL, AWAY)
    return g


def test_recorded_events_read_back_in_order(make_keeper: Make) -> None:
    keeper = make_keeper()
    g = game()
    assert {v.outcome for v in keeper.record(g.events)} == {"recorded"}
    again = make_keeper()
    assert [r.event for r in again.recorded_events("g1")] == g.events
    assert [r.version for r in again.recorded_events("g1", after_version=2)] == [3, 4]


def test_same_event_twice_is_stored_once_other_content_is_a_conflict(make_keeper: Make) -> None:
    keeper = make_keeper()
    g = game()
    keeper.record(g.events)
    assert [v.outcome for v in keeper.record(g.events[2:3])] == ["duplicate"]
    from dataclasses import replace

    changed = replace(g.events[2], team_id=AWAY)
    assert [v.outcome for v in keeper.record([changed])] == ["conflict"]
    assert len(make_keeper().recorded_events("g1")) == 4


def test_events_and_tracking_commit_together_and_tracking_only_moves_on(make_keeper: Make) -> None:
    keeper = make_keeper()
    g = game()
    keeper.record(g.events[:2], Tracking("game-events:0", 10))
    with pytest.raises(IntegrityError):
        keeper.record(g.events[2:], Tracking("game-events:0", 10))  # a replayed position
    fresh = make_keeper()
    assert len(fresh.recorded_events("g1")) == 2, "nothing of the refused batch was stored"
    assert fresh.tracking_position("game-events:0") == 10
    assert fresh.tracking_position("game-events:1") is None


def test_one_commit_stores_the_position_of_every_partition_with_its_events(
    make_keeper: Make,
) -> None:
    """A recorder's poll: games of two partitions, each partition's position."""
    keeper = make_keeper()
    a, b = game("a"), game("b")
    positions = [Tracking("game-events:0", 4), Tracking("game-events:1", 7)]
    assert {v.outcome for v in keeper.record(a.events + b.events, positions)} == {"recorded"}
    fresh = make_keeper()
    assert len(fresh.recorded_events("a")) == len(fresh.recorded_events("b")) == 4
    assert fresh.tracking_position("game-events:0") == 4
    assert fresh.tracking_position("game-events:1") == 7
    # positions alone (a poll of duplicates) move on too
    keeper.record(a.events[:1], [Tracking("game-events:0", 5), Tracking("game-events:1", 9)])
    fresh = make_keeper()
    assert fresh.tracking_position("game-events:0") == 5
    assert fresh.tracking_position("game-events:1") == 9
    assert len(fresh.recorded_events("a")) == 4


def test_a_stale_position_among_several_stores_nothing_of_the_commit(
    make_shared_keeper: Make,
) -> None:
    """On the stores a fleet or the embedded process records in, the positions are in
    the events' transaction: one not above its stored position refuses all of it."""
    keeper = make_shared_keeper()
    assert keeper.records_many_positions
    a, b = game("a"), game("b")
    keeper.record(a.events[:2], Tracking("game-events:0", 10))
    with pytest.raises(IntegrityError):
        keeper.record(
            a.events[2:] + b.events,
            [Tracking("game-events:1", 3), Tracking("game-events:0", 10)],  # 0: replayed
        )
    fresh = make_shared_keeper()
    assert len(fresh.recorded_events("a")) == 2
    assert fresh.recorded_events("b") == []
    assert fresh.tracking_position("game-events:0") == 10
    assert fresh.tracking_position("game-events:1") is None


def test_the_notification_log_lists_every_event_once_in_commit_order(make_keeper: Make) -> None:
    keeper = make_keeper()
    keeper.record(game("a").events)
    keeper.record(game("b").events)
    notifications = keeper.recorder.select_notifications(1, 100)
    assert len(notifications) == 8
    ids = [n.id for n in notifications]
    assert ids == sorted(set(ids))


def test_two_writers_of_one_game_cannot_both_append(make_shared_keeper: Make) -> None:
    first, second = make_shared_keeper(), make_shared_keeper()
    g = game()
    first.record(g.events[:2])
    second.recorded_events("g1")  # both have now seen version 2
    decision = second.decide([g.events[2]])
    first.record([g.events[2]])
    with pytest.raises(IntegrityError):
        second.commit(decision)
    assert len(make_shared_keeper().recorded_events("g1")) == 3
