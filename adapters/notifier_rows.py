"""What the SQLite notifier store last wrote (or read) of each game, so that a batch
costs in proportion to what changed, not to the length of its games.

Every batch reads the rows of the games it touches back and writes them again: a board
whose text grows with the game's plays, and a hold that changes only when something is
held, settled or revised. :class:`WrittenGames` remembers, per game, the row's two
texts and the objects they stand for:

- a row read back whose board text is the remembered one gives the board remembered
  with it (a copy made when it was written; handed over, not kept: a second read
  before the next write decodes), not a decoding; a hold text that is the remembered
  one gives the remembered hold itself (a ``GameHold`` and everything in it is
  immutable);
- a board is encoded by :meth:`WrittenGames.board_json`: ``board_text`` of
  adapters/board_texts.py, which encodes only the plays that are new or changed since
  and splices the rest in (compact JSON, parse-equal to ``scoreboard_json(board)``);
- a hold that is the very object remembered (``decide`` gives back the hold it was
  given when nothing changed: domain/held_notifications.py) is not encoded again: its
  remembered text is written; another hold is encoded by :meth:`WrittenGames.hold_json`,
  which encodes only its new or changed entries (exactly ``json.dumps(hold.to_record())``).

Guarantees: :meth:`read` gives what ``scoreboard_from_record(json.loads(board))`` and
``GameHold.from_record(json.loads(hold))`` give (equal objects; the board a fresh one)
whatever texts it is given: a text not remembered for that game (another writer's) is
decoded, and then remembered as what the row holds. :meth:`wrote` must be told only
after the transaction that wrote the texts committed; then the remembered texts are
the row's as long as this store is the only writer of its games (the notifier is:
one per store, by an advisory lock in a fleet); if another writer changes a row, the
next :meth:`read` of it sees a text not remembered and decodes it. At most ``kept``
games are remembered (the least recently written or read forgotten: they are decoded
and written in full again). Safe to share between threads (one lock).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from adapters.board_texts import board_text
from domain.game_hold import GameHold, Held, Released, held_record, released_record
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_from_record


class _Game:
    """One game's row as last written or read, and its hold entries' encodings."""

    __slots__ = ("board", "board_text", "entries", "hold", "hold_text")

    def __init__(self) -> None:
        self.board: Scoreboard | None = None
        self.board_text = ""
        self.hold: GameHold | None = None
        self.hold_text = ""
        # ("pending" or "released", event id) -> (the entry encoded, its text)
        self.entries: dict[tuple[str, str], tuple[Held | Released, str]] = {}


class WrittenGames:
    """The notifier store's rows as last written or read, by game id."""

    def __init__(self, kept: int = 2_000) -> None:
        self.kept = kept
        self._games: dict[str, _Game] = {}
        self._lock = threading.Lock()

    def read(self, game_id: str, board_text: str, hold_text: str) -> tuple[Scoreboard, GameHold]:
        """The board (a fresh object) and the hold of a row read back."""
        with self._lock:
            return self._read(game_id, board_text, hold_text)

    def _read(self, game_id: str, board_text: str, hold_text: str) -> tuple[Scoreboard, GameHold]:
        game = self._touch(game_id)
        if game.board is None or game.board_text != board_text:
            game.board = scoreboard_from_record(json.loads(board_text))
            game.board_text = board_text
        if game.hold is None or game.hold_text != hold_text:
            game.hold = GameHold.from_record(json.loads(hold_text) or {})
            game.hold_text = hold_text
        board, game.board = game.board, None  # the caller's from now: not kept
        return board, game.hold

    def board_json(self, board: Scoreboard) -> str:
        """The board's text: ``board_text`` (adapters/board_texts.py: compact JSON made
        from the game's last text, only new or changed plays encoded; parse-equal to
        ``scoreboard_json(board)``), the one encoding of a board every SQLite read
        model shares."""
        return board_text(board).text

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

    def wrote(self, board: Scoreboard, board_text: str, hold: GameHold, hold_text: str) -> None:
        """The row of ``board.game_id`` now holds these texts (its transaction committed)."""
        copied = board.copy()
        with self._lock:
            game = self._touch(board.game_id)
            game.board, game.board_text = copied, board_text
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
