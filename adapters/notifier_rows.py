"""What the SQLite notifier store last wrote (or read) of each game, so that a batch
costs in proportion to what changed, not to the length of its games.

Every batch reads the rows of the games it touches back and writes them again: a board
whose text grows with the game's plays, and a hold that changes only when something is
held, settled or revised. :class:`WrittenGames` remembers, per game:

- the board as written, by the read models' one mechanism for it
  (``WrittenTexts``, adapters/board_texts.py: a board read back with the text this
  store last committed is a copy, not a decoding; its text is ``board_text``'s);
- the hold's text and the hold it stands for: a hold text that is the remembered one
  gives the remembered hold itself (a ``GameHold`` and everything in it is
  immutable); a hold that is the very object remembered (``decide`` gives back the
  hold it was given when nothing changed: domain/held_notifications.py) is not encoded
  again; another hold is encoded by :meth:`WrittenGames.hold_json`, which encodes only
  its new or changed entries (exactly ``json.dumps(hold.to_record())``).

Guarantees: :meth:`read` gives what ``scoreboard_from_record(json.loads(board))`` and
``GameHold.from_record(json.loads(hold))`` give (equal objects; the board a fresh one)
whatever texts it is given: a text not remembered for that game (another writer's) is
decoded (and a hold so decoded remembered as what the row holds). :meth:`wrote` must be
told only after the transaction that wrote the texts committed. At most ``kept`` games
are remembered (the least recently written or read forgotten: they are decoded and
written in full again). Safe to share between threads (one lock).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from adapters.board_texts import BoardText, WrittenTexts
from domain.game_hold import GameHold, Held, Released, held_record, released_record
from domain.scoreboard import Scoreboard


class _Game:
    """One game's hold as last written or read, and its entries' encodings."""

    __slots__ = ("entries", "hold", "hold_text")

    def __init__(self) -> None:
        self.hold: GameHold | None = None
        self.hold_text = ""
        # ("pending" or "released", event id) -> (the entry encoded, its text)
        self.entries: dict[tuple[str, str], tuple[Held | Released, str]] = {}


class WrittenGames:
    """The notifier store's rows as last written or read, by game id."""

    def __init__(self, kept: int = 2_000) -> None:
        self.kept = kept
        self._boards = WrittenTexts(kept)
        self._games: dict[str, _Game] = {}
        self._lock = threading.Lock()

    def read(self, game_id: str, board_text: str, hold_text: str) -> tuple[Scoreboard, GameHold]:
        """The board (a fresh object) and the hold of a row read back."""
        board = self._boards.decode(game_id, board_text)
        with self._lock:
            game = self._touch(game_id)
            if game.hold is None or game.hold_text != hold_text:
                game.hold = GameHold.from_record(json.loads(hold_text) or {})
                game.hold_text = hold_text
            return board, game.hold

    def hold_json(self, game_id: str, hold: GameHold) -> str:
        """``json.dumps(hold.to_record())``: the stored text if ``hold`` is the very
        hold the row holds; else encoding only the entries not encoded before (a
        ``Held`` or ``Released`` is immutable: the same object, the same text)."""
        with self._lock:
            game = self._touch(game_id)
            if game.hold is hold:
                return game.hold_text
            known, entries = game.entries, {}
            parts = []
            for section, found, encode in (
                ("pending", hold.pending, held_record),
                ("released", hold.released, released_record),
            ):
                texts = []
                for event_id, entry in found.items():
                    key = (section, event_id)
                    text = known.get(key)
                    if text is None or text[0] is not entry:
                        record: Any = encode(entry)  # type: ignore[arg-type]
                        text = (entry, json.dumps({event_id: record})[1:-1])
                    entries[key] = text
                    texts.append(text[1])
                parts.append(f'"{section}": {{{", ".join(texts)}}}')
            game.entries = entries  # (only what this hold holds)
            return "{" + ", ".join(parts) + "}"

    def wrote(self, board: BoardText, hold: GameHold, hold_text: str) -> None:
        """The row of ``board.board.game_id`` now holds ``board.text`` and ``hold_text``
        (its transaction committed)."""
        self._boards.wrote(board)
        with self._lock:
            game = self._touch(board.board.game_id)
            game.hold, game.hold_text = hold, hold_text

    def _touch(self, game_id: str) -> _Game:
        game = self._games.pop(game_id, None)
        if game is None:
            game = _Game()
        self._games[game_id] = game
        while len(self._games) > self.kept:
            del self._games[next(iter(self._games))]
        return game


__all__ = ["WrittenGames"]
