"""Standings: league tables folded from final results, ranked by each sport's rules.

A game counts in its table (``schedule.league`` and ``schedule.season``) only while its
status is FINAL: :func:`result_of` gives what it contributes then, ``None`` otherwise.
A :class:`Table` is a pure value: :meth:`Table.applied` adds a result (``sign=+1``) or
takes it away again (``sign=-1``), so a correction of a final game is "take the old
result away, add the new one".

Guarantees:
- Tallies are sums over results: applying the same set of results in any order gives
  an equal table, and applying a result then taking it away gives back the table before.
- Points are derived from the tallies, never stored, so they always add up.
- :meth:`Table.ranked` is a total order: the sport's keys below, then team name, then
  team id (unique), so every team has one rank and ties never depend on input order.

Sport rules (the README's "Standings rules"):
- soccer: 3 points a win, 1 a draw; ranked by points, goal difference, goals scored. A
  shoot-out decides a cup tie, not a league result: a game level after play is a draw.
- basketball: ranked by win percentage, wins / games (a tie, which the NBA never has,
  would count half a win). ``points`` is ``None``: the NBA has no table points.
- american_football: a tie counts half a win and half a loss: win percentage is
  (wins + ties / 2) / games; ranked by it. ``points`` is ``None``.
- ice_hockey: 2 points a win, 1 for an overtime or shoot-out loss (and 1 for a tie,
  which today's NHL no longer has), 0 for a regulation loss; ranked by points, then
  points percentage (points / (2 * games)), then regulation wins. ``lost`` counts
  regulation losses only; ``overtime_losses`` the others. A shoot-out decides the game:
  the winner is credited one goal for, the loser one against (the NHL's convention).

A game is *decided after regulation* when the scoreboard's current period (the period
of its latest event that names one, normally GAME_FINAL's) is past the sport's
regulation periods (``domain.sports.RULES``), or when shoot-out goals were scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from typing import Any

from domain.scoreboard import Scoreboard
from domain.sports import RULES, Sport

RANKED_BY_WIN_PERCENTAGE = frozenset({Sport.BASKETBALL, Sport.AMERICAN_FOOTBALL})


@dataclass(frozen=True)
class GameResult:
    """What one FINAL game contributes to the table of its league and season."""

    game_id: str
    league: str
    season: str
    sport: Sport
    home_team_id: str
    away_team_id: str
    home_score: int
    away_score: int
    shootout_home: int = 0
    shootout_away: int = 0
    after_regulation: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.league, self.season)

    def to_record(self) -> dict[str, Any]:
        return {**asdict(self), "sport": self.sport.value}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> GameResult:
        return cls(**{**data, "sport": Sport(data["sport"])})


def table_key(board: Scoreboard) -> tuple[str, str] | None:
    """The (league, season) of the game's table, ``None`` if its schedule lacks either."""
    league, season = board.schedule.league, board.schedule.season
    return (league, season) if league and season else None


def result_of(board: Scoreboard) -> GameResult | None:
    """The game's result while it is FINAL and has a table; ``None`` otherwise."""
    key = table_key(board)
    if board.status != "FINAL" or key is None:
        return None
    shootout = board.shootout_home + board.shootout_away > 0
    return GameResult(
        game_id=board.game_id,
        league=key[0],
        season=key[1],
        sport=board.sport,
        home_team_id=board.schedule.home_team_id,
        away_team_id=board.schedule.away_team_id,
        home_score=board.home_score,
        away_score=board.away_score,
        shootout_home=board.shootout_home,
        shootout_away=board.shootout_away,
        after_regulation=shootout or board.current_period > RULES[board.sport].regulation_periods,
    )


@dataclass(frozen=True)
class TeamRecord:
    """One team's tallies in a table (``lost`` excludes ice hockey's overtime losses)."""

    team_id: str
    team_name: str
    played: int = 0
    won: int = 0
    drawn: int = 0
    lost: int = 0
    overtime_losses: int = 0
    regulation_wins: int = 0
    goals_for: int = 0
    goals_against: int = 0

    @property
    def goal_difference(self) -> int:
        return self.goals_for - self.goals_against

    def points(self, sport: Sport) -> int | None:
        """Table points by the sport's rule; ``None`` for sports ranked by win percentage."""
        if sport == Sport.SOCCER:
            return 3 * self.won + self.drawn
        if sport == Sport.ICE_HOCKEY:
            return 2 * self.won + self.overtime_losses + self.drawn
        return None

    def win_percentage(self) -> Fraction:
        """(wins + ties / 2) / games, exactly; 0 before the first game."""
        if not self.played:
            return Fraction(0)
        return Fraction(2 * self.won + self.drawn, 2 * self.played)

    def points_percentage(self) -> Fraction:
        """Ice hockey: points / (2 * games), exactly; 0 before the first game."""
        if not self.played:
            return Fraction(0)
        return Fraction(2 * self.won + self.overtime_losses + self.drawn, 2 * self.played)

    def plus(self, line: TeamRecord, sign: int) -> TeamRecord:
        """These tallies with ``line``'s added (``sign`` +1) or taken away (-1)."""
        counts = {name: getattr(self, name) + sign * getattr(line, name) for name in _COUNTS}
        if any(value < 0 for value in counts.values()):
            raise ValueError(f"team {self.team_id!r} has no such result to take away")
        return replace(self, **counts)


_COUNTS = (
    "played",
    "won",
    "drawn",
    "lost",
    "overtime_losses",
    "regulation_wins",
    "goals_for",
    "goals_against",
)


