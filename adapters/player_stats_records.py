"""Player-stats rows as the stores keep them, and back: shared by every implementation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.player_stats import SPORT_STATS, PlayerLine
from domain.scoreboard import Scoreboard
from domain.scoreboard_record import scoreboard_from_record
from domain.season_lines import Contribution, SeasonLine
from projections.player_stats import PlayerStatsGame


def game_from_rows(
    board: Mapping[str, Any] | Scoreboard,
    counted: Mapping[str, Any] | None,
    lines: Iterable[Mapping[str, Any]],
) -> PlayerStatsGame:
    """A stored game from its board (or the board's record), counted record and per-game
    line rows."""
    decoded = {
        row["player_id"]: PlayerLine(row["player_id"], row["team_id"], dict(row["stats"]))
        for row in sorted(lines, key=lambda row: str(row["player_id"]))
    }
    return PlayerStatsGame(
        board if isinstance(board, Scoreboard) else scoreboard_from_record(dict(board)),
        decoded,
        Contribution.from_record(counted) if counted else None,
    )


def leader_entries(line: SeasonLine) -> list[tuple[str, int]]:
    """(stat, value) of every stat of the line's sport that is above zero."""
    return [(stat, line.value(stat)) for stat in SPORT_STATS[line.sport] if line.value(stat) > 0]


def player_answer(
    player_id: str,
    seasons: list[dict[str, Any]],
    games: list[dict[str, Any]],
    name: str | None = None,
) -> dict[str, Any] | None:
    """The answer of ``GET /players/{id}/stats`` (None when the player has no line)."""
    if not seasons and not games:
        return None
    return {"player_id": player_id, "name": name, "seasons": seasons, "games": games}


def game_order(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return (row["league"] or "", row["season"] or "", row["game_id"])
