"""One contract for every notifier store (memory, SQLite, PostgreSQL): games, outbox
changes and tracking move together, and a cancel never races a release."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from adapters.notifier_store import MemoryNotifierStore, open_sqlite_notifier_store
from adapters.postgres_notifier_store import open_postgres_notifier_store
from domain.events import GameEvent, Schedule
from domain.held_notifications import GameHold, Held, Scheduled
from domain.notification_rules import notification_for
from domain.push import PushNotification
from domain.scoreboard import Scoreboard
from domain.sports import EventType
from projections.notifier import NotifierGame, ReleasedMeanwhile
from tests.game_events import AWAY, HOME, GameScript

Make = Callable[[], Any]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    memory = MemoryNotifierStore()
    # PostgreSQL: the run's database, a schema of this test's own.
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    schema = f"notifier_{uuid.uuid4().hex[:12]}"
    opened: list[Any] = []

    def make() -> Any:
        if request.param == "memory":
            return memory
        if request.param == "postgres":
            opened.append(open_postgres_notifier_store(url, schema=schema, pool_size=1))
        else:
            opened.append(open_sqlite_notifier_store(str(tmp_path / "notifier.sqlite")))
        return opened[-1]

    yield make
    for store in opened:
        store.datastore.close()


def goal_game(game_id: str = "g1") -> tuple[NotifierGame, GameEvent]:
    script = GameScript(game_id)
    script.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, "Arsenal", "Chelsea"))
    script.start()
    goal = script.score(EventType.GOAL, HOME)
    board = Scoreboard.scheduled(script.events[0])
    for version, event in enumerate(script.events, 1):
        board.apply(event, version)
    return NotifierGame(board), goal


def notification(game: NotifierGame, event: GameEvent) -> PushNotification:
    found = notification_for(game.board, event, 100.0, ttl=3600)
    assert found is not None
    return found


def held(game: NotifierGame, event: GameEvent, due_at: float) -> NotifierGame:
    n = notification(game, event)
    return NotifierGame(game.board, GameHold({event.event_id: Held(n, event, 100.0, due_at)}))


def final(game_id: str, n: int) -> PushNotification:
    game, goal = goal_game(game_id)
    base = notification(game, goal)
    return PushNotification.from_dict({**base.to_dict(), "id": f"{game_id}/final{n}"})


def test_saved_games_and_outbox_are_readable_with_their_position(make_store: Make) -> None:
    store = make_store()
    game, goal = goal_game()
    game = held(game, goal, 130.0)
    n = notification(game, goal)
    store.save({"g1": game}, [Scheduled(n, 130.0)], [], Tracking("log", 5))
    assert store.max_tracking_id("log") == 5
    assert store.games(["g1", "nope"]) == {"g1": game}
    assert store.games([]) == {}
    assert store.outbox() == [Scheduled(n, 130.0)]
    assert store.due(129.9, 10) == []
    assert store.due(130.0, 10) == [n]


def test_a_position_is_never_applied_twice(make_store: Make) -> None:
    store = make_store()
    game, goal = goal_game()
    store.save({"g1": game}, [], [], Tracking("log", 5))
    other, _ = goal_game("g2")
    with pytest.raises(IntegrityError):
        store.save(
            {"g2": other}, [Scheduled(notification(game, goal), 1.0)], [], Tracking("log", 5)
        )
    assert store.games(["g2"]) == {}
    assert store.outbox() == []
    assert store.max_tracking_id("log") == 5


def test_due_answers_in_due_order_until_released(make_store: Make) -> None:
    store = make_store()
    later, first, second = final("g1", 1), final("g2", 2), final("g3", 3)
    store.save(
        {},
        [Scheduled(later, 50.0), Scheduled(first, 10.0), Scheduled(second, 10.0)],
        [],
        Tracking("log", 1),
    )
    assert store.due(20.0, 10) == [first, second]
    assert store.due(60.0, 2) == [first, second]
    assert store.due(60.0, 10) == [first, second, later]  # at-least-once: still there
    store.mark_released([first.id, "unknown"])
    store.mark_released([first.id])  # idempotent
    assert store.due(60.0, 10) == [second, later]
    store.mark_released([second.id, later.id])
    assert store.due(60.0, 10) == [] and store.outbox() == []


def test_a_held_notification_not_yet_due_is_cancelled_or_replaced(make_store: Make) -> None:
    store = make_store()
    game, goal = goal_game()
    n = notification(game, goal)
    other = final("g1", 1)
    store.save({"g1": held(game, goal, 130.0)}, [Scheduled(n, 130.0)], [], Tracking("log", 1))
    store.save({}, [Scheduled(other, 130.0)], [], Tracking("log", 2))
    assert store.due(129.0, 10) == []  # the release looked, before the hold ended
    moved = PushNotification.from_dict({**n.to_dict(), "title": "GOAL! Arsenal 0-1 Chelsea"})
    store.save({"g1": game}, [Scheduled(moved, 130.0)], [n.id], Tracking("log", 3))
    assert store.outbox() == [Scheduled(other, 130.0), Scheduled(moved, 130.0)]
    store.save({"g1": game}, [], [n.id], Tracking("log", 4))
    assert store.outbox() == [Scheduled(other, 130.0)]
    assert store.games(["g1"]) == {"g1": game}


def test_a_cancel_of_what_a_release_may_have_taken_is_refused(make_store: Make) -> None:
    store = make_store()
    game, goal = goal_game()
    n = notification(game, goal)
    store.save({"g1": held(game, goal, 130.0)}, [Scheduled(n, 130.0)], [], Tracking("log", 1))
    assert store.due(131.0, 10) == [n]  # taken for release, not yet marked released
    other, _ = goal_game("g2")
    with pytest.raises(ReleasedMeanwhile) as raised:
        store.save({"g2": other}, [Scheduled(final("g2", 1), 1.0)], [n.id], Tracking("log", 2))
    assert raised.value.watermark == 131.0
    assert raised.value.notification_ids == {n.id}
    # Nothing of the refused batch was written.
    assert store.max_tracking_id("log") == 1
    assert store.games(["g2"]) == {}
    assert store.outbox() == [Scheduled(n, 130.0)]
    store.mark_released([n.id])
    with pytest.raises(ReleasedMeanwhile):  # released and gone
        store.save({}, [], [n.id], Tracking("log", 2))
    # The release clock only moves forward.
    store.due(10.0, 10)
    later = final("g3", 1)
    store.save({}, [Scheduled(later, 131.0)], [], Tracking("log", 2))
    with pytest.raises(ReleasedMeanwhile):
        store.save({}, [], [later.id], Tracking("log", 3))


def test_the_notifier_state_survives_reopening(make_store: Make) -> None:
    game, goal = goal_game()
    game = held(game, goal, 130.0)
    n = notification(game, goal)
    make_store().save({"g1": game}, [Scheduled(n, 130.0)], [], Tracking("log", 7))
    again = make_store()
    assert again.games(["g1"]) == {"g1": game}
    assert again.outbox() == [Scheduled(n, 130.0)]
    assert again.max_tracking_id("log") == 7


def test_postgres_a_save_waits_for_a_release_reading_the_outbox(postgres_url: str) -> None:
    """A save that cancels checks the release clock under a share lock: while a release
    holds the clock row (between raising it and reading the outbox), the save waits,
    then sees the new clock and refuses."""
    import threading
    import time

    import psycopg

    schema = f"notifier_{uuid.uuid4().hex[:12]}"
    store = open_postgres_notifier_store(postgres_url, schema=schema, pool_size=1)
    try:
        game, goal = goal_game()
        n = notification(game, goal)
        store.save({"g1": held(game, goal, 130.0)}, [Scheduled(n, 130.0)], [], Tracking("log", 1))
        outcome: list[BaseException | None] = []
        with psycopg.connect(postgres_url, autocommit=False) as release:
            release.execute(f'UPDATE "{schema}".notifier_release SET watermark = 131 WHERE id = 1')

            def cancel() -> None:
                try:
                    store.save({"g1": game}, [], [n.id], Tracking("log", 2))
                    outcome.append(None)
                except BaseException as error:
                    outcome.append(error)

            saver = threading.Thread(target=cancel)
            saver.start()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # until the save waits on the clock row
                waiting = release.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                ).fetchone()
                if waiting and waiting[0]:
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the save did not wait for the release")
            assert outcome == []
            release.commit()
        saver.join(10)
        assert len(outcome) == 1 and isinstance(outcome[0], ReleasedMeanwhile)
        assert store.outbox() == [Scheduled(n, 130.0)]
    finally:
        store.datastore.close()
