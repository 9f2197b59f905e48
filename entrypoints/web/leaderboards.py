"""Fan endpoint: ``GET /leaderboards/{league}/{season}/{stat}?limit=N``, the top N.

``stat`` is a player stat of ``domain.player_stats.STAT_NAMES`` (top players by it, in
``ranked`` order: value descending, then player id; equal values share a rank) or
``teams`` (the top of the league's standings, ranked by the sport's rules). ``limit``
is 1..100 (default 10).

Guarantees:
- Answers come through :class:`Leaderboards`, an early-expiration (PER) cache with a
  60 s TTL in front of the stores (``adapters.early_expiration_cache``): one compute per
  (league, season, stat, limit) at a time however many fans ask, recomputed shortly
  before it expires; an answer is at most 60 s older than the read models.
- 200 with ``{"league", "season", "sport", "stat", "limit", "leaders": [...]}`` (a
  player's entry ``{"rank", "player_id", "name", "team_id", "value"}``, ``name`` None
  when no event named the player), a
  strong ETag of the body, 304 on ``If-None-Match``, the standings' cache headers.
- 400 problem+json naming ``limit`` (not an integer 1..100) or ``stat`` (unknown, or not
  a stat of the league's sport); 404 for a league and season with neither standings
  nor player stats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any, NamedTuple, Protocol

from starlette.requests import Request
from starlette.responses import Response

from domain.player_stats import SPORT_STATS, STAT_NAMES
from domain.season_lines import leader_rows
from domain.sports import Sport
from entrypoints.web.players import known_names
from entrypoints.web.problems import problem
from entrypoints.web.standings import StandingsReader
from entrypoints.web.tagged_json import Encoded, encoded, tagged

MAX_LIMIT = 100
DEFAULT_LIMIT = 10
TTL_SECONDS = 60.0
TEAMS = "teams"


class LeaderReader(Protocol):
    def leaders(
        self, league: str, season: str, stat: str, limit: int
    ) -> list[tuple[str, str | None, int]]: ...
    def player_names(self, player_ids: Collection[str]) -> dict[str, str]: ...


class Cache(Protocol):
    """The part of ``EarlyExpirationCache[Answer]`` used here."""

    async def get(self, key: str, compute: Any) -> Answer: ...
    async def close(self) -> None: ...


class Answer(NamedTuple):
    """A computed answer: 200 with ``body``, or a problem (status, title, detail, pointer)."""

    body: Encoded | None
    problem: tuple[int, str, str, str] | None = None


class Leaderboards:
    """Top-N boards read through the PER cache (shared by every request of a process)."""

    def __init__(self, players: LeaderReader, standings: StandingsReader, cache: Cache) -> None:
        self.players, self.standings, self.cache = players, standings, cache

    async def board(self, league: str, season: str, stat: str, limit: int) -> Answer:
        key = "\x1f".join((league, season, stat, str(limit)))
        return await self.cache.get(key, lambda: self._compute(league, season, stat, limit))

    async def close(self) -> None:
        """Cancel the computes in flight (at shutdown)."""
        await self.cache.close()

    async def _compute(self, league: str, season: str, stat: str, limit: int) -> Answer:
        return await asyncio.to_thread(self._read, league, season, stat, limit)

    def _read(self, league: str, season: str, stat: str, limit: int) -> Answer:
        table = self.standings.standings(league, season)
        sport = Sport(table["sport"]) if table else None
        if stat == TEAMS:
            leaders: list[dict[str, Any]] = list(table["rows"][:limit]) if table else []
        else:
            if sport is not None and stat not in SPORT_STATS[sport]:
                known = ", ".join((TEAMS, *SPORT_STATS[sport]))
                detail = f"{stat!r} is not a {sport.value} stat; known: {known}"
                return Answer(None, (400, "Unknown stat", detail, "stat"))
            top = self.players.leaders(league, season, stat, limit)
            names = known_names(self.players, [player_id for player_id, _, _ in top])
            leaders = leader_rows(top, names)
        if table is None and not leaders:
            detail = f"no standings or player stats for league {league!r} in season {season!r}"
            return Answer(None, (404, "Unknown leaderboard", detail, ""))
        body = {
            "league": league,
            "season": season,
            "sport": sport.value if sport else None,
            "stat": stat,
            "limit": limit,
            "leaders": leaders,
        }
        return Answer(encoded(body))


def _limit(raw: str | None) -> int | None:
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()):  # plain digits: no sign, space or "1_0"
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_LIMIT else None


async def leaderboard(request: Request) -> Response:
    boards: Leaderboards = request.app.state.services.leaderboards
    league, season = request.path_params["league"], request.path_params["season"]
    stat = request.path_params["stat"]
    raw = request.query_params.get("limit")
    limit = _limit(raw)
    if limit is None:
        return problem(
            400,
            "Bad limit",
            f"limit must be an integer from 1 to {MAX_LIMIT}, not {raw!r}",
            errors=[{"pointer": "limit", "detail": f"{raw!r} is not in 1..{MAX_LIMIT}"}],
        )
    if stat != TEAMS and stat not in STAT_NAMES:
        known = ", ".join((TEAMS, *sorted(STAT_NAMES)))
        return problem(
            400,
            "Unknown stat",
            f"stat {stat!r} is not one of: {known}",
            errors=[{"pointer": "stat", "detail": f"{stat!r} is not a stat"}],
        )
    answer = await boards.board(league, season, stat, limit)
    if answer.problem is not None:
        status, title, detail, pointer = answer.problem
        if pointer:
            errors = [{"pointer": pointer, "detail": detail}]
            return problem(status, title, detail, errors=errors)
        return problem(status, title, detail, kind="unknown-leaderboard")
    assert answer.body is not None
    return tagged(request, answer.body)
