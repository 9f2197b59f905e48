"""Fan endpoint: ``GET /teams/{team_id}``, what a fan looks up about a team.

Derived from the read models (a team is what GAME_SCHEDULED says of it: id and name):
- ``team_name``: the team's name in its latest game (by start time, then game id).
- ``seasons``: every (league, season) it has a game in, each with the team's row of
  that season's standings (``None`` if the table does not exist) and its top scorers
  (five, by the sport's scoring stat: goals, or points) from the player season stats.
- ``games``: its games, by start time then game id, with opponent, side and score.

Guarantees: a strong ETag of the body, 304 on ``If-None-Match``, the standings' cache
headers; 404 problem+json (``urn:scoreline:problem:unknown-team``) for a team in no
game. Store reads run in worker threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domain.player_stats import TOP_SCORER_STAT
from domain.season_lines import SeasonLine, leader_rows, ranked
from domain.sports import Sport
from entrypoints.web.players import known_names
from entrypoints.web.problems import problem
from entrypoints.web.tagged_json import encoded, tagged

TOP_SCORERS = 5


def game_line(state: dict[str, Any], team_id: str) -> dict[str, Any]:
    home = state["home_team_id"] == team_id
    side, other = ("home", "away") if home else ("away", "home")
    return {
        "game_id": state["game_id"],
        "league": state.get("league"),
        "season": state.get("season"),
        "sport": state["sport"],
        "status": state["status"],
        "start_time": state.get("start_time"),
        "side": side,
        "opponent_id": state[f"{other}_team_id"],
        "opponent_name": state.get(f"{other}_team_name"),
        "score_for": state[f"{side}_score"],
        "score_against": state[f"{other}_score"],
        "home_team_id": state["home_team_id"],
        "away_team_id": state["away_team_id"],
        "home_score": state["home_score"],
        "away_score": state["away_score"],
    }


def top_scorers(
    lines: list[SeasonLine], sport: Sport, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The season's top scorers, each with their ``name`` in ``names`` (None if unknown)."""
    stat = TOP_SCORER_STAT[sport]
    best = ranked(lines, stat)[:TOP_SCORERS]
    return {
        "stat": stat,
        "leaders": leader_rows([(s.player_id, s.team_id, s.value(stat)) for s in best], names),
    }


def team_page(
    team_id: str,
    states: list[dict[str, Any]],
    tables: dict[tuple[str, str], dict[str, Any] | None],
    players: list[SeasonLine],
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The team's page from its games' states, their seasons' tables and its players
    (with their ``names``)."""
    states = sorted(states, key=lambda s: (s.get("start_time") or "", s["game_id"]))
    latest = states[-1]
    side = "home" if latest["home_team_id"] == team_id else "away"
    seasons = []
    for (league, season), table in sorted(tables.items()):
        sport = (
            Sport(table["sport"])
            if table
            else Sport(
                next(
                    s["sport"]
                    for s in states
                    if (s.get("league"), s.get("season")) == (league, season)
                )
            )
        )
        row = next((r for r in table["rows"] if r["team_id"] == team_id), None) if table else None
        lines = [p for p in players if (p.league, p.season) == (league, season)]
        seasons.append(
            {
                "league": league,
                "season": season,
                "sport": sport.value,
                "standing": row,
                "top_scorers": top_scorers(lines, sport, names),
            }
        )
    return {
        "team_id": team_id,
        "team_name": latest.get(f"{side}_team_name") or team_id,
        "sport": latest["sport"],
        "seasons": seasons,
        "games": [game_line(s, team_id) for s in states],
    }


async def team(request: Request) -> Response:
    services = request.app.state.services
    team_id = request.path_params["team_id"]
    states = [
        s for s in await services.all_states() if team_id in (s["home_team_id"], s["away_team_id"])
    ]
    if not states:
        return problem(404, "Unknown team", f"team {team_id!r} has no game", kind="unknown-team")
    keys = sorted(
        {(s["league"], s["season"]) for s in states if s.get("league") and s.get("season")}
    )

    def read() -> tuple[
        dict[tuple[str, str], dict[str, Any] | None], list[SeasonLine], dict[str, str]
    ]:
        tables = {key: services.standings.standings(*key) for key in keys}
        players = services.player_stats.team_players(team_id)
        ids = sorted({line.player_id for line in players})
        return tables, players, known_names(services.player_stats, ids)

    tables, players, names = await asyncio.to_thread(read)
    return tagged(request, encoded(team_page(team_id, states, tables, players, names)))
