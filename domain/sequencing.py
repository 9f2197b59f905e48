"""SequenceBuffer: releases each game's events in ``sequence_number`` order.

Guarantees, per game:
- An event whose predecessors have all been released is released at once, followed
  by every held event it makes contiguous.
- An early event (a gap before it) is held until the gap fills, or for at most
  ``gap_timeout`` seconds from when the gap was first seen; then the held events are
  released in order and the gap is reported in :attr:`gaps`.
- A late event (its sequence number already passed) is released at once; so is a
  duplicate. Deciding what to do with them is the Scorekeeper's job.
Time is passed in (``now``), so the buffer is deterministic and needs no clock.
Each event travels with its ``position`` (its upstream log offset) so the
caller knows the lowest position still held: the safe point to commit up to.
Cost: the buffer keeps the games holding events apart from the rest, so a step of a
recorder over thousands of games looks only at those waiting (:meth:`expire`,
:meth:`next_deadline`, :meth:`lowest_held_position` are O(games holding), not O(games)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from domain.events import GameEvent


@dataclass(frozen=True)
class Gap:
    game_id: str
    first_missing: int
    last_missing: int
    detected_at: float
    released_at: float


@dataclass
class _GameQueue:
    game_id: str
    expected: int
    held: dict[int, list[tuple[GameEvent, int]]] = field(default_factory=dict)
    gap_since: float | None = None


class SequenceBuffer:
    def __init__(self, gap_timeout: float, next_sequence: Callable[[str], int]) -> None:
        self.gap_timeout = gap_timeout
        self._next_sequence = next_sequence
        self._games: dict[str, _GameQueue] = {}
        self._holding: dict[str, _GameQueue] = {}  # the games with held events
        self.gaps: list[Gap] = []

    def offer(self, event: GameEvent, position: int, now: float) -> list[tuple[GameEvent, int]]:
        """Take one event; return what may be applied now, in order."""
        queue = self._queue(event.game_id)
        seq = event.sequence_number
        if seq < queue.expected:
            return [(event, position)]
        queue.held.setdefault(seq, []).append((event, position))
        released = self._drain(queue)
        if queue.held:
            self._holding[event.game_id] = queue
            if queue.gap_since is None:
                queue.gap_since = now
        return released

    def expire(self, now: float) -> list[tuple[GameEvent, int]]:
        """Release what has waited out the gap timeout; report those gaps."""
        released: list[tuple[GameEvent, int]] = []
        for game_id, queue in list(self._holding.items()):
            while queue.held and queue.gap_since is not None:
                if now - queue.gap_since < self.gap_timeout:
                    break
                first_held = min(queue.held)
                self.gaps.append(Gap(game_id, queue.expected, first_held - 1, queue.gap_since, now))
                queue.expected = first_held
                released.extend(self._drain(queue))
                queue.gap_since = now if queue.held else None
            if not queue.held:
                self._holding.pop(game_id, None)
        return released

    def next_deadline(self) -> float | None:
        """When :meth:`expire` next has something to release (None: nothing held)."""
        starts = [q.gap_since for q in self._holding.values() if q.gap_since is not None]
        return min(starts) + self.gap_timeout if starts else None

    def lowest_held_position(self) -> int | None:
        positions = [
            pos for q in self._holding.values() for items in q.held.values() for _, pos in items
        ]
        return min(positions) if positions else None

    def open_gaps(self, game_id: str) -> list[tuple[int, int]]:
        """The missing sequence ranges of a game that events are waiting on."""
        queue = self._games.get(game_id)
        if queue is None or not queue.held:
            return []
        gaps: list[tuple[int, int]] = []
        expected = queue.expected
        for seq in sorted(queue.held):
            if seq > expected:
                gaps.append((expected, seq - 1))
            expected = seq + 1
        return gaps

    def waiting_games(self) -> list[str]:
        return list(self._holding)

    def held_count(self) -> int:
        return sum(len(items) for q in self._holding.values() for items in q.held.values())

    def _queue(self, game_id: str) -> _GameQueue:
        queue = self._games.get(game_id)
        if queue is None:
            queue = self._games[game_id] = _GameQueue(game_id, self._next_sequence(game_id))
        return queue

    def _drain(self, queue: _GameQueue) -> list[tuple[GameEvent, int]]:
        released: list[tuple[GameEvent, int]] = []
        while queue.expected in queue.held:
            released.extend(queue.held.pop(queue.expected))
            queue.expected += 1
            queue.gap_since = None
        if not queue.held:
            self._holding.pop(queue.game_id, None)
        return released
