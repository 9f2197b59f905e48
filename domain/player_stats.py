"""Player stats: each player's line in a game, folded from the game's effective plays
(their sums over a league's season: domain/season_lines.py).

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
- every sport: ``games``, in season lines only (domain/season_lines.py).

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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
