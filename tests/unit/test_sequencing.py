"""SequenceBuffer: waits for gaps, but not forever."""

from __future__ import annotations

from domain.events import GameEvent
from domain.sequencing import SequenceBuffer
from domain.sports import EventType
from tests.game_events import GameScript


def events(n: int) -> list[GameEvent]:
    game = GameScript()
    return [game.add(EventType.FOUL) for _ in range(n)]


def seqs(released: list[tuple[GameEvent, int]]) -> list[int]:
    return [e.sequence_number for e, _ in released]


def test_in_order_events_pass_straight_through() -> None:
    e = events(3)
    buffer: SequenceBuffer = SequenceBuffer(2.0, lambda _: 1)
    assert [seqs(buffer.offer(x, i, 0.0)) for i, x in enumerate(e)] == [[1], [2], [3]]


def test_early_event_waits_for_the_gap_to_fill() -> None:
    e = events(3)
    buffer: SequenceBuffer = SequenceBuffer(2.0, lambda _: 1)
    assert seqs(buffer.offer(e[2], 10, 0.0)) == []
    assert seqs(buffer.offer(e[1], 11, 0.5)) == []
    assert buffer.lowest_held_position() == 10
    assert seqs(buffer.offer(e[0], 12, 1.0)) == [1, 2, 3]
    assert buffer.held_count() == 0 and buffer.gaps == []


def test_gap_timeout_releases_later_events_and_reports_the_gap() -> None:
    e = events(4)
    buffer: SequenceBuffer = SequenceBuffer(2.0, lambda _: 1)
    buffer.offer(e[0], 1, 0.0)
    buffer.offer(e[2], 2, 0.0)
    buffer.offer(e[3], 3, 0.1)
    assert buffer.next_deadline() == 2.0
    assert seqs(buffer.expire(1.9)) == []
    assert seqs(buffer.expire(2.0)) == [3, 4]
    (gap,) = buffer.gaps
    assert (gap.first_missing, gap.last_missing) == (2, 2)
    # The late event is still released when it comes.
    assert seqs(buffer.offer(e[1], 4, 5.0)) == [2]


def test_a_second_gap_gets_its_own_timeout() -> None:
    e = events(5)
    buffer: SequenceBuffer = SequenceBuffer(2.0, lambda _: 1)
    buffer.offer(e[2], 1, 0.0)
    buffer.offer(e[4], 2, 0.0)
    assert seqs(buffer.expire(2.0)) == [3]
    assert buffer.next_deadline() == 4.0
    assert seqs(buffer.expire(4.0)) == [5]
    assert [(g.first_missing, g.last_missing) for g in buffer.gaps] == [(1, 2), (4, 4)]


def test_duplicates_and_late_events_are_released_at_once() -> None:
    e = events(2)
    buffer: SequenceBuffer = SequenceBuffer(2.0, lambda _: 3)
    assert seqs(buffer.offer(e[0], 1, 0.0)) == [1]
    assert seqs(buffer.offer(e[0], 2, 0.0)) == [1]


def test_games_are_independent() -> None:
    a, b = GameScript("a"), GameScript("b")
    a1, a2 = a.add(EventType.FOUL), a.add(EventType.FOUL)
    b1 = b.add(EventType.FOUL)
    buffer: SequenceBuffer = SequenceBuffer(2.0, lambda _: 1)
    assert seqs(buffer.offer(a2, 1, 0.0)) == []
    assert seqs(buffer.offer(b1, 2, 0.0)) == [1]
    assert seqs(buffer.offer(a1, 3, 0.0)) == [1, 2]
