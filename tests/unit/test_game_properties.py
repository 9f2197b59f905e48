"""Invariants with a "for any input" shape, checked with hypothesis."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import GameEvent
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_from_record, scoreboard_to_record
from domain.scorekeeper import Scorekeeper
from domain.sequencing import SequenceBuffer
from domain.sports import RULES, EventType, Sport
from tests.game_events import AWAY, HOME, GameScript

SPORTS = st.sampled_from(list(Sport))
PLAYERS = st.sampled_from([None, "p1", "p2", "p3"])
NAMES = st.sampled_from([None, "Ciro Immobile", "Lorenzo Insigne", "Łukasz Piszczek", "Zé"])


@st.composite
def player(draw: st.DrawFn) -> dict[str, Any]:
    """The player fields of a play: none, an id, or an id and a name."""
    player_id = draw(PLAYERS)
    name = draw(NAMES) if player_id is not None else None
    return {"player_id": player_id, **({"player_name": name} if name else {})}


@st.composite
def games(draw: st.DrawFn) -> GameScript:
    """A valid game of any sport: scoring, incidents, retractions and corrections."""
    sport = draw(SPORTS)
    rules = RULES[sport]
    scoring = sorted(rules.points, key=lambda t: t.value)
    game = GameScript(sport=sport)
    game.schedule()
    game.start()
    plays: list[GameEvent] = []
    revised: set[str] = set()
    for _ in range(draw(st.integers(0, 25))):
        action = draw(st.sampled_from(["score", "score", "score", "foul", "retract", "correct"]))
        candidates = [p for p in plays if p.event_id not in revised]
        if action == "score" or (action in ("retract", "correct") and not candidates):
            kind = draw(st.sampled_from(scoring))
            plays.append(game.score(kind, draw(st.sampled_from([HOME, AWAY])), **draw(player())))
        elif action == "foul":
            game.add(EventType.FOUL, team_id=draw(st.sampled_from([HOME, AWAY])), **draw(player()))
        else:
            target = draw(st.sampled_from(candidates))
            if action == "retract":
                game.retract(target)
                revised.add(target.event_id)
            else:
                game.correct(
                    target,
                    team_id=draw(st.sampled_from([HOME, AWAY])),
                    event_type=draw(st.sampled_from(scoring)),
                    player_id=draw(PLAYERS),
                    player_name=draw(NAMES),
                )
    if draw(st.booleans()):
        game.final()
    return game


def expected_score(game: GameScript) -> tuple[int, int]:
    """The score computed independently: points of scoring events not retracted."""
    rules = RULES[game.sport]
    effective: dict[str, tuple[EventType, str | None]] = {}
    for e in game.events:
        if e.event_type == EventType.EVENT_RETRACTED:
            assert e.references_event_id is not None
            effective.pop(e.references_event_id)
        elif e.event_type == EventType.EVENT_CORRECTED:
            assert e.references_event_id is not None and e.correction is not None
            kind, team = effective[e.references_event_id]
            effective[e.references_event_id] = (
                e.correction.event_type or kind,
                e.correction.team_id or team,
            )
        elif e.event_type in rules.points:
            effective[e.event_id] = (e.event_type, e.team_id)
    home = away = 0
    for kind, team in effective.values():
        for_home = (team == HOME) != (kind in rules.scores_for_opponent)
        if for_home:
            home += rules.points[kind]
        else:
            away += rules.points[kind]
    return home, away


def fresh_keeper() -> Scorekeeper:
    return Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


@settings(max_examples=60, deadline=None)
@given(games())
def test_score_is_the_points_of_scoring_events_not_retracted(game: GameScript) -> None:
    keeper = fresh_keeper()
    assert {v.outcome for v in keeper.record(game.events)} == {"recorded"}
    board = keeper.scoreboard(game.game_id)
    assert board is not None
    assert (board.home_score, board.away_score) == expected_score(game)


@settings(max_examples=60, deadline=None)
@given(games(), st.data())
def test_any_arrival_order_with_duplicates_converges_on_the_in_order_state(
    game: GameScript, data: st.DataObject
) -> None:
    in_order = fresh_keeper()
    in_order.record(game.events)
    expected = in_order.scoreboard(game.game_id)

    arrivals = data.draw(st.permutations(game.events))
    duplicates = data.draw(st.lists(st.sampled_from(game.events), max_size=10))
    positions = sorted(data.draw(st.permutations(range(len(arrivals) + len(duplicates)))))
    shuffled = data.draw(st.permutations([*arrivals, *duplicates]))
    keeper = fresh_keeper()
    buffer: SequenceBuffer = SequenceBuffer(2.0, keeper.next_sequence)
    for position, event in zip(positions, shuffled, strict=True):
        released = buffer.offer(event, position, now=0.0)
        keeper.record([e for e, _ in released])
    assert buffer.held_count() == 0
    got = keeper.scoreboard(game.game_id)
    assert got is not None and expected is not None
    assert got.public() == expected.public()


@settings(max_examples=60, deadline=None)
@given(games(), st.data())
def test_scoreboard_fold_is_order_independent(game: GameScript, data: st.DataObject) -> None:
    """Folding the same events in any order that keeps revisions after their targets."""

    def fold(events: list[GameEvent]) -> Scoreboard:
        board = Scoreboard.scheduled(game.events[0])
        for version, event in enumerate(events, 1):
            board.apply(event, version)
        return board

    order = list(game.events)
    shuffled = data.draw(st.permutations(order[1:]))
    by_id = {e.event_id: e for e in order}
    # Move each revision after its target, keeping everything else as drawn.
    placed: list[GameEvent] = []
    for event in shuffled:
        placed.append(event)
    for _ in range(len(placed)):
        for i, event in enumerate(placed):
            ref = event.references_event_id
            if ref and ref in by_id and by_id[ref] in placed[i:]:
                placed.remove(event)
                placed.insert(placed.index(by_id[ref]) + 1, event)
    assert fold(order).public() == fold([order[0], *placed]).public()


@settings(max_examples=40, deadline=None)
@given(games())
def test_scoreboard_survives_its_record_round_trip(game: GameScript) -> None:
    keeper = fresh_keeper()
    keeper.record(game.events)
    board = keeper.scoreboard(game.game_id)
    assert board is not None
    record = json.loads(json.dumps(scoreboard_to_record(board)))
    assert scoreboard_from_record(record) == board


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 30), max_size=60), st.integers(0, 2))
def test_buffer_releases_contiguous_sequences_in_order(arrivals: list[int], start: int) -> None:
    """Whatever arrives, what is released beyond the start is in order without gaps."""
    base = GameScript()
    events = {
        n: base.add(EventType.FOUL, sequence_number=n, event_id=f"e{n}") for n in range(1, 31)
    }
    buffer: SequenceBuffer = SequenceBuffer(5.0, lambda game_id: start + 1)
    released = [
        e.sequence_number
        for position, n in enumerate(arrivals)
        for e, _ in buffer.offer(events[n], position, now=0.0)
    ]
    fresh = [n for n in released if n > start]
    unique_fresh = list(dict.fromkeys(fresh))
    assert unique_fresh == list(range(start + 1, start + 1 + len(unique_fresh)))
    assert all(a <= b for a, b in itertools.pairwise(unique_fresh))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("offer"), st.integers(0, 3), st.integers(1, 12)),
            st.tuples(st.just("expire"), st.just(0), st.just(0)),
        ),
        max_size=80,
    )
)
def test_buffer_reports_equal_a_scan_of_every_game(steps: list[tuple[str, int, int]]) -> None:
    """Whatever arrives and whenever it expires, the buffer's reports about what it
    holds (kept from the games holding events only) equal a scan of every game."""
    scripts = [GameScript(game_id=f"g{n}") for n in range(4)]
    events = {
        (g, n): scripts[g].add(EventType.FOUL, sequence_number=n, event_id=f"g{g}-e{n}")
        for g in range(4)
        for n in range(1, 13)
    }
    buffer: SequenceBuffer = SequenceBuffer(2.0, lambda game_id: 1)
    for now, (kind, game, n) in enumerate(steps):
        if kind == "offer":
            buffer.offer(events[(game, n)], now, now=float(now))
        else:
            buffer.expire(float(now))
        queues = buffer._games.items()
        held = {game_id: q for game_id, q in queues if q.held}
        assert set(buffer.waiting_games()) == set(held)
        assert buffer.held_count() == sum(len(i) for q in held.values() for i in q.held.values())
        positions = [p for q in held.values() for items in q.held.values() for _, p in items]
        assert buffer.lowest_held_position() == (min(positions) if positions else None)
        starts = [q.gap_since for q in held.values() if q.gap_since is not None]
        assert buffer.next_deadline() == (min(starts) + 2.0 if starts else None)


@settings(max_examples=60, deadline=None)
@given(games())
def test_a_board_s_copy_is_equal_and_independent(script: GameScript) -> None:
    """For any game, a copy equals its board, and folding more into either leaves the
    other as it was (the stores and the scorekeeper hand out copies)."""
    board: Scoreboard | None = None
    for version, event in enumerate(script.events, 1):
        board = Scoreboard.scheduled(event) if board is None else board
        board.apply(event, version)
    assert board is not None
    copy = board.copy()
    assert copy == board and copy is not board and copy.plays is not board.plays
    before = scoreboard_to_record(board)
    extra = script.add(EventType.FOUL)
    copy.apply(extra, board.version + 1)
    assert scoreboard_to_record(board) == before
    assert copy.version == board.version + 1
