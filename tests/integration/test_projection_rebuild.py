"""The game-state view is a projection: rebuilt from the log, it equals the live one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from adapters.game_state_view import open_sqlite_game_state_view
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.follower import LogFollower
from projections.game_state import GameStateProjection, StateUpdate
from tests.game_events import AWAY, HOME, GameScript


async def no_publish(updates: object) -> None:
    return None


async def test_rebuilt_view_equals_live_view_and_keeper(tmp_path: Path) -> None:
    keeper = Scorekeeper(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "events.sqlite"),
        }
    )
    games = []
    for n in range(3):
        game = GameScript(f"g{n}")
        game.schedule()
        game.start()
        goal = game.score(EventType.GOAL, HOME)
        game.score(EventType.GOAL, AWAY)
        if n == 1:
            game.retract(goal)
        game.final()
        games.append(game)
    published: list[StateUpdate] = []

    async def publish(updates: Sequence[StateUpdate]) -> None:
        published.extend(updates)

    live = open_sqlite_game_state_view(str(tmp_path / "live.sqlite"))
    follower = LogFollower(keeper, GameStateProjection(live, keeper.name), publish, batch_size=4)
    for game in games:
        keeper.record(game.events[:3])
        await follower.catch_up()
        keeper.record(game.events[3:])
    await follower.catch_up()

    rebuilt = open_sqlite_game_state_view(str(tmp_path / "rebuilt.sqlite"))
    await LogFollower(keeper, GameStateProjection(rebuilt, keeper.name), no_publish).catch_up()
    for game in games:
        board = keeper.scoreboard(game.game_id)
        assert board is not None
        assert live.state(game.game_id) == rebuilt.state(game.game_id) == board.public()
    assert live.max_tracking_id(keeper.name) == rebuilt.max_tracking_id(keeper.name) == 16
    # Every event was published once, in version order per game.
    for game in games:
        versions = [u.version for u in published if u.game_id == game.game_id]
        assert versions == list(range(1, len(game.events) + 1))
    keeper.close()


async def test_a_standby_taking_over_resumes_from_the_stored_position(tmp_path: Path) -> None:
    """Two projector processes: the standby's remembered position is stale by takeover."""
    keeper = Scorekeeper(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "events.sqlite"),
        }
    )
    game = GameScript("g")
    game.schedule()
    game.start()
    first_goal = game.score(EventType.GOAL, HOME)
    keeper.record(game.events)
    view = open_sqlite_game_state_view(str(tmp_path / "views.sqlite"))
    standby = LogFollower(keeper, GameStateProjection(view, keeper.name), no_publish)
    active = LogFollower(keeper, GameStateProjection(view, keeper.name), no_publish)
    await active.catch_up()  # the active writer projects the first three events
    keeper.record([game.score(EventType.GOAL, AWAY)])
    standby.resume_from_store()  # what the projector role does on taking the lock
    await standby.catch_up()
    state = view.state("g")
    assert state is not None and (state["home_score"], state["away_score"]) == (1, 1)
    assert first_goal.event_id and state["version"] == 4
    keeper.close()
