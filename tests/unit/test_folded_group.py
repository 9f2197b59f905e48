"""One follower for several projections of games (projections/board_fold.FoldedGroup):
for any games, any cut of the log and members at any positions, the group leaves the
rows each member leaves followed alone; and the player stats read no boards when
another member gives them."""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory_player_stats import MemoryPlayerStatsStore
from adapters.standings_store import MemoryStandingsStore
from domain.events import GameEvent
from projections.board_fold import FoldedGroup
from projections.follower import LogFollower
from projections.player_stats import PlayerStatsGame, PlayerStatsProjection
from projections.standings import StandingsProjection
from tests.unit.test_board_fold import projections, recorded_log, rows, slate


@settings(max_examples=60, deadline=None)
@given(
    slate(mixed=False),
    st.integers(1, 9),
    st.integers(1, 9),
    st.sampled_from([1, 2]),
    st.integers(0, 40),
)
def test_a_group_leaves_the_rows_its_members_leave_alone(
    events: list[GameEvent], alone_batch: int, group_batch: int, ahead: int, head_start: int
) -> None:
    """The member ``ahead`` is first followed alone ``head_start`` notifications (or
    to the head) in batches of one: the group must feed each member only what is
    after its own position."""
    keeper = recorded_log(events)
    alone_stores, alone = projections(keeper.name)
    for projection in alone:
        asyncio.run(LogFollower(keeper, projection, batch_size=alone_batch).catch_up())
    group_stores, (state, *members) = projections(keeper.name)
    asyncio.run(LogFollower(keeper, state, batch_size=group_batch).catch_up())
    early = LogFollower(keeper, members[ahead - 1], batch_size=1)
    for _ in range(head_start):
        asyncio.run(early.step())
    group = FoldedGroup("standings+player_stats", members)
    follower = LogFollower(keeper, group, batch_size=group_batch)
    assert follower.position == min(m.position() for m in members)
    asyncio.run(follower.catch_up())
    head = keeper.recorder.max_notification_id() or 0
    found = rows(group_stores, keeper.name)
    assert found == rows(alone_stores, keeper.name)
    assert found["positions"] == [head] * 3
    assert group.position() == head


class CountingPlayerStats(MemoryPlayerStatsStore):
    def __init__(self) -> None:
        super().__init__()
        self.games_read = 0

    def games(self, game_ids: Collection[str]) -> dict[str, PlayerStatsGame]:
        self.games_read += 1
        return super().games(game_ids)


@settings(max_examples=30, deadline=None)
@given(slate(mixed=False), st.integers(1, 9))
def test_the_player_stats_read_boards_only_when_alone(events: list[GameEvent], batch: int) -> None:
    keeper = recorded_log(events)
    together, alone = CountingPlayerStats(), CountingPlayerStats()
    group = FoldedGroup(
        "both",
        [
            StandingsProjection(MemoryStandingsStore(), keeper.name),
            PlayerStatsProjection(together, keeper.name),
        ],
    )
    asyncio.run(LogFollower(keeper, group, batch_size=batch).catch_up())
    asyncio.run(
        LogFollower(keeper, PlayerStatsProjection(alone, keeper.name), batch_size=batch).catch_up()
    )
    assert together.games_read == 0
    assert alone.games_read > 0
    assert together._games == alone._games and together._seasons == alone._seasons
