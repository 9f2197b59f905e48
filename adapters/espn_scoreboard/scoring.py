"""Which plays explain a change in a team's total: :func:`added_plays` and :func:`lowering`.

ESPN's scoreboard gives each team's total only, so between two polls the differ must
guess the plays. Both functions are pure and deterministic; the package doc states the
rules they follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapters.espn_scoreboard.reading import MAX_SCORE
from domain.sports import RULES, EventType, Sport

POINTS = RULES[Sport.AMERICAN_FOOTBALL].points
TD, FG = EventType.TOUCHDOWN, EventType.FIELD_GOAL
XP, TWO = EventType.EXTRA_POINT, EventType.TWO_POINT_CONVERSION
SAFETY = EventType.SAFETY

# One score each, with its cost: 100 a score, plus more the less common the kind is, so
# that a rise is the fewest, commonest scores: 7s and 3s first, then a touchdown without
# its try, one with a two-point try, a safety, and a lone extra point (no touchdown
# waiting for its try) only when nothing else adds up.
_SCORES: tuple[tuple[tuple[EventType, ...], int], ...] = (
    ((TD, XP), 100),
    ((TD, TWO), 160),
    ((FG,), 100),
    ((SAFETY,), 180),
    ((XP,), 400),
    ((TD,), 140),  # last in the output: a touchdown polled before its try
)
# The try of a touchdown already sent without one (it came after the poll): not a new
# score, so an extra point costs nothing and a two-point try only its rarity.
_TRIES: tuple[tuple[EventType, int], ...] = ((XP, 0), (TWO, 60))
# Corrections that lower a play by re-typing it rather than retracting it.
_RETYPES: dict[EventType, tuple[EventType, ...]] = {TD: (FG,), TWO: (XP,)}
_RETRACT_COST, _RETYPE_COST, _GIVE_BACK_COST = 10, 12, 5
_MAX_OVERSHOOT = max(POINTS.values())


def _cheapest_scores(limit: int) -> list[tuple[int, tuple[int, ...]]]:
    """For 0..limit points: the cheapest multiset of ``_SCORES`` (indices) summing to it."""
    best: list[tuple[int, tuple[int, ...]]] = [(0, ())]
    for total in range(1, limit + 1):
        options = []
        for index, (plays, cost) in enumerate(_SCORES):
            points = sum(POINTS[kind] for kind in plays)
            if points <= total:
                before_cost, before = best[total - points]
                options.append((before_cost + cost, (*before, index)))
        best.append(min(options, key=lambda option: option[0]))  # first of equals: stable
    return best


_CHEAPEST = _cheapest_scores(MAX_SCORE + _MAX_OVERSHOOT)


def added_plays(points: int, *, try_pending: bool) -> list[EventType]:
    """The plays, in order, of a rise of ``points`` (>= 0) in one team's total.

    ``try_pending``: the team's latest play is a touchdown without its try, which may
    be the first of these plays.
    """
    cost, scores = _CHEAPEST[points]
    first: list[EventType] = []
    if try_pending:
        for kind, try_cost in _TRIES:
            if POINTS[kind] <= points:
                rest_cost, rest = _CHEAPEST[points - POINTS[kind]]
                if try_cost + rest_cost < cost:
                    cost, scores, first = try_cost + rest_cost, rest, [kind]
    plays = list(first)
    for index in sorted(scores):
        plays.extend(_SCORES[index][0])
    return plays


@dataclass(frozen=True)
class LivePlay:
    """A scoring event the differ has sent and not retracted, as corrected so far."""

    event_id: str
    sequence_number: int
    event_type: EventType

    @property
    def points(self) -> int:
        return POINTS[self.event_type]


@dataclass(frozen=True)
class Revision:
    """Retract ``play`` (``new_type`` None) or correct it to ``new_type``."""

    play: LivePlay
    new_type: EventType | None


@dataclass(frozen=True)
class Lowering:
    """How a team's total comes down: ``revisions`` of its plays (most recent first),
    then ``added`` new plays giving back what the revisions took beyond the drop."""

    revisions: tuple[Revision, ...]
    added: tuple[EventType, ...]


def lowering(
    plays: Sequence[LivePlay], drop: int, *, may_add: bool, retype: bool = True
) -> Lowering | None:
    """The cheapest revisions of ``plays`` (a team's, oldest first) lowering its total by
    ``drop`` (> 0), None if there is none.

    A revision costs more the older its play, so the most recent plays that explain the
    drop are the ones revised. With ``may_add`` (the game is in play) the revisions may
    take more than ``drop`` and new plays give the rest back; without ``retype`` plays
    are only retracted (never corrected to another type).
    """
    ceiling = drop + (_MAX_OVERSHOOT if may_add else 0)
    reach: dict[int, tuple[int, tuple[Revision, ...]]] = {0: (0, ())}
    for age, play in enumerate(reversed(plays)):
        options: list[tuple[EventType | None, int, int]] = [
            (None, play.points, _RETRACT_COST + age)
        ]
        if retype:
            options += [
                (kind, play.points - POINTS[kind], _RETYPE_COST + age)
                for kind in _RETYPES.get(play.event_type, ())
            ]
        grown = dict(reach)
        for taken, (cost, revisions) in reach.items():
            for new_type, points, extra in options:
                total = taken + points
                if total > ceiling:
                    continue
                known = grown.get(total)
                if known is None or cost + extra < known[0]:
                    grown[total] = (cost + extra, (*revisions, Revision(play, new_type)))
        reach = grown
    best: tuple[int, tuple[Revision, ...], tuple[EventType, ...]] | None = None
    if drop in reach:
        best = (*reach[drop], ())
    for taken in range(drop + 1, ceiling + 1):
        if taken in reach:
            cost, revisions = reach[taken]
            back = taken - drop
            cost += _GIVE_BACK_COST + _CHEAPEST[back][0]
            if best is None or cost < best[0]:
                best = (cost, revisions, tuple(added_plays(back, try_pending=False)))
    return None if best is None else Lowering(best[1], best[2])
