"""Player stats: each player's line in a game, folded from the game's effective plays,
and their sums over a league's season.

A game's lines are a pure function of its :class:`~domain.scoreboard.Scoreboard`'s
plays: every play not retracted, as corrected (``Play.effective``: type, team and
player after the corrections in sequence order), is credited to its player. So a
correction or a retraction changes the lines exactly as if the play had always been
reported so, whenever it arrives; there is no running counter to undo.

Stats per sport (:data:`SPORT_STATS`; plays without a player are credited to nobody):
- soccer: ``goals`` (GOAL and PENALTY_GOAL), ``assists``, ``penalty_goals``,
  ``own_goals`` (the player's own goal scores for the other side; it is not one of their
  goals),
  ``shootout_goals`` (tallied apart, as the scoreboard does), ``yellow_cards``,
  ``red_cards``, ``fouls``, ``substitutions`` (the player the provider names: StatsBomb
  names the player going off).
- basketball: ``free_throws``, ``two_pointers``, ``three_pointers`` (made), their points
  ``free_throw_points``, ``two_point_points``, ``three_point_points``, and ``points``;
  ``assists``, ``fouls``, ``substitutions`` (the NBA live feed reports each player in and out).
- american_football: ``touchdowns``, ``field_goals``, ``extra_points``,
  ``two_point_conversions``, ``safeties`` and ``points`` (by the sport's point values).
- ice_hockey: ``goals``, ``assists``, ``shootout_goals``, ``penalties``.
- every sport: ``games``, in season lines only (games in which the player has a line).

Assists: each player in a play's effective assists (``GameEvent.assists`` as reported,
replaced by any correction that gives assists, latest in sequence order) gets one
``assists`` when the play's effective type is one of :func:`assisted_types` (soccer GOAL
and PENALTY_GOAL, basketball field goals, hockey GOAL: never an own goal, a free throw,
a shoot-out goal or a touchdown), counted once per play and never for the effective scorer
themself. An assister is credited to the play's effective team. So a retracted goal, or
one corrected into a type that takes no assists, credits none, whenever that arrives.

Names: a player's name is the one on their latest play in log order, whatever the game
(:func:`named_player`, shown each event in the order the log holds them; a later event
naming the player otherwise wins, and nothing takes a name away). Names are not stats:
no line and no sum holds one.

Guarantees:
- :func:`game_lines` is order-independent (it reads the board, itself an
  order-independent fold) and a line holds only stats above zero.
- :meth:`SeasonLine.plus` adds a game's line (``sign=+1``) or takes it away (-1):
  season lines are sums over counted games, so adding then taking away gives back the
  line before, and any order of the same games gives an equal line.
- :func:`ranked` is a total order: value descending, then player id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from domain.events import GameEvent
from domain.scoreboard import Play, Scoreboard
from domain.sports import RULES, EventType, Sport

_E = EventType
_COUNTED: Mapping[Sport, Mapping[EventType, tuple[str, ...]]] = MappingProxyType(
    {
        Sport.SOCCER: {
            _E.GOAL: ("goals",),
            _E.PENALTY_GOAL: ("goals", "penalty_goals"),
            _E.OWN_GOAL: ("own_goals",),
            _E.SHOOTOUT_GOAL: ("shootout_goals",),
            _E.YELLOW_CARD: ("yellow_cards",),
            _E.RED_CARD: ("red_cards",),
            _E.FOUL: ("fouls",),
            _E.SUBSTITUTION: ("substitutions",),
        },
        Sport.BASKETBALL: {
            _E.FREE_THROW: ("free_throws",),
            _E.TWO_POINTER: ("two_pointers",),
            _E.THREE_POINTER: ("three_pointers",),
            _E.FOUL: ("fouls",),
            _E.SUBSTITUTION: ("substitutions",),
        },
        Sport.AMERICAN_FOOTBALL: {
            _E.TOUCHDOWN: ("touchdowns",),
            _E.FIELD_GOAL: ("field_goals",),
            _E.EXTRA_POINT: ("extra_points",),
            _E.TWO_POINT_CONVERSION: ("two_point_conversions",),
            _E.SAFETY: ("safeties",),
        },
        Sport.ICE_HOCKEY: {
            _E.GOAL: ("goals",),
            _E.SHOOTOUT_GOAL: ("shootout_goals",),
            _E.PENALTY: ("penalties",),
        },
    }
)
# Points a player scores, split by kind (basketball): event type -> stat of its points.
_POINT_SPLITS: Mapping[EventType, str] = MappingProxyType(
    {
        _E.FREE_THROW: "free_throw_points",
        _E.TWO_POINTER: "two_point_points",
        _E.THREE_POINTER: "three_point_points",
    }
)
_SCORES_POINTS = frozenset({Sport.BASKETBALL, Sport.AMERICAN_FOOTBALL})
# The scoring plays whose assists a player is credited with, by sport.
_ASSISTED: Mapping[Sport, frozenset[EventType]] = MappingProxyType(
    {
        Sport.SOCCER: frozenset({_E.GOAL, _E.PENALTY_GOAL}),
        Sport.BASKETBALL: frozenset({_E.TWO_POINTER, _E.THREE_POINTER}),
        Sport.AMERICAN_FOOTBALL: frozenset(),
        Sport.ICE_HOCKEY: frozenset({_E.GOAL}),
    }
)
ASSISTS = "assists"


def assisted_types(sport: Sport) -> frozenset[EventType]:
    """The event types whose assists count in ``sport`` (the only ones that may carry any)."""
    return _ASSISTED[sport]


def _stats_of(sport: Sport) -> tuple[str, ...]:
    names = [n for kinds in _COUNTED[sport].values() for n in kinds]
    if _ASSISTED[sport]:
        names.append(ASSISTS)
    if sport == Sport.BASKETBALL:
        names += list(_POINT_SPLITS.values())
    if sport in _SCORES_POINTS:
        names.append("points")
    return ("games", *sorted(set(names)))


SPORT_STATS: Mapping[Sport, tuple[str, ...]] = MappingProxyType(
    {sport: _stats_of(sport) for sport in Sport}
)
STAT_NAMES: frozenset[str] = frozenset(n for names in SPORT_STATS.values() for n in names)
# What a fan calls a team's top scorers, by sport.
TOP_SCORER_STAT: Mapping[Sport, str] = MappingProxyType(
    {
        Sport.SOCCER: "goals",
        Sport.BASKETBALL: "points",
        Sport.AMERICAN_FOOTBALL: "points",
        Sport.ICE_HOCKEY: "goals",
    }
)


def credited(sport: Sport, event_type: EventType) -> Mapping[str, int]:
    """What one play of ``event_type`` adds to its player's line in ``sport``."""
    return _CREDITED[sport].get(event_type, _NOTHING)


