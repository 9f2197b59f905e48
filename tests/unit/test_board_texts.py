"""Board texts made from the last one (adapters/board_texts.py) and player lines written
as what changed (adapters/sqlite_player_lines.py): for any games and any cut of their
events into batches, the text is scoreboard_json's, a read gives the row's text
decoded whoever wrote it, and the line rows are what a whole rewrite leaves, with
another writer on the same file."""

from __future__ import annotations

import itertools
import json
import sqlite3
import tempfile
from pathlib import Path

import msgspec
from eventsourcing.persistence import Tracking
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.board_texts import WrittenTexts, board_text
from adapters.player_stats_store import SQLitePlayerStatsStore
from adapters.sqlite_connection import read_model_datastore
from domain.events import GameEvent
from domain.player_stats import game_lines
from domain.recorded_event import RecordedEvent
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_from_record, scoreboard_json
from domain.season_lines import contribution_of
from projections.player_stats import PlayerStatsGame, game_line_rows
from tests.unit.test_board_fold import recorded_log, slate


def recorded(events: list[GameEvent]) -> list[RecordedEvent]:
    keeper = recorded_log(events)
    return [r for g in dict.fromkeys(e.game_id for e in events) for r in keeper.recorded_events(g)]


def batches(found: list[RecordedEvent], cuts: list[int]) -> list[list[RecordedEvent]]:
    bounds = sorted({0, len(found), *(c % (len(found) + 1) for c in cuts)})
    return [found[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=50, deadline=None)
@given(slate(), st.lists(st.integers(0, 200), max_size=8), st.booleans())
def test_a_text_is_scoreboard_json_however_the_boards_were_made(
    events: list[GameEvent], cuts: list[int], decoded: bool
) -> None:
    """Boards folded batch by batch as the projections do (a copy of the last board
    written, or the row decoded, then the batch's events applied): each text is the
    board's scoreboard_json, and the board is not changed."""
    written = WrittenTexts()
    texts: dict[str, str] = {}
    for batch in batches(recorded(events), cuts):
        boards: dict[str, Scoreboard] = {}
        for r in batch:
            game_id = r.event.game_id
            if game_id not in boards:
                text = texts.get(game_id)
                if text is None:
                    boards[game_id] = Scoreboard.scheduled(r.event)
                elif decoded:
                    boards[game_id] = scoreboard_from_record(json.loads(text))
                else:
                    boards[game_id] = written.decode(game_id, text)
            boards[game_id].apply(r.event, r.version)
        for board in boards.values():
            before = board.copy()
            for _ in range(2):  # (the second: another store saving the same board)
                made = board_text(board)
                assert json.loads(made.text) == json.loads(scoreboard_json(board))
                assert made.text == _compact(board)
                assert board == before == made.board and made.board is not board
            written.wrote(made)
            texts[board.game_id] = made.text


@settings(max_examples=30, deadline=None)
@given(slate(), st.integers(0, 60))
def test_a_board_changed_after_its_text_gets_its_own_text(
    events: list[GameEvent], cut: int
) -> None:
    found = recorded(events)
    boards: dict[str, Scoreboard] = {}
    for index, r in enumerate(found):
        board = boards.get(r.event.game_id) or Scoreboard.scheduled(r.event)
        boards[r.event.game_id] = board
        if index >= cut:
            board_text(board)  # then changed in place
        board.apply(r.event, r.version)
        assert board_text(board).text == _compact(board)


@settings(max_examples=30, deadline=None)
@given(slate(), st.integers(1, 30), st.integers(1, 30))
def test_a_read_is_the_rows_text_decoded_whoever_wrote_it(
    events: list[GameEvent], first: int, second: int
) -> None:
    found = recorded(events)
    written = WrittenTexts()
    before, after = fold(found[:first]), fold(found[: first + second])
    for board in before.values():
        written.wrote(board_text(board))
    for game_id, board in before.items():
        text = scoreboard_json(board)
        read = written.decode(game_id, text)
        assert read == board and read is not written.decode(game_id, text)
        read.plays.clear()  # the caller's to change: the next read is whole again
        assert written.decode(game_id, text) == board
    for game_id, board in after.items():  # another writer's text: decoded
        assert written.decode(game_id, scoreboard_json(board)) == board


def _compact(board: Scoreboard) -> str:
    """The board's text made afresh (what a rebuild's store writes)."""
    return msgspec.json.encode(json.loads(scoreboard_json(board))).decode()


def fold(found: list[RecordedEvent]) -> dict[str, Scoreboard]:
    boards: dict[str, Scoreboard] = {}
    for r in found:
        board = boards.get(r.event.game_id) or Scoreboard.scheduled(r.event)
        boards[r.event.game_id] = board
        board.apply(r.event, r.version)
    return boards


@settings(max_examples=30, deadline=None)
@given(slate(), st.lists(st.integers(0, 200), max_size=6), st.lists(st.booleans(), max_size=8))
def test_line_rows_are_a_whole_rewrite_s_with_another_writer(
    events: list[GameEvent], cuts: list[int], others: list[bool]
) -> None:
    """Batches saved by one store, some by a second store on the same file (another
    writer, or a rebuild's swap): the rows are always the lines of the last save."""
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "players.sqlite")
        mine, other = _players(path), _players(path)
        so_far: list[RecordedEvent] = []
        for position, batch in enumerate(batches(recorded(events), cuts), 1):
            so_far += batch
            boards = fold(so_far)
            games = {}
            for g in dict.fromkeys(r.event.game_id for r in batch):
                lines = game_lines(boards[g])
                games[g] = PlayerStatsGame(boards[g], lines, contribution_of(boards[g], lines))
            writer = other if position <= len(others) and others[position - 1] else mine
            writer.save(games, [], Tracking("up", position))
            expected = sorted(
                (r["game_id"], r["player_id"], r["team_id"], r["league"], r["season"],
                 r["sport"], r["status"], r["stats"])
                for b in boards.values()
                for r in game_line_rows(PlayerStatsGame(b, game_lines(b)))
            )  # fmt: skip
            with sqlite3.connect(path) as connection:
                rows = connection.execute("SELECT * FROM player_game_stats").fetchall()
            assert sorted((*row[:7], json.loads(row[7])) for row in rows) == expected


