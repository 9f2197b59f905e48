"""The SQLite notifier store's memory of its rows (adapters/notifier_rows.py) changes
nothing: for any games and any cut into batches, with time passing between them, the
notifier over SQLite decides what it decides over memory, its rows are what the memory
store holds, and a fresh handle on the file (nothing remembered) reads the same games."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import notifier_rows
from adapters.notifier_store import (
    MemoryNotifierStore,
    SQLiteNotifierStore,
    notifier_game_record,
    open_sqlite_notifier_store,
)
from domain.events import GameEvent, Schedule
from domain.held_notifications import GameHold
from domain.scoreboard_record import scoreboard_json
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.follower import decoded_notifications
from projections.notifier import NotifierGame, NotifierProjection
from tests.game_events import AWAY, HOME, GameScript

actions = st.lists(
    st.tuples(
        st.sampled_from(["goal", "card", "shot", "retract", "move", "final", "wait"]),
        st.integers(0, 40),
    ),
    max_size=40,
)


def recorded(games: int, script: list[tuple[str, int]]) -> Scorekeeper:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    scripts = [GameScript(f"g{n}") for n in range(games)]
    notable: list[list[GameEvent]] = [[] for _ in scripts]
    for game in scripts:
        keeper.record([game.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, "A", "C"))])
        keeper.record([game.start()])
    for action, n in script:
        g = n % games
        game = scripts[g]
        if action in ("goal", "card"):
            kind = EventType.GOAL if action == "goal" else EventType.YELLOW_CARD
            event = game.score(kind, (HOME, AWAY)[n % 2])
            notable[g].append(event)
        elif action in ("shot", "wait"):
            event = game.add(EventType.SHOT, team_id=(HOME, AWAY)[n % 2])
        elif action == "final":
            event = game.final()
        elif notable[g]:
            target = notable[g][n % len(notable[g])]
            team = AWAY if target.team_id == HOME else HOME
            event = (
                game.retract(target) if action == "retract" else game.correct(target, team_id=team)
            )
        else:
            continue
        if keeper.record([event])[0].outcome != "recorded":
            game.events.pop()
    return keeper


def rows(store: Any, game_ids: list[str]) -> dict[str, Any]:
    return {g: notifier_game_record(found) for g, found in store.games(game_ids).items()}


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), actions, st.lists(st.integers(1, 6), min_size=1, max_size=8))
def test_sqlite_decides_and_stores_what_memory_does(
    games: int, script: list[tuple[str, int]], cuts: list[int]
) -> None:
    keeper = recorded(games, script)
    log = decoded_notifications(keeper).decode(
        keeper.recorder.select_notifications(start=1, limit=10_000)
    )
    game_ids = [f"g{n}" for n in range(games)]
    clock = [log[0][0].timestamp.timestamp()]
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "notifier.sqlite")
        sqlite, memory = open_sqlite_notifier_store(path), MemoryNotifierStore()
        projections = [
            NotifierProjection(
                s, keeper.name, hold_seconds=30, max_age=1e12, clock=lambda: clock[0]
            )
            for s in (sqlite, memory)
        ]
        start, turn = 0, 0
        while start < len(log):
            size = cuts[turn % len(cuts)]
            batch, start, turn = log[start : start + size], start + size, turn + 1
            decided = [p.process(batch) for p in projections]
            assert decided[0] == decided[1]
            assert sqlite.outbox() == memory.outbox()
            assert rows(sqlite, game_ids) == rows(memory, game_ids)
            with sqlite3.connect(path) as db:
                texts = db.execute("SELECT game_id, board, hold FROM notifier_games").fetchall()
            for game_id, board, hold in texts:  # the texts, whole (the hold's the very one)
                found = memory.games([game_id])[game_id]
                assert json.loads(board) == json.loads(scoreboard_json(found.board))
                assert hold == json.dumps(found.hold.to_record())
            for s in (sqlite, memory):  # the release takes what is due
                s.mark_released([n.id for n in s.due(clock[0], 1000)])
            clock[0] += 7.0 * (size % 3)  # holds of 30 s settle over a few batches
        fresh = SQLiteNotifierStore(SQLiteDatastore(path))
        assert rows(fresh, game_ids) == rows(memory, game_ids) == rows(sqlite, game_ids)
    keeper.close()


def counted(encode: Callable[[Any], Any], calls: list[object]) -> Callable[[Any], Any]:
    def spy(entry: Any) -> Any:
        calls.append(entry)
        return encode(entry)

    return spy


def test_an_unchanged_hold_is_not_encoded_again(monkeypatch: Any) -> None:
    keeper = recorded(1, [("goal", 0), ("shot", 0)])
    log = decoded_notifications(keeper).decode(
        keeper.recorder.select_notifications(start=1, limit=100)
    )
    now = log[0][0].timestamp.timestamp()
    encoded: list[object] = []
    for name in ("held_record", "released_record"):
        monkeypatch.setattr(notifier_rows, name, counted(getattr(notifier_rows, name), encoded))
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "notifier.sqlite")
        store = open_sqlite_notifier_store(path)
        projection = NotifierProjection(
            store, keeper.name, hold_seconds=30, max_age=900, clock=lambda: now
        )
        projection.process(log[:3])  # schedule, start, the goal: held
        assert len(encoded) == 1
        projection.process(log[3:4])  # a shot: the hold is as it was
        assert len(encoded) == 1
        game = store.games(["g0"])["g0"]
        assert list(game.hold.pending) == [log[2][0].game_event["event_id"]]
        settled = NotifierGame(game.board, game.hold.settled(now + 60))
        store.save({"g0": settled}, [], [], Tracking(keeper.name, log[3][1] + 1))
        assert len(encoded) == 2  # settled: its one entry is new, encoded
        with sqlite3.connect(path) as db:
            (hold,) = db.execute("SELECT hold FROM notifier_games").fetchone()
        assert hold == json.dumps(GameHold.to_record(settled.hold))
        assert SQLiteNotifierStore(SQLiteDatastore(path)).games(["g0"])["g0"] == settled
    keeper.close()
