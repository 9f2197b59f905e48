"""A store's boards read back as written (domain/scoreboard_record.WrittenBoards): for
any boards, a read gives the board the row's text decodes to, whoever wrote it, and a
fresh object each time; the SQLite stores read another writer's rows as written."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from eventsourcing.persistence import Tracking
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.game_state_view import SQLiteGameStateView
from adapters.notifier_store import SQLiteNotifierStore
from adapters.player_stats_store import SQLitePlayerStatsStore
from adapters.sqlite_connection import read_model_datastore
from adapters.standings_store import SQLiteStandingsStore
from domain.events import GameEvent
from domain.held_notifications import GameHold
from domain.player_stats import contribution_of, game_lines
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import WrittenBoards, scoreboard_from_record, scoreboard_json
from domain.sports import EventType
from domain.standings import result_of
from projections.notifier import NotifierGame
from projections.player_stats import PlayerStatsGame
from projections.standings import StandingsGame
from tests.game_events import GameScript
from tests.unit.test_board_fold import recorded_log, slate


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


@settings(max_examples=60, deadline=None)
@given(slate(), st.integers(1, 30), st.integers(1, 30))
def test_a_read_is_the_rows_text_decoded_whoever_wrote_it(
    events: list[GameEvent], first: int, second: int
) -> None:
    written = WrittenBoards()
    before, after = boards_after(events, first), boards_after(events, first + second)
    for board in before.values():
        written.wrote(board, scoreboard_json(board))
    for game_id, board in before.items():
        text = scoreboard_json(board)
        read = written.decode(game_id, text)
        assert read == scoreboard_from_record(json.loads(text)) == board
        assert read is not written.decode(game_id, text)
        read.plays.clear()  # the caller's to change: the next read is whole again
        assert written.decode(game_id, text) == board
    for game_id, board in after.items():  # another writer's text: decoded
        assert written.decode(game_id, scoreboard_json(board)) == board


def test_at_most_kept_games_are_remembered() -> None:
    events = [e for n in range(5) for e in boards_events(f"g{n}")]
    boards = boards_after(events, len(events))
    written = WrittenBoards(kept=2)
    for board in boards.values():
        written.wrote(board, scoreboard_json(board))
    assert len(written._boards) == 2
    for game_id, board in boards.items():
        assert written.decode(game_id, scoreboard_json(board)) == board


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
