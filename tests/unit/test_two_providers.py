"""Two providers feeding one game: each play recorded once, whoever reports it first."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import GameEvent
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from tests.game_events import AWAY, HOME, GameScript


def game() -> GameScript:
    g = GameScript()
    g.schedule()
    g.start()
    g.score(EventType.GOAL, HOME)
    g.add(EventType.FOUL, team_id=AWAY)
    g.score(EventType.GOAL, AWAY)
    g.final()
    return g


def as_provider(events: list[GameEvent], provider: str) -> list[GameEvent]:
    """The same plays as another provider reports them: its own ids and its own words."""
    renamed = {e.event_id: f"{provider}-{e.event_id}" for e in events}
    return [
        replace(
            e,
            provider=provider,
            event_id=renamed[e.event_id],
            description=f"{provider} says: {e.event_type.value}",
            references_event_id=renamed.get(e.references_event_id or "", e.references_event_id),
        )
        for e in events
    ]


@pytest.fixture
def keeper() -> Scorekeeper:
    return Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def test_backup_reports_of_recorded_plays_are_matched_not_recorded(keeper: Scorekeeper) -> None:
    primary = as_provider(game().events, "primary")
    backup = as_provider(game().events, "backup")
    keeper.record(primary)
    verdicts = keeper.record(backup[1:])
    assert {v.outcome for v in verdicts} == {"duplicate"}
    assert all("matched" in v.reason for v in verdicts)
    assert len(keeper.recorded_events("g1")) == len(primary)
    assert {v.outcome for v in keeper.record(backup[1:])} == {"duplicate"}  # resends too


def test_backup_carries_the_game_on_when_the_primary_goes_silent(keeper: Scorekeeper) -> None:
    primary = as_provider(game().events, "primary")
    backup = as_provider(game().events, "backup")
    keeper.record(primary[:3])  # primary falls silent after the first goal
    verdicts = keeper.record(backup)
    assert [v.outcome for v in verdicts] == ["duplicate"] * 3 + ["recorded"] * 3
    board = keeper.scoreboard("g1")
    assert board is not None
    assert (board.home_score, board.away_score, board.status) == (1, 1, "FINAL")
    providers = [r.event.provider for r in keeper.recorded_events("g1")]
    assert providers == ["primary"] * 3 + ["backup"] * 3


def test_a_backup_retraction_of_its_own_id_retracts_the_recorded_goal(keeper: Scorekeeper) -> None:
    g = game()
    goal = g.events[2]
    g.retract(goal)
    primary = as_provider(g.events[:-1], "primary")
    backup = as_provider(g.events, "backup")
    keeper.record(primary)
    verdicts = keeper.record(backup)
    assert verdicts[-1].outcome == "recorded"
    (last,) = keeper.recorded_events("g1", after_version=len(primary))
    assert last.event.references_event_id == primary[2].event_id
    board = keeper.scoreboard("g1")
    assert board is not None and (board.home_score, board.away_score) == (0, 1)


def test_providers_disagreeing_on_a_play_is_refused(keeper: Scorekeeper) -> None:
    primary = as_provider(game().events, "primary")
    backup = as_provider(game().events, "backup")
    keeper.record(primary)
    other_team = replace(backup[2], team_id=AWAY)
    (verdict,) = keeper.record([other_team])
    assert verdict.outcome == "rejected" and verdict.extra["field"] == "sequence_number"


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_interleaving_of_two_providers_records_each_play_once(data: st.DataObject) -> None:
    plays = game().events
    primary = as_provider(plays, "primary")
    backup = as_provider(plays, "backup")
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    keeper.record(primary[:1])
    # Interleave the two feeds, each in its own order, each maybe cut short.
    cut_p = data.draw(st.integers(1, len(plays)))
    cut_b = data.draw(st.integers(1, len(plays)))
    p, b = list(primary[1:cut_p]), list(backup[1:cut_b])
    merged: list[GameEvent] = []
    while p or b:
        source = p if (p and (not b or data.draw(st.booleans()))) else b
        merged.append(source.pop(0))
    for event in merged:
        keeper.record([event])
    recorded = keeper.recorded_events("g1")
    sequences = [r.event.sequence_number for r in recorded]
    assert len(sequences) == len(set(sequences)) == max(cut_p, cut_b)
