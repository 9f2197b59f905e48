"""AckedSequences: per game, the highest sequence number up to which all is durable.

This is what an ``ack`` and ``ready.acked`` report. Pure and bounded.

Guarantees:
- :meth:`contiguous` only grows, and every sequence number at or below it was
  marked durable or was already recorded (:meth:`raise_floor`), so resuming after it
  never skips an event. It is conservative: it may lag what is really durable (an
  event durable but never marked here is resent and then acknowledged as a duplicate).
- Memory is bounded: at most ``max_games`` games (the least recently marked are
  forgotten, and re-learned from the event store) and at most ``max_held`` sequence
  numbers held above a gap per game (beyond that, the highest are forgotten).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class _Game:
    contiguous: int = 0
    held: set[int] = field(default_factory=set)


class AckedSequences:
    def __init__(self, *, max_games: int = 1000, max_held: int = 10_000) -> None:
        self.max_games = max_games
        self.max_held = max_held
        self._games: OrderedDict[str, _Game] = OrderedDict()

    def __contains__(self, game_id: object) -> bool:
        return game_id in self._games

    def games(self) -> list[str]:
        return list(self._games)

    def contiguous(self, game_id: str) -> int:
        """Every event 1..N of the game is durable (0: nothing known)."""
        game = self._games.get(game_id)
        return game.contiguous if game else 0

    def raise_floor(self, game_id: str, recorded: int) -> int:
        """Events 1..``recorded`` are known durable (from the event store)."""
        game = self._game(game_id)
        if recorded > game.contiguous:
            game.contiguous = recorded
            game.held = {s for s in game.held if s > recorded}
            self._drain(game)
        return game.contiguous

    def mark(self, game_id: str, sequence_numbers: list[int]) -> int:
        """These events of the game are durable; returns the new contiguous position."""
        game = self._game(game_id)
        for seq in sequence_numbers:
            if seq > game.contiguous:
                game.held.add(seq)
        self._drain(game)
        if len(game.held) > self.max_held:
            game.held = set(sorted(game.held)[: self.max_held])
        return game.contiguous

    def snapshot(self) -> dict[str, int]:
        return {game_id: game.contiguous for game_id, game in self._games.items()}

    def _game(self, game_id: str) -> _Game:
        game = self._games.get(game_id)
        if game is None:
            game = self._games[game_id] = _Game()
            while len(self._games) > self.max_games:
                self._games.popitem(last=False)
        else:
            self._games.move_to_end(game_id)
        return game

    @staticmethod
    def _drain(game: _Game) -> None:
        while game.contiguous + 1 in game.held:
            game.contiguous += 1
            game.held.discard(game.contiguous)