def _players(path: str) -> SQLitePlayerStatsStore:
    store = SQLitePlayerStatsStore(read_model_datastore(path))
    store.create_table()
    return store


@settings(max_examples=40, deadline=None)
@given(slate(), st.lists(st.integers(0, 200), max_size=8))
def test_read_models_folding_boards_of_their_own_share_each_others_play_texts(
    events: list[GameEvent], cuts: list[int]
) -> None:
    """Two read models fold the same events into boards of their own (equal plays,
    other objects), each making its text after every batch in turn: every text is the
    board's compact scoreboard_json, and after the first, a text encodes only the
    plays that are new since the other's last text, never the game's every play."""
    import adapters.board_texts as board_texts

    encoded: list[int] = []

    def counting(value: object) -> bytes:
        encoded.append(1)
        return msgspec.json.encode(value)

    ours: dict[str, Scoreboard] = {}
    theirs: dict[str, Scoreboard] = {}
    last_plays: dict[str, dict[str, object]] = {}  # each game's plays at its last text
    original = board_texts._ENCODE
    board_texts._ENCODE = counting
    try:
        for batch in batches(recorded(events), cuts):
            for boards in (ours, theirs):
                for r in batch:
                    game_id = r.event.game_id
                    if game_id not in boards:
                        boards[game_id] = Scoreboard.scheduled(r.event)
                    boards[game_id].apply(r.event, r.version)
            for game_id in dict.fromkeys(r.event.game_id for r in batch):
                before = last_plays.get(game_id, {})
                changed = sum(1 for k, p in ours[game_id].plays.items() if before.get(k) != p)
                for boards in (ours, theirs):  # theirs: nothing new since ours
                    board = boards[game_id]
                    encoded.clear()
                    made = board_text(board)
                    assert made.text == _compact(board)
                    assert len(encoded) <= 1 + changed  # the head, and no unchanged play
                    changed = 0
                last_plays[game_id] = dict(theirs[game_id].plays)
    finally:
        board_texts._ENCODE = original
