"""The shared fold (projections/board_fold.py) for any games and any cut of the log:
folding the projections of games together gives the rows each gives alone, and the
board a fold keeps equals the board of the fold Scoreboard.apply had before it was
made cheap (kept below as the reference)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.game_state_view import MemoryGameStateView
from adapters.memory_player_stats import MemoryPlayerStatsStore
from adapters.standings_store import MemoryStandingsStore
from domain.events import GameEvent, Schedule
from domain.scoreboard import Play, Scoreboard
from domain.scoreboard_guards import STATUS_BY_TYPE
from domain.scoreboard_record import scoreboard_to_record
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType, Sport
from projections.board_fold import fold_together, game_events
from projections.follower import LogFollower
from projections.game_state import GameStateProjection
from projections.player_stats import PlayerStatsProjection
from projections.replay import replay
from projections.standings import StandingsProjection
from tests.game_events import AWAY, HOME, GameScript

PLAYERS = ["a", "b", "c"]
NAMES = [None, "Ann", "Bo", "Ché"]  # a name given with a player, sometimes
PLAYS = {
    Sport.SOCCER: [EventType.GOAL, EventType.PENALTY_GOAL, EventType.OWN_GOAL, EventType.FOUL],
    Sport.ICE_HOCKEY: [EventType.GOAL, EventType.PENALTY, EventType.SHOOTOUT_GOAL],
    Sport.BASKETBALL: [EventType.TWO_POINTER, EventType.THREE_POINTER, EventType.FREE_THROW],
}


@st.composite
def slate(draw: st.DrawFn, mixed: bool = True) -> list[GameEvent]:
    """Games of three sports (``mixed``: of one league, or a league each; else a
    league per sport), with plays, clock updates, corrections and retractions before
    and after FINAL, reschedules to another season; interleaved."""
    games: list[list[GameEvent]] = []
    for n in range(draw(st.integers(1, 4))):
        sport = draw(st.sampled_from(sorted(PLAYS, key=lambda s: s.value)))
        game = GameScript(f"g{n}", sport)
        league = draw(st.sampled_from(["L", sport.value])) if mixed else sport.value
        game.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, league=league, season="S"))
        game.start()
        plays = []
        for _ in range(draw(st.integers(0, 8))):
            kind = draw(st.sampled_from([*PLAYS[sport], EventType.CLOCK_UPDATE]))
            if kind == EventType.CLOCK_UPDATE:
                game.add(
                    kind, period=draw(st.integers(1, 3)), clock_seconds=draw(st.integers(0, 90))
                )
                continue
            period = 5 if kind == EventType.SHOOTOUT_GOAL else draw(st.integers(1, 3))
            player = draw(st.sampled_from([*PLAYERS, None]))
            plays.append(
                game.add(
                    kind,
                    team_id=draw(st.sampled_from([HOME, AWAY])),
                    player_id=player,
                    player_name=draw(st.sampled_from(NAMES)) if player else None,
                    period=period,
                )
            )
        if draw(st.booleans()):
            game.final()
        for play in (
            draw(st.lists(st.sampled_from(plays), max_size=3, unique=True)) if plays else []
        ):
            if draw(st.booleans()):
                game.retract(play)
            else:
                game.correct(
                    play,
                    player_id=draw(st.sampled_from(PLAYERS)),
                    team_id=draw(st.sampled_from([None, HOME, AWAY])),
                    player_name=draw(st.sampled_from(NAMES)),
                )
        if draw(st.booleans()):
            game.add(
                EventType.GAME_SCHEDULED,
                schedule=Schedule(HOME, AWAY, league="L" if mixed else league, season="T"),
            )
        games.append(game.events)
    order = draw(st.permutations([n for n, g in enumerate(games) for _ in g]))
    cursors = [0] * len(games)
    events = []
    for n in order:  # each game's events in its own order, the games interleaved
        events.append(games[n][cursors[n]])
        cursors[n] += 1
    return events


def recorded_log(events: Sequence[GameEvent]) -> Scorekeeper:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for event in events:
        keeper.record([event])  # what a guard refuses is simply not in the log
    return keeper


Stores = tuple[MemoryGameStateView, MemoryStandingsStore, MemoryPlayerStatsStore]


def projections(upstream: str) -> tuple[Stores, list[Any]]:
    stores = (MemoryGameStateView(), MemoryStandingsStore(), MemoryPlayerStatsStore())
    views, standings, players = stores
    return stores, [
        GameStateProjection(views, upstream, fan_updates=False),
        StandingsProjection(standings, upstream),
        PlayerStatsProjection(players, upstream),
    ]


def rows(stores: Stores, upstream: str) -> Any:
    """Every row of the three read models, as JSON."""
    views, standings, players = stores
    return json.loads(
        json.dumps(
            {
                "boards": views._boards,
                "states": views.states(),
                "standings_games": standings._games,
                "tables": {"/".join(k): v for k, v in standings._tables.items()},
                "player_games": players._games,
                "player_lines": players._lines,
                "seasons": {"/".join(k): v for k, v in players._seasons.items()},
                "player_names": players._names,
                "positions": [s.max_tracking_id(upstream) for s in stores],
            },
            sort_keys=True,
        )
    )


@settings(max_examples=60, deadline=None)
@given(slate(), st.integers(1, 9))
def test_folding_together_equals_folding_each_alone(events: list[GameEvent], batch: int) -> None:
    """Any games, sports sharing leagues included; the same cut of the log."""
    keeper = recorded_log(events)
    assert_together_equals_alone(keeper, batch, batch)


@settings(max_examples=60, deadline=None)
@given(slate(mixed=False), st.integers(1, 9), st.integers(1, 9))
def test_folding_together_equals_folding_each_alone_however_cut(
    events: list[GameEvent], alone_batch: int, together_batch: int
) -> None:
    """A league per sport; any cuts. (With sports sharing a league's season, a player's
    season line takes the sport of the game that made it, which depends on the cut:
    the projection's behaviour before the shared fold too.)"""
    keeper = recorded_log(events)
    assert_together_equals_alone(keeper, alone_batch, together_batch)


def assert_together_equals_alone(
    keeper: Scorekeeper, alone_batch: int, together_batch: int
) -> None:
    alone_stores, alone = projections(keeper.name)
    for projection in alone:
        asyncio.run(LogFollower(keeper, projection, batch_size=alone_batch).catch_up())
    together_stores, together = projections(keeper.name)
    head = keeper.recorder.max_notification_id() or 0
    replay(keeper, together, stop=head, batch_size=together_batch)
    found = rows(together_stores, keeper.name)
    assert found == rows(alone_stores, keeper.name)
    assert found["positions"] == [head] * 3


@settings(max_examples=60, deadline=None)
@given(slate(), st.integers(1, 9))
def test_fan_updates_are_the_states_after_each_event(events: list[GameEvent], batch: int) -> None:
    keeper = recorded_log(events)
    views = MemoryGameStateView()
    projection = GameStateProjection(views, keeper.name)
    updates: list[Any] = []

    async def publish(found: Sequence[Any]) -> None:
        updates.extend(found)

    asyncio.run(LogFollower(keeper, projection, publish, batch_size=batch).catch_up())
    boards: dict[str, Scoreboard] = {}
    expected = []
    for game_id in {e.game_id for e in events}:
        for recorded in keeper.recorded_events(game_id):
            board = boards.get(game_id) or Scoreboard.scheduled(recorded.event)
            boards[game_id] = board
            reference_apply(board, recorded.event, recorded.version)
            expected.append((game_id, recorded.version, board.public()))
    found = [(u.game_id, u.version, u.state) for u in updates]
    assert sorted(found, key=lambda u: (u[0], u[1])) == sorted(expected, key=lambda e: (e[0], e[1]))


@settings(max_examples=100, deadline=None)
@given(slate(), st.integers(1, 9))
def test_the_fold_equals_the_reference_fold(events: list[GameEvent], batch: int) -> None:
    keeper = recorded_log(events)
    page = keeper.recorder.select_notifications(1, 10_000)
    decoded = [(keeper.mapper.to_domain_event(n), n.id) for n in page]
    views = MemoryGameStateView()
    projection = GameStateProjection(views, keeper.name, fan_updates=False)
    for start in range(0, len(decoded), batch):
        fold_together([projection], decoded[start : start + batch])
    reference: dict[str, Scoreboard] = {}
    for recorded, _ in game_events(decoded):
        board = reference.get(recorded.event.game_id) or Scoreboard.scheduled(recorded.event)
        reference[recorded.event.game_id] = board
        reference_apply(board, recorded.event, recorded.version)
    assert views._boards == {g: scoreboard_to_record(b) for g, b in reference.items()}


def reference_apply(board: Scoreboard, event: GameEvent, version: int) -> None:
    """Scoreboard.apply as it was before the shared fold (2026-12-01), kept verbatim
    but for the plays' assists and names (fields added since)."""
    board.version = max(board.version, version)
    seq = event.sequence_number
    if seq >= board.last_seq:
        board.last_seq = seq
        board.last_event = event.to_dict()
    if (event.period is not None or event.clock_seconds is not None) and seq >= board.position_seq:
        board.position_seq = seq
        if event.period is not None:
            board.current_period = event.period
        if event.clock_seconds is not None:
            board.clock_seconds = event.clock_seconds
    kind = event.event_type
    if kind == EventType.GAME_SCHEDULED:
        assert event.schedule is not None
        board.schedule = event.schedule
        board.start_time = event.schedule.start_time
    if kind in STATUS_BY_TYPE:
        if kind == EventType.GAME_STARTED:
            board.started_seq = seq
        if kind == EventType.GAME_FINAL:
            board.final_seq = seq
            board.end_time = event.created_at
        if seq >= board.status_seq:
            board.status_seq = seq
            board.status = STATUS_BY_TYPE[kind]
    if event.is_revision:
        assert event.references_event_id is not None
        target = board.plays[event.references_event_id]
        _reference_tally(board, target, -1)
        if event.event_type == EventType.EVENT_RETRACTED:
            target = target._replace(retracted_at=event.sequence_number)
        else:
            assert event.correction is not None
            revision = (event.sequence_number, event.correction)
            target = target._replace(corrections=(*target.corrections, revision))
        board.plays[event.references_event_id] = target
        _reference_tally(board, target, +1)
    else:
        play = Play(
            seq,
            kind,
            event.team_id,
            event.player_id,
            assists=event.assists,
            player_name=event.player_name,
        )
        board.plays[event.event_id] = play
        _reference_tally(board, play, +1)
    if kind in (EventType.EVENT_CORRECTED, EventType.EVENT_RETRACTED):
        board.plays[event.event_id] = Play(seq, kind, None, None)


def _reference_tally(board: Scoreboard, play: Play, sign: int) -> None:
    if play.retracted_at is not None:
        return
    event_type, team_id, player_id = play.event_type, play.team_id, play.player_id
    for _, c in sorted(play.corrections, key=lambda pair: pair[0]):
        event_type = c.event_type or event_type
        team_id = c.team_id or team_id
        player_id = c.player_id or player_id
    if team_id is None:
        return
    home = team_id == board.schedule.home_team_id
    if event_type == EventType.SHOOTOUT_GOAL:
        if home:
            board.shootout_home += sign
        else:
            board.shootout_away += sign
        return
    points = board.rules.points.get(event_type)
    if points is None:
        return
    if event_type in board.rules.scores_for_opponent:
        home = not home
    if home:
        board.home_score += sign * points
    else:
        board.away_score += sign * points