def result_lines(result: GameResult) -> tuple[TeamRecord, TeamRecord]:
    """What the result adds to the home team's tallies and to the away team's."""
    home_goals, away_goals = result.home_score, result.away_score
    margin = home_goals - away_goals
    if margin == 0 and result.sport == Sport.ICE_HOCKEY:
        margin = result.shootout_home - result.shootout_away
        if margin > 0:
            home_goals += 1
        elif margin < 0:
            away_goals += 1
    home = _line(result.home_team_id, result.sport, margin, home_goals, away_goals, result)
    away = _line(result.away_team_id, result.sport, -margin, away_goals, home_goals, result)
    return home, away


def _line(
    team_id: str, sport: Sport, margin: int, scored: int, conceded: int, result: GameResult
) -> TeamRecord:
    overtime_loss = margin < 0 and result.after_regulation and sport == Sport.ICE_HOCKEY
    return TeamRecord(
        team_id=team_id,
        team_name=team_id,
        played=1,
        won=int(margin > 0),
        drawn=int(margin == 0),
        lost=int(margin < 0 and not overtime_loss),
        overtime_losses=int(overtime_loss),
        regulation_wins=int(margin > 0 and not result.after_regulation),
        goals_for=scored,
        goals_against=conceded,
    )


@dataclass(frozen=True)
class Table:
    """The standings of one league's season: one record per team entered.

    ``version`` is set by whoever stores the table (the log position of its latest
    change); the rules here never read it.
    """

    league: str
    season: str
    sport: Sport
    teams: Mapping[str, TeamRecord] = field(default_factory=dict)
    version: int = 0

    def entered(self, team_id: str, team_name: str | None) -> Table:
        """The table with the team listed (no games yet) or renamed; ``self`` if unchanged."""
        known = self.teams.get(team_id)
        name = team_name or (known.team_name if known else team_id)
        if known is not None and known.team_name == name:
            return self
        record = replace(known, team_name=name) if known else TeamRecord(team_id, name)
        return replace(self, teams={**self.teams, team_id: record})

    def applied(self, result: GameResult, sign: int = 1) -> Table:
        """The table with ``result`` added (``sign=+1``) or taken away again (-1).

        Raises ValueError for a result of another sport, league or season, or for
        taking away a result the table does not hold.
        """
        if (result.sport, result.key) != (self.sport, (self.league, self.season)):
            raise ValueError(f"game {result.game_id!r} does not belong in this table")
        if sign not in (1, -1):
            raise ValueError("sign must be +1 or -1")
        teams = dict(self.teams)
        for line in result_lines(result):
            known = teams.get(line.team_id) or TeamRecord(line.team_id, line.team_id)
            teams[line.team_id] = known.plus(line, sign)
        return replace(self, teams=teams)

    def sort_key(self, record: TeamRecord) -> tuple[Any, ...]:
        """Ascending key of the ranking: the sport's keys, then name, then id."""
        tail = (record.team_name, record.team_id)
        if self.sport in RANKED_BY_WIN_PERCENTAGE:
            return (-record.win_percentage(), *tail)
        points = record.points(self.sport) or 0
        if self.sport == Sport.ICE_HOCKEY:
            return (-points, -record.points_percentage(), -record.regulation_wins, *tail)
        return (-points, -record.goal_difference, -record.goals_for, *tail)

    def ranked(self) -> list[TeamRecord]:
        """Every team's record, first place first (a total order, see the module doc)."""
        return sorted(self.teams.values(), key=self.sort_key)

    def rows(self) -> list[dict[str, Any]]:
        """The ranked rows as fans see them (percentages rounded to 3 places)."""
        rows: list[dict[str, Any]] = []
        for rank, r in enumerate(self.ranked(), 1):
            row: dict[str, Any] = {
                "rank": rank,
                "team_id": r.team_id,
                "team_name": r.team_name,
                "played": r.played,
                "won": r.won,
                "drawn": r.drawn,
                "lost": r.lost,
                "goals_for": r.goals_for,
                "goals_against": r.goals_against,
                "goal_difference": r.goal_difference,
                "points": r.points(self.sport),
            }
            if self.sport == Sport.AMERICAN_FOOTBALL:
                row["ties"] = r.drawn
            if self.sport in RANKED_BY_WIN_PERCENTAGE:
                row["win_percentage"] = round(float(r.win_percentage()), 3)
            if self.sport == Sport.ICE_HOCKEY:
                row["overtime_losses"] = r.overtime_losses
                row["regulation_wins"] = r.regulation_wins
                row["points_percentage"] = round(float(r.points_percentage()), 3)
            rows.append(row)
        return rows

    def public(self) -> dict[str, Any]:
        """What ``GET /standings/{league}/{season}`` answers."""
        return {
            "league": self.league,
            "season": self.season,
            "sport": self.sport.value,
            "rows": self.rows(),
            "version": self.version,
        }

    def to_record(self) -> dict[str, Any]:
        return {
            "league": self.league,
            "season": self.season,
            "sport": self.sport.value,
            "version": self.version,
            "teams": [asdict(r) for r in self.teams.values()],
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Table:
        teams = [TeamRecord(**r) for r in data["teams"]]
        return cls(
            league=data["league"],
            season=data["season"],
            sport=Sport(data["sport"]),
            teams={r.team_id: r for r in teams},
            version=int(data["version"]),
        )
