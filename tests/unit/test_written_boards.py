"""The SQLite stores read boards back as written (adapters/board_texts.WrittenTexts,
adapters/notifier_rows.WrittenGames): another writer's rows are read as that writer
wrote them, and each store reads its own writes back."""

from __future__ import annotations

import tempfile
from pathlib import Path

from eventsourcing.persistence import Tracking

from adapters.game_state_view import SQLiteGameStateView
from adapters.notifier_store import SQLiteNotifierStore
from adapters.player_stats_store import SQLitePlayerStatsStore
from adapters.sqlite_connection import read_model_datastore
from adapters.standings_store import SQLiteStandingsStore
from domain.events import GameEvent
from domain.held_notifications import GameHold
from domain.player_stats import game_lines
from domain.scoreboard import Scoreboard
from domain.season_lines import contribution_of
from domain.sports import EventType
from domain.standings import result_of
from projections.notifier import NotifierGame
from projections.player_stats import PlayerStatsGame
from projections.standings import StandingsGame
from tests.game_events import GameScript
from tests.unit.test_board_fold import recorded_log


def boards_after(events: list[GameEvent], cut: int) -> dict[str, Scoreboard]:
    """Each game's board after the first ``cut`` recorded events (and after all)."""
    keeper = recorded_log(events)
    boards: dict[str, Scoreboard] = {}
    recorded = [
        r for g in dict.fromkeys(e.game_id for e in events) for r in keeper.recorded_events(g)
    ]
    for r in recorded[:cut]:
        board = boards.get(r.event.game_id) or Scoreboard.scheduled(r.event)
        boards[r.event.game_id] = board
        board.apply(r.event, r.version)
    return boards


def boards_events(game_id: str) -> list[GameEvent]:
    game = GameScript(game_id)
    game.schedule()
    game.start()
    game.score(EventType.GOAL)
    return game.events


def test_sqlite_stores_read_another_writers_rows() -> None:
    """Two handles on each file: what one writes, the other reads (not its own last
    write), and each reads its own writes back."""
    events = [e for n in range(3) for e in boards_events(f"g{n}")]
    early, late = boards_after(events, 4), boards_after(events, len(events))
    with tempfile.TemporaryDirectory() as directory:
        for name, make, save in STORES:
            path = str(Path(directory) / f"{name}.sqlite")
            mine, other = make(path), make(path)
            save(mine, early, 1)
            save(other, late, 2)
            assert read(mine, early) == {g: late[g] for g in early}, name
            save(mine, early, 3)
            assert read(other, early) == early, name
            assert read(mine, early) == early, name


def _view(path: str) -> SQLiteGameStateView:
    store = SQLiteGameStateView(read_model_datastore(path))
    store.create_table()
    return store


def _standings(path: str) -> SQLiteStandingsStore:
    store = SQLiteStandingsStore(read_model_datastore(path))
    store.create_table()
    return store


def _players(path: str) -> SQLitePlayerStatsStore:
    store = SQLitePlayerStatsStore(read_model_datastore(path))
    store.create_table()
    return store


def _notifier(path: str) -> SQLiteNotifierStore:
    store = SQLiteNotifierStore(read_model_datastore(path))
    store.create_table()
    return store


def _save(store: object, boards: dict[str, Scoreboard], position: int) -> None:
    tracking = Tracking("up", position)
    if isinstance(store, SQLiteGameStateView):
        store.save(boards, tracking)
    elif isinstance(store, SQLiteStandingsStore):
        games = {g: StandingsGame(b.copy(), result_of(b)) for g, b in boards.items()}
        store.save(games, [], tracking)
    elif isinstance(store, SQLitePlayerStatsStore):
        found = {}
        for g, b in boards.items():
            lines = game_lines(b)
            found[g] = PlayerStatsGame(b.copy(), lines, contribution_of(b, lines))
        store.save(found, [], tracking)
    else:
        assert isinstance(store, SQLiteNotifierStore)
        store.save(
            {g: NotifierGame(b.copy(), GameHold()) for g, b in boards.items()}, [], [], tracking
        )


def read(store: object, boards: dict[str, Scoreboard]) -> dict[str, Scoreboard]:
    if isinstance(store, SQLiteGameStateView):
        return store.boards(list(boards))
    found = store.games(list(boards))  # type: ignore[attr-defined]
    return {g: game.board for g, game in found.items()}


STORES = [
    ("views", _view, _save),
    ("standings", _standings, _save),
    ("players", _players, _save),
    ("notifier", _notifier, _save),
]
