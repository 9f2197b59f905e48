"""The projector's batch paths: one read of a batch's boards, one Redis round trip out.

- GameStateView.boards (every view): the stored boards of the games that have one,
  equal to what ``board`` reads one by one.
- RedisStateCache.put_and_publish: every state is put as ``put`` puts it (never over
  a newer version), and every message is published after the states, in order, on
  the channels a RedisBroker subscriber listens to.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import Tracking

from adapters.redis_broker import RedisBroker
from adapters.redis_state_cache import RedisStateCache
from domain.scoreboard import Scoreboard
from domain.sports import EventType
from tests.game_events import AWAY, GameScript
from tests.integration.test_game_state_view_contract import board_with_goal, make_view

__all__ = ["make_view"]  # the contract suite's fixture: memory, SQLite and PostgreSQL


def test_boards_reads_the_stored_boards_of_known_games(make_view: Callable[[], Any]) -> None:
    view = make_view()
    first = board_with_goal()
    game = GameScript("g2")
    second = Scoreboard.scheduled(game.schedule())
    second.apply(game.events[0], 1)
    second.apply(game.score(EventType.GOAL, AWAY), 2)
    view.save({"g1": first, "g2": second}, Tracking("log", 5))
    assert view.boards([]) == {}
    found = view.boards(["g2", "unknown", "g1"])
    assert found == {"g1": first, "g2": second}
    assert found["g1"] == view.board("g1")


async def test_put_and_publish_stores_then_publishes_in_order(
    redis_service: tuple[str, str],
) -> None:
    url, prefix = redis_service
    cache = RedisStateCache(url, prefix=prefix)
    broker = RedisBroker(url, prefix=prefix)
    try:
        await cache.put("g1", {"game_id": "g1", "version": 9, "status": "LIVE"}, final=False)
        subscriptions = {g: await broker.subscribe(f"game:{g}:updates") for g in ("g1", "g2")}
        states = [
            ("g1", {"game_id": "g1", "version": 4, "status": "LIVE"}, False),  # older: kept out
            ("g2", {"game_id": "g2", "version": 3, "status": "FINAL"}, True),
        ]
        messages = [
            (f"game:{g}:updates", json.dumps({"game_id": g, "version": v}).encode())
            for g, v in (("g2", 1), ("g1", 3), ("g2", 2), ("g1", 4), ("g2", 3))
        ]
        await cache.put_and_publish(states, messages)
        got: dict[str, list[int]] = {}
        for game_id, subscription in subscriptions.items():
            for _ in range(3 if game_id == "g2" else 2):
                raw = await asyncio.wait_for(subscription.__anext__(), 5)
                message = json.loads(raw)
                got.setdefault(game_id, []).append(message["version"])
                # the state is stored before any message of its batch goes out
                stored = await cache.get(game_id)
                assert stored is not None and stored["version"] >= 3
        assert got == {"g1": [3, 4], "g2": [1, 2, 3]}
        assert (await cache.get("g1")) == {"game_id": "g1", "version": 9, "status": "LIVE"}
        assert (await cache.get("g2")) == {"game_id": "g2", "version": 3, "status": "FINAL"}
    finally:
        await broker.close()
        await cache.close()
