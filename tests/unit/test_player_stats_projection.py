"""The player-stats projection, for any games and any cut of the log into batches: each
season line is the sum of the lines of its FINAL games, corrections after FINAL
included, and the game lines are the lines of each game's board."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory_player_stats import MemoryPlayerStatsStore
from domain.events import Schedule
from domain.player_stats import game_lines
from domain.scorekeeper import Scorekeeper
from domain.season_lines import SeasonLine
from domain.sports import EventType, Sport
from projections.follower import LogFollower
from projections.player_stats import PlayerStatsGame, PlayerStatsProjection
from tests.game_events import AWAY, HOME, GameScript

PLAYERS = ["a", "b", "c", "d"]
KINDS = [EventType.GOAL, EventType.PENALTY_GOAL, EventType.OWN_GOAL, EventType.YELLOW_CARD]


@st.composite
def season(draw: st.DrawFn) -> list[GameScript]:
    """Soccer games of league L, seasons S or T; some final, some corrected after."""
    games = []
    for n in range(draw(st.integers(1, 4))):
        game = GameScript(f"g{n}", Sport.SOCCER)
        league_season = draw(st.sampled_from(["S", "T"]))
        game.add(
            EventType.GAME_SCHEDULED,
            schedule=Schedule(HOME, AWAY, league="L", season=league_season),
        )
        game.start()
        plays = [
            game.add(
                draw(st.sampled_from(KINDS)),
                team_id=draw(st.sampled_from([HOME, AWAY])),
                player_id=draw(st.sampled_from(PLAYERS)),
            )
            for _ in range(draw(st.integers(0, 6)))
        ]
        final = draw(st.booleans())
        if final:
            game.final()
        for play in (
            draw(st.lists(st.sampled_from(plays), max_size=3, unique=True)) if plays else []
        ):
            if draw(st.booleans()):
                game.retract(play)
            else:
                game.correct(play, player_id=draw(st.sampled_from(PLAYERS)))
        games.append(game)
    return games


class CountingStore(MemoryPlayerStatsStore):
    """The memory store, counting the projection's reads of games."""

    def __init__(self) -> None:
        super().__init__()
        self.game_reads = 0
        self.bulk_reads: list[set[str]] = []

    def game(self, game_id: str) -> PlayerStatsGame | None:
        self.game_reads += 1
        return super().game(game_id)

    def games(self, game_ids: Collection[str]) -> dict[str, PlayerStatsGame]:
        self.bulk_reads.append(set(game_ids))
        found = {g: MemoryPlayerStatsStore.game(self, g) for g in game_ids}
        return {g: game for g, game in found.items() if game is not None}


class OneAtATimeStore:
    """A store with no bulk read (``games``): the projection reads game by game."""

    def __init__(self) -> None:
        self.inner = MemoryPlayerStatsStore()

    def save(
        self,
        games: Mapping[str, PlayerStatsGame],
        seasons: Sequence[SeasonLine],
        tracking: Tracking,
        *,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.inner.save(games, seasons, tracking, names=names)

    def player_names(self, player_ids: Collection[str]) -> dict[str, str]:
        return self.inner.player_names(player_ids)

    def game(self, game_id: str) -> PlayerStatsGame | None:
        return self.inner.game(game_id)

    def season_line(self, league: str, season: str, player_id: str) -> SeasonLine | None:
        return self.inner.season_line(league, season, player_id)

    def player(self, player_id: str, season: str | None = None) -> dict[str, Any] | None:
        return self.inner.player(player_id, season)

    def leaders(
        self, league: str, season: str, stat: str, limit: int
    ) -> list[tuple[str, str | None, int]]:
        return self.inner.leaders(league, season, stat, limit)

    def team_players(self, team_id: str) -> list[SeasonLine]:
        return self.inner.team_players(team_id)

    def max_tracking_id(self, application_name: str) -> int | None:
        return self.inner.max_tracking_id(application_name)


def test_a_batch_reads_its_games_in_one_bulk_read() -> None:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    scripts = [GameScript(f"g{n}", Sport.SOCCER) for n in range(3)]
    for script in scripts:
        script.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, league="L", season="S"))
        script.start()
        script.add(EventType.GOAL, team_id=HOME, player_id="a")
        script.final()
        keeper.record(script.events)
    store = CountingStore()
    follower = LogFollower(keeper, PlayerStatsProjection(store, keeper.name), batch_size=5)
    asyncio.run(follower.catch_up())
    assert store.game_reads == 0
    assert store.bulk_reads == [{"g0", "g1"}, {"g1", "g2"}, {"g2"}]
    assert store.season_line("L", "S", "a") == SeasonLine(
        "L", "S", "a", Sport.SOCCER, 3, {"goals": 3}, {HOME: 3}
    )


@settings(max_examples=40, deadline=None)
@given(season(), st.integers(1, 12), st.booleans())
def test_season_lines_are_the_sums_of_final_games_for_any_batching(
    games: list[GameScript], batch_size: int, bulk: bool
) -> None:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for game in games:
        verdicts = keeper.record(game.events)
        assert {v.outcome for v in verdicts} == {"recorded"}, verdicts
    store: MemoryPlayerStatsStore | OneAtATimeStore = (
        MemoryPlayerStatsStore() if bulk else OneAtATimeStore()
    )
    follower = LogFollower(keeper, PlayerStatsProjection(store, keeper.name), batch_size=batch_size)
    asyncio.run(follower.catch_up())

    expected: dict[tuple[str, str, str], SeasonLine] = {}
    for game in games:
        board = keeper.scoreboard(game.game_id)
        assert board is not None
        lines = game_lines(board)
        stored = store.game(game.game_id)
        assert stored is not None and dict(stored.lines) == lines
        if board.status != "FINAL":
            continue
        for line in lines.values():
            key = ("L", board.schedule.season or "", line.player_id)
            known = expected.get(key) or SeasonLine(*key, sport=Sport.SOCCER)
            expected[key] = known.plus(line, +1)
    for player in PLAYERS:
        for name in ("S", "T"):
            assert store.season_line("L", name, player) == expected.get(("L", name, player))
