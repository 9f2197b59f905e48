"""Leaderboards through the early-expiration cache: one compute per key however many
readers, the cached answer for the TTL, a fresh one after it; ranks and bad stats."""

from __future__ import annotations

import asyncio
import json

from eventsourcing.persistence import Tracking

from adapters.early_expiration_cache import EarlyExpirationCache
from adapters.memory_player_stats import MemoryPlayerStatsStore
from adapters.standings_store import MemoryStandingsStore
from domain.player_stats import PlayerLine
from domain.season_lines import SeasonLine
from domain.sports import Sport
from domain.standings import Table
from entrypoints.web.leaderboards import TTL_SECONDS, Answer, Leaderboards
from tests.game_events import AWAY, HOME


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def line(player: str, goals: int) -> SeasonLine:
    return SeasonLine("L", "S", player, Sport.SOCCER).plus(
        PlayerLine(player, HOME, {"goals": goals}), +1
    )


def boards(
    clock: Clock,
) -> tuple[Leaderboards, MemoryPlayerStatsStore, EarlyExpirationCache[Answer]]:
    players, standings = MemoryPlayerStatsStore(), MemoryStandingsStore()
    table = Table("L", "S", Sport.SOCCER).entered(HOME, "Home").entered(AWAY, "Away")
    standings.save({}, [table], Tracking("log", 1))
    players.save({}, [line("a", 2), line("b", 5)], Tracking("log", 1))
    # uniform() = 1.0: ln(1) = 0, so no early recompute; expiry alone decides here.
    cache = EarlyExpirationCache[Answer](TTL_SECONDS, clock=clock, uniform=lambda: 1.0)
    return Leaderboards(players, standings, cache), players, cache


def leaders(answer: Answer) -> list[tuple[int, str, int]]:
    assert answer.body is not None
    return [
        (x["rank"], x["player_id"], x["value"]) for x in json.loads(answer.body.body)["leaders"]
    ]


def test_many_readers_one_compute_and_the_answer_lasts_the_ttl() -> None:
    async def scenario() -> None:
        clock = Clock()
        board, players, cache = boards(clock)
        answers = await asyncio.gather(*(board.board("L", "S", "goals", 10) for _ in range(50)))
        assert all(a == answers[0] for a in answers)
        assert leaders(answers[0]) == [(1, "b", 5), (2, "a", 2)]
        stats = cache.stats()
        assert (stats.misses, stats.waits) == (1, 49)
        players.save({}, [line("c", 9)], Tracking("log", 2))
        clock.now = TTL_SECONDS - 0.001
        assert leaders(await board.board("L", "S", "goals", 10)) == [(1, "b", 5), (2, "a", 2)]
        clock.now = TTL_SECONDS + 0.001
        fresh = await board.board("L", "S", "goals", 10)
        assert leaders(fresh) == [(1, "c", 9), (2, "b", 5), (3, "a", 2)]
        assert leaders(await board.board("L", "S", "goals", 1)) == [(1, "c", 9)]

    asyncio.run(scenario())


def test_a_stat_of_another_sport_and_an_unknown_season_are_problems() -> None:
    async def scenario() -> None:
        board, _, _ = boards(Clock())
        wrong = await board.board("L", "S", "three_pointers", 10)
        assert wrong.problem is not None and wrong.problem[0] == 400 and wrong.problem[3] == "stat"
        unknown = await board.board("L", "T", "goals", 10)
        assert unknown.problem is not None and unknown.problem[0] == 404
        teams = await board.board("L", "S", "teams", 1)
        assert teams.body is not None and b'"team_id":"away"' in teams.body.body

    asyncio.run(scenario())
