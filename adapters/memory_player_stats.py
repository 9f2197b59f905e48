"""The player-stats read model in memory, with its tracking position: the twin of the
SQLite and PostgreSQL stores (adapters/player_stats_store.py,
adapters/postgres_player_stats.py) for tests and the in-memory composition; it passes
the same contract suite (tests/integration/test_player_stats_store_contract.py) and keeps
the guarantees stated in adapters/player_stats_store.py. Thread-safe (one lock).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.popo import POPOTrackingRecorder

from adapters.player_stats_records import game_from_rows, game_order, player_answer
from domain.player_stats import SPORT_STATS
from domain.scoreboard_record import scoreboard_to_record
from domain.season_lines import Contribution, SeasonLine, ranked
from projections.player_stats import PlayerStatsGame, game_line_rows


class MemoryPlayerStatsStore(POPOTrackingRecorder):
    """The player stats in this process only (tests, ``build_in_memory``)."""

    def __init__(self) -> None:
        super().__init__()
        self._games: dict[str, dict[str, Any]] = {}
        self._lines: dict[str, list[dict[str, Any]]] = {}
        self._seasons: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._names: dict[str, str] = {}

    def save(
        self,
        games: Mapping[str, PlayerStatsGame],
        seasons: Sequence[SeasonLine],
        tracking: Tracking,
        *,
        names: Mapping[str, str] | None = None,
    ) -> None:
        game_rows = {
            game_id: {
                "board": scoreboard_to_record(g.board),
                "counted": g.counted.to_record() if g.counted else None,
            }
            for game_id, g in games.items()
        }
        line_rows = {game_id: game_line_rows(g) for game_id, g in games.items()}
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            self._games.update(json.loads(json.dumps(game_rows)))
            self._lines.update(json.loads(json.dumps(line_rows)))
            for line in seasons:
                if line.games:
                    self._seasons[line.key] = line.to_record()
                else:
                    self._seasons.pop(line.key, None)
            self._names.update(names or {})
            self._insert_tracking(tracking)

    def player_names(self, player_ids: Collection[str]) -> dict[str, str]:
        with self._database_lock:
            return {p: self._names[p] for p in player_ids if p in self._names}

    def game(self, game_id: str) -> PlayerStatsGame | None:
        with self._database_lock:
            record = self._games.get(game_id)
            lines = list(self._lines.get(game_id, []))
        if record is None:
            return None
        return game_from_rows(record["board"], record["counted"], lines)

    def games(self, game_ids: Collection[str]) -> dict[str, PlayerStatsGame]:
        found = {game_id: self.game(game_id) for game_id in game_ids}
        return {game_id: game for game_id, game in found.items() if game is not None}

    def counted(self, game_ids: Collection[str]) -> dict[str, Contribution | None]:
        with self._database_lock:
            found = {g: self._games[g]["counted"] for g in game_ids if g in self._games}
        return {g: Contribution.from_record(c) if c else None for g, c in found.items()}

    def season_line(self, league: str, season: str, player_id: str) -> SeasonLine | None:
        with self._database_lock:
            record = self._seasons.get((league, season, player_id))
        return SeasonLine.from_record(record) if record else None

    def _lines_of(self) -> list[SeasonLine]:
        with self._database_lock:
            records = list(self._seasons.values())
        return [SeasonLine.from_record(r) for r in records]

    def player(self, player_id: str, season: str | None = None) -> dict[str, Any] | None:
        seasons = sorted(
            (
                line
                for line in self._lines_of()
                if line.player_id == player_id and season in (None, line.season)
            ),
            key=lambda line: (line.league, line.season),
        )
        with self._database_lock:
            games = [
                dict(row)
                for rows in self._lines.values()
                for row in rows
                if row["player_id"] == player_id and season in (None, row["season"])
            ]
        games.sort(key=game_order)
        name = self.player_names([player_id]).get(player_id)
        return player_answer(player_id, [line.public() for line in seasons], games, name)

    def leaders(
        self, league: str, season: str, stat: str, limit: int
    ) -> list[tuple[str, str | None, int]]:
        lines = [
            line for line in self._lines_of() if (line.league, line.season) == (league, season)
        ]
        top = [line for line in ranked(lines, stat) if stat in SPORT_STATS[line.sport]]
        return [(line.player_id, line.team_id, line.value(stat)) for line in top[:limit]]

    def team_players(self, team_id: str) -> list[SeasonLine]:
        return [line for line in self._lines_of() if line.team_id == team_id]
