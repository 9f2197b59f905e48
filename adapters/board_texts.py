"""The JSON text of the boards the SQLite read models write, made from the one before.

A live game's board changes by a play or two a batch, yet its row holds the whole
board as text: :func:`~domain.scoreboard_record.scoreboard_json` makes the record of
every play and encodes it again (``json.dumps``: the costliest step), every batch, for
every store that keeps the board. :func:`board_text` remembers the last text it made
for each game, with each play's encoded text: the next text of the game encodes only
the plays that are new or changed (and the board's few other fields), with msgspec
(compact JSON, many times faster than ``json.dumps``), and a board unchanged since (the
same board saved by another store of the same batch) gets the very same text. :class:`WrittenTexts`
remembers what one store wrote, so that a row read back as written costs a copy of
the board, not a decoding.

Guarantees:
- :func:`board_text` gives a JSON text of ``scoreboard_to_record(board)``: it parses
  to what ``scoreboard_json(board)`` parses to (tests/unit/test_board_texts.py), whatever
  it made before, and it is the same text for equal inputs whatever was made before
  (compact, keys in the record's order; a board msgspec cannot encode gets
  ``scoreboard_json``'s text); it changes nothing. A field other than the plays is
  taken as unchanged only if it is the very same object as in the board the reused
  text was made from (``last_event`` and ``schedule`` are only ever replaced, never
  changed in place: domain/scoreboard.py), never on equality alone. A play is taken as
  unchanged if it is that object or equal to it: plays are immutable tuples whose
  fields have one type each (domain/scoreboard.py builds every one), so equal plays
  have equal texts. That matters because each read model folds a board of its own:
  the game-state view, the standings, the player stats and the notifier each have
  their own Play objects for the same plays, and the text one of them made last must
  serve the next (by identity alone each re-encoded every play of the game, every
  batch: a cost growing with the game, ~0.4 ms an event at 300 plays).
- :meth:`WrittenTexts.decode` returns a fresh board equal to
  ``scoreboard_from_record(json.loads(text))`` whatever it is given: a text that is not
  the one :meth:`WrittenTexts.wrote` was last given for that game (another writer's, a
  swapped-in copy's, a transaction that failed) is decoded. This relies on a board
  surviving its record's round trip (tests/unit/test_game_properties.py).
- The boards remembered are copies made by :func:`board_text`: callers may change
  their boards afterwards. At most ``MADE_KEPT`` games' last texts (with their plays'
  texts) are remembered for the process, and ``kept`` games' written boards by each
  :class:`WrittenTexts` (the least recently made or written forgotten). Safe to share
  between threads.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from operator import eq

import msgspec

from domain.scoreboard import Play, Scoreboard
from domain.scoreboard_record import scoreboard_from_record, scoreboard_json, scoreboard_to_record

_PLAYS = "plays"
_ENCODE = msgspec.json.Encoder().encode
KEPT = 10_000  # games whose written board a store remembers
MADE_KEPT = 2_000  # games whose last text (and its plays' texts) the process remembers


@dataclass(frozen=True)
class BoardText:
    """A board's text, with what made it: the board (a copy) and each play's text."""

    board: Scoreboard
    text: str
    event_ids: list[str]  # the board's plays, in order: their ids,
    plays: list[Play]  # the plays themselves
    play_texts: list[str]  # and each one's '"id": [...]' text


class _Kept:
    """Game id -> BoardText, the ``kept`` most recently put."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._found: dict[str, BoardText] = {}
        self._lock = threading.Lock()

    def get(self, game_id: str) -> BoardText | None:
        with self._lock:
            return self._found.get(game_id)

    def put(self, found: BoardText) -> None:
        game_id = found.board.game_id
        with self._lock:
            self._found.pop(game_id, None)
            self._found[game_id] = found
            while len(self._found) > self.kept:
                del self._found[next(iter(self._found))]


_MADE = _Kept(MADE_KEPT)  # the last text made for each game, by any store of the process


def _same(board: Scoreboard, known: BoardText) -> bool:
    """Whether every field of ``board`` is the very object the board ``known`` was made
    from has (the plays one by one, in order): then their texts are the same."""
    mine, theirs = board.__dict__, known.board.__dict__
    if mine.keys() != theirs.keys():
        return False
    for name, value in mine.items():
        if value is not theirs[name] and name != _PLAYS:
            return False
    plays = board.plays
    return (
        len(plays) == len(known.plays)
        and all(map(eq, plays.values(), known.plays))
        and list(plays) == known.event_ids
    )


def board_text(board: Scoreboard) -> BoardText:
    """The board's text (the JSON of ``scoreboard_to_record(board)``), with a copy of
    the board; made from the game's last text where the board, or a play, is unchanged
    since."""
    known = _MADE.get(board.game_id)
    if known is not None and _same(board, known):
        return known
    event_ids, plays = list(board.plays), list(board.plays.values())
    texts: list[str | None]
    if known is None:
        texts = [None] * len(plays)
    else:
        done = len(known.plays)
        if event_ids[:done] == known.event_ids and all(map(eq, plays, known.plays)):
            texts = [*known.play_texts, *([None] * (len(plays) - done))]  # (plays added)
        else:
            before = {
                event_id: (play, text)
                for event_id, play, text in zip(
                    known.event_ids, known.plays, known.play_texts, strict=True
                )
            }
            texts = []
            for event_id, play in zip(event_ids, plays, strict=True):
                found = before.get(event_id)
                texts.append(found[1] if found is not None and found[0] == play else None)
    missing = {
        event_id: play
        for event_id, play, text in zip(event_ids, plays, texts, strict=True)
        if text is None
    }
    shell = Scoreboard.__new__(Scoreboard)
    shell.__dict__.update(board.__dict__)
    shell.plays = missing
    record = scoreboard_to_record(shell)
    try:
        if next(reversed(record)) != _PLAYS:  # (not the layout spliced here)
            raise TypeError("plays are not the record's last field")
        encoded = iter([_ENCODE({k: v})[1:-1].decode() for k, v in record[_PLAYS].items()])
        play_texts = [text if text is not None else next(encoded) for text in texts]
        head = _ENCODE({k: v for k, v in record.items() if k != _PLAYS}).decode()
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):  # (cannot splice)
        return BoardText(board.copy(), scoreboard_json(board), [], [], [])
    text = f'{head[:-1]},"{_PLAYS}":{{{",".join(play_texts)}}}}}'
    made = BoardText(board.copy(), text, event_ids, plays, play_texts)
    _MADE.put(made)
    return made


class WrittenTexts:
    """The texts one store wrote last, by game (see the module docstring)."""

    def __init__(self, kept: int = KEPT) -> None:
        self._written = _Kept(kept)

    def wrote(self, written: BoardText) -> None:
        """The store now holds ``written.text`` for its game (call after the commit).
        Only the board and its text are kept (not its plays' texts)."""
        self._written.put(BoardText(written.board, written.text, [], [], []))

    def decode(self, game_id: str, text: str) -> Scoreboard:
        """A fresh board from a row's text: a copy of the board written as that very
        text, else the text decoded."""
        found = self._written.get(game_id)
        if found is not None and found.text == text:
            return found.board.copy()
        return scoreboard_from_record(json.loads(text))


__all__ = ["BoardText", "WrittenTexts", "board_text"]
