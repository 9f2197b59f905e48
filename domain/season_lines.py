"""Season lines: each player's sums over the FINAL games of a league's season, the
contribution one FINAL game makes to them, and the leaderboards' order.

Guarantees:
- :meth:`SeasonLine.plus` adds a game's line (``sign=+1``) or takes it away (-1):
  season lines are sums over counted games, so adding then taking away gives back the
  line before, and any order of the same games gives an equal line. ``games`` counts
  the games in which the player has a line.
- :func:`ranked` is a total order: value descending, then player id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from domain.player_stats import PlayerLine
from domain.scoreboard import Scoreboard
from domain.sports import Sport


@dataclass(frozen=True)
class Contribution:
    """What one FINAL game adds to its season's lines."""

    game_id: str
    league: str
    season: str
    sport: Sport
    lines: tuple[PlayerLine, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.league, self.season)

    def to_record(self) -> dict[str, Any]:
        return {
            "game_id": self.game_id,
            "league": self.league,
            "season": self.season,
            "sport": self.sport.value,
            "lines": [line.to_record() for line in self.lines],
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Contribution:
        return cls(
            data["game_id"],
            data["league"],
            data["season"],
            Sport(data["sport"]),
            tuple(PlayerLine.from_record(line) for line in data["lines"]),
        )


def contribution_of(board: Scoreboard, lines: Mapping[str, PlayerLine]) -> Contribution | None:
    """The game's contribution while it is FINAL and has a league and season."""
    league, season = board.schedule.league, board.schedule.season
    if board.status != "FINAL" or not league or not season:
        return None
    return Contribution(board.game_id, league, season, board.sport, tuple(lines.values()))


@dataclass(frozen=True)
class SeasonLine:
    """One player's sums over the FINAL games of a league's season they have a line in.

    ``teams`` counts those games by the player's team in each; ``team_id`` is the team
    of most of them (then the greatest id), so it too is a function of the games.
    """

    league: str
    season: str
    player_id: str
    sport: Sport
    games: int = 0
    stats: Mapping[str, int] = field(default_factory=dict)
    teams: Mapping[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.league, self.season, self.player_id)

    @property
    def team_id(self) -> str | None:
        if not self.teams:
            return None
        return max(self.teams.items(), key=lambda pair: (pair[1], pair[0]))[0]

    def plus(self, line: PlayerLine, sign: int) -> SeasonLine:
        """This line with a game's ``line`` added (``sign`` +1) or taken away (-1)."""
        if sign not in (1, -1):
            raise ValueError("sign must be +1 or -1")
        stats = dict(self.stats)
        for name, value in line.stats.items():
            stats[name] = stats.get(name, 0) + sign * value
        teams = dict(self.teams)
        if line.team_id is not None:
            teams[line.team_id] = teams.get(line.team_id, 0) + sign
        games = self.games + sign
        if games < 0 or any(v < 0 for v in (*stats.values(), *teams.values())):
            raise ValueError(f"player {self.player_id!r} has no such game to take away")
        return replace(
            self,
            games=games,
            stats={k: v for k, v in sorted(stats.items()) if v},
            teams={k: v for k, v in sorted(teams.items()) if v},
        )

    def value(self, stat: str) -> int:
        return self.games if stat == "games" else self.stats.get(stat, 0)

    def public(self) -> dict[str, Any]:
        return {
            "league": self.league,
            "season": self.season,
            "sport": self.sport.value,
            "player_id": self.player_id,
            "team_id": self.team_id,
            "games": self.games,
            "stats": dict(self.stats),
        }

    def to_record(self) -> dict[str, Any]:
        return {**self.public(), "teams": dict(self.teams)}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> SeasonLine:
        return cls(
            data["league"],
            data["season"],
            data["player_id"],
            Sport(data["sport"]),
            int(data["games"]),
            dict(data["stats"]),
            dict(data["teams"]),
        )


def ranked(lines: Iterable[SeasonLine], stat: str) -> list[SeasonLine]:
    """Lines with ``stat`` above zero, best first: value descending, then player id."""
    found = [line for line in lines if line.value(stat) > 0]
    return sorted(found, key=lambda line: (-line.value(stat), line.player_id))


def leader_rows(
    entries: Iterable[tuple[str, str | None, int]], names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Leaderboard rows from (player id, team id, value) entries already in
    :func:`ranked` order; equal values share the rank of the first of them. Each row's
    ``name`` is the player's in ``names`` (None when unknown)."""
    known = names or {}
    rows: list[dict[str, Any]] = []
    for position, (player_id, team_id, value) in enumerate(entries, 1):
        rank = rows[-1]["rank"] if rows and rows[-1]["value"] == value else position
        rows.append(
            {
                "rank": rank,
                "player_id": player_id,
                "name": known.get(player_id),
                "team_id": team_id,
                "value": value,
            }
        )
    return rows
