"""One contract for every game-state view: states and tracking move together."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from adapters.game_state_view import MemoryGameStateView, open_sqlite_game_state_view
from adapters.postgres_game_state_view import open_postgres_game_state_view
from domain.scoreboard import Scoreboard
from domain.sports import EventType
from projections.writer_boards import WriterBoards
from tests.game_events import HOME, GameScript


@pytest.fixture(params=["memory", "sqlite", "postgres", "postgres-writer"])
def make_view(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    memory = MemoryGameStateView()
    # PostgreSQL: the run's database, a schema of this test's own.
    postgres = request.param.startswith("postgres")
    url = request.getfixturevalue("postgres_url") if postgres else ""
    schema = f"contract_{uuid.uuid4().hex[:12]}"
    opened: list[Any] = []

    def make() -> Any:
        if request.param == "memory":
            return memory
        if postgres:
            opened.append(open_postgres_game_state_view(url, schema=schema))
            # The projector's: the PostgreSQL view, its boards kept by its one writer.
            return WriterBoards(opened[-1]) if request.param == "postgres-writer" else opened[-1]
        return open_sqlite_game_state_view(str(tmp_path / "views.sqlite"))

    yield make
    for view in opened:
        view.datastore.close()


def board_with_goal() -> Scoreboard:
    game = GameScript()
    board = Scoreboard.scheduled(game.schedule())
    board.apply(game.events[0], 1)
    for version, event in enumerate([game.start(), game.score(EventType.GOAL, HOME)], 2):
        board.apply(event, version)
    return board


def test_saved_states_are_readable_with_their_position(make_view: Callable[[], Any]) -> None:
    view = make_view()
    board = board_with_goal()
    view.save({"g1": board}, Tracking("log", 3))
    assert view.max_tracking_id("log") == 3
    assert view.state("g1")["home_score"] == 1
    assert view.board("g1") == board
    assert [s["game_id"] for s in view.states("LIVE")] == ["g1"]
    assert view.states("FINAL") == []


def test_a_position_is_never_applied_twice(make_view: Callable[[], Any]) -> None:
    view = make_view()
    view.save({"g1": board_with_goal()}, Tracking("log", 3))
    changed = board_with_goal()
    changed.home_score = 99
    with pytest.raises(IntegrityError):
        view.save({"g1": changed}, Tracking("log", 3))
    assert view.board("g1").home_score == 1
    assert view.max_tracking_id("log") == 3


def test_states_survive_reopening(make_view: Callable[[], Any]) -> None:
    view = make_view()
    view.save({"g1": board_with_goal()}, Tracking("log", 3))
    again = make_view()
    assert again.state("g1")["home_score"] == 1
    assert again.max_tracking_id("log") == 3