def _credited(sport: Sport, event_type: EventType) -> dict[str, int]:
    stats = dict.fromkeys(_COUNTED[sport].get(event_type, ()), 1)
    rules = RULES[sport]
    points = rules.points.get(event_type)
    if points and sport in _SCORES_POINTS and event_type not in rules.scores_for_opponent:
        stats["points"] = points
        if event_type in _POINT_SPLITS and sport == Sport.BASKETBALL:
            stats[_POINT_SPLITS[event_type]] = points
    return stats


_NOTHING: Mapping[str, int] = MappingProxyType({})
_CREDITED: Mapping[Sport, Mapping[EventType, Mapping[str, int]]] = MappingProxyType(
    {
        sport: MappingProxyType(
            {
                kind: MappingProxyType(found)
                for kind in EventType
                if (found := _credited(sport, kind))
            }
        )
        for sport in Sport
    }
)


_ONE_ASSIST: Mapping[str, int] = MappingProxyType({ASSISTS: 1})


def effective_assists(play: Play) -> tuple[str, ...]:
    """The play's assists as corrected: as reported, unless a correction gives assists
    (the latest, in sequence order, wins); each player once, in order."""
    # Play.assists comes with domain/scoreboard.py's wiring (H5 report); until then none.
    assists: tuple[str, ...] = play.assists
    for _, correction in sorted(play.corrections, key=lambda pair: pair[0]):
        if correction.assists is not None:
            assists = correction.assists
    return tuple(dict.fromkeys(assists))


@dataclass(frozen=True)
class PlayerLine:
    """One player's stats in one game (only stats above zero)."""

    player_id: str
    team_id: str | None
    stats: Mapping[str, int] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {"player_id": self.player_id, "team_id": self.team_id, "stats": dict(self.stats)}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> PlayerLine:
        return cls(data["player_id"], data["team_id"], dict(data["stats"]))


CreditedPlays = tuple[Play, ...]


def credited_plays(board: Scoreboard) -> CreditedPlays:
    """The plays :func:`game_lines` reads, in the board's order: those not retracted
    that are credited as reported or carry corrections. ``game_lines(board)`` is
    ``lines_of(board.sport, credited_plays(board))``: a function of these alone."""
    counted = _CREDITED[board.sport]
    return tuple(
        [
            play
            for play in board.plays.values()
            if play.retracted_at is None and (play.corrections or play.event_type in counted)
        ]
    )


def game_lines(board: Scoreboard) -> dict[str, PlayerLine]:
    """Every player's line in the game, by player id (sorted), from its effective plays.

    A player's ``team_id`` is the team of their latest credited play (an assist is a
    credited play of the scoring team).
    """
    return lines_of(board.sport, credited_plays(board))


def lines_of(sport: Sport, plays: CreditedPlays) -> dict[str, PlayerLine]:
    """The players' lines of a game of ``sport`` whose :func:`credited_plays` are ``plays``."""
    totals: dict[str, dict[str, int]] = {}
    teams: dict[str, tuple[int, str | None]] = {}
    assisted = _ASSISTED[sport]

    def credit(player_id: str, stats: Mapping[str, int], seq: int, team_id: str | None) -> None:
        line = totals.setdefault(player_id, {})
        for name, value in stats.items():
            line[name] = line.get(name, 0) + value
        if player_id not in teams or seq >= teams[player_id][0]:
            teams[player_id] = (seq, team_id)

    for play in plays:
        event_type, team_id, player_id = play.effective()
        if event_type in assisted:
            for assister in effective_assists(play):
                if assister != player_id:
                    credit(assister, _ONE_ASSIST, play.sequence_number, team_id)
        if player_id is None:
            continue
        stats = credited(sport, event_type)
        if stats:
            credit(player_id, stats, play.sequence_number, team_id)
    return {
        player_id: PlayerLine(
            player_id, teams[player_id][1], dict(sorted(totals[player_id].items()))
        )
        for player_id in sorted(totals)
    }


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


def named_player(event: GameEvent, board: Scoreboard) -> tuple[str, str] | None:
    """The (player id, name) ``event`` names, ``board`` being its game's just after it:
    a play's player and name as reported, or for a correction that gives a name, its
    play's effective player and name then. None when it names nobody (the common case:
    two attribute reads)."""
    name = event.player_name
    if name is not None:
        return (event.player_id, name) if event.player_id is not None else None
    correction = event.correction
    if correction is None or correction.player_name is None:
        return None
    play = board.plays.get(event.references_event_id or "")
    if play is None:
        return None
    player_id, effective = play.effective()[2], play.effective_name()
    return (player_id, effective) if player_id is not None and effective is not None else None
