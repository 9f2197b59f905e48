"""The SQLite notifier store's memory of its rows (adapters/notifier_rows.py): for any
games, a board's text parses to ``scoreboard_json`` of it however it was encoded before, a
read gives what the row's texts decode to (whoever wrote them), and a board read is a
fresh object."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.board_texts import board_text
from adapters.notifier_rows import WrittenGames
from domain.events import GameEvent
from domain.held_notifications import GameHold
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_from_record, scoreboard_json
from tests.game_events import GameScript
from tests.unit.test_board_fold import recorded_log, slate

EMPTY_HOLD = json.dumps(GameHold().to_record())


def recorded(events: list[GameEvent]) -> list[tuple[GameEvent, int]]:
    keeper = recorded_log(events)
    games = dict.fromkeys(e.game_id for e in events)
    return [(r.event, r.version) for g in games for r in keeper.recorded_events(g)]


@settings(max_examples=40, deadline=None)
@given(slate(), st.lists(st.integers(1, 5), min_size=1, max_size=6))
def test_a_board_is_encoded_as_its_record_and_read_back_as_written(
    events: list[GameEvent], cuts: list[int]
) -> None:
    written = WrittenGames()
    stored: dict[str, str] = {}  # game id -> the row's board text
    log = recorded(events)
    start, turn = 0, 0
    while start < len(log):
        size = cuts[turn % len(cuts)]
        batch, start, turn = log[start : start + size], start + size, turn + 1
        boards: dict[str, Scoreboard] = {}
        for event, version in batch:
            board = boards.get(event.game_id)
            if board is None:
                text = stored.get(event.game_id)
                board = (
                    written.read(event.game_id, text, EMPTY_HOLD)[0]
                    if text is not None
                    else Scoreboard.scheduled(event)
                )
                if text is not None:
                    assert board == scoreboard_from_record(json.loads(text))
                boards[event.game_id] = board
            board.apply(event, version)
        for game_id, board in boards.items():
            made = board_text(board)
            text = made.text
            assert json.loads(text) == json.loads(scoreboard_json(board))
            assert board_text(board).text == text  # (made again: the same text)
            written.wrote(made, GameHold(), EMPTY_HOLD)
            stored[game_id] = text
            read = written.read(game_id, text, EMPTY_HOLD)[0]
            assert read == board and read is not board
            read.plays.clear()  # the caller's to change: the next read is whole again
            assert written.read(game_id, text, EMPTY_HOLD)[0] == board


@settings(max_examples=20, deadline=None)
@given(slate(), st.integers(1, 30))
def test_a_row_another_writer_wrote_is_decoded(events: list[GameEvent], cut: int) -> None:
    written = WrittenGames()
    log = recorded(events)
    boards: dict[str, Scoreboard] = {}
    for n, (event, version) in enumerate(log):
        board = boards.get(event.game_id) or Scoreboard.scheduled(event)
        boards[event.game_id] = board
        board.apply(event, version)
        if n + 1 == cut:
            for b in boards.values():
                written.wrote(board_text(b), GameHold(), EMPTY_HOLD)
    for game_id, board in boards.items():
        text = scoreboard_json(board)
        read, hold = written.read(game_id, text, json.dumps({"pending": {}}))
        assert read == board and hold == GameHold()
        assert json.loads(board_text(read).text) == json.loads(text)


def test_the_hold_remembered_is_the_one_written_or_read() -> None:
    written = WrittenGames()
    board = Scoreboard.scheduled(GameScript("g1").schedule())
    hold = GameHold()
    assert written.hold_json(board.game_id, hold) == EMPTY_HOLD
    written.wrote(board_text(board), hold, "(as stored)")
    assert written.hold_json(board.game_id, hold) == "(as stored)"  # the very hold
    assert written.hold_json(board.game_id, GameHold()) == EMPTY_HOLD  # equal, not it
    _, read = written.read(board.game_id, scoreboard_json(board), "(as stored)")
    assert read is hold
    _, other = written.read(board.game_id, scoreboard_json(board), '{"released": {}}')
    assert other is not hold and other == hold
    assert written.hold_json(board.game_id, other) == '{"released": {}}'
