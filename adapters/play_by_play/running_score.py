"""Keeping Scoreline's score equal to the provider's running score, row by row.

A provider's plays say who scored what; its running score says what the scoreboard shows.
When, after a row, the two disagree (a basket re-scored on review, a goal taken back), the
running score wins and the disagreement is explained by the smallest change to the plays:

1. The row's own scoring play (when it is the only one, and only its team's total is off)
   is re-typed to what the score moved by: a "2pt" that moved the score by 3 is a
   ``THREE_POINTER``; a made shot that did not move it at all is a ``SHOT`` (and loses its
   assists: a miss assists nothing).
2. Otherwise each team whose total is off has its latest scoring play so far revised: an
   ``EVENT_RETRACTED`` when the gap takes all its points back, an ``EVENT_CORRECTED`` to the
   other field-goal type when the gap is the difference between a 2 and a 3.
3. Any other gap cannot be explained without guessing, and the feed is refused.

Nothing here knows a provider; the adapter passes its own error class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.play_by_play.source_rows import SourceRow
from domain.sports import RULES, EventType, Sport

# Scoring event types one play may turn out to be, by what it is worth.
_SAME_PLAY: tuple[frozenset[EventType], ...] = (
    frozenset({EventType.TWO_POINTER, EventType.THREE_POINTER}),
)


@dataclass(frozen=True)
class ScoreRevision:
    """A revision of an earlier scoring event that the running score calls for."""

    event_id: str
    references_event_id: str
    kind: EventType  # EVENT_CORRECTED or EVENT_RETRACTED
    corrected_to: EventType | None
    description: str


class RunningScore:
    """The score Scoreline will show for one game, checked against the provider's."""

    def __init__(self, sport: Sport, home_id: str, away_id: str, error: type[ValueError]) -> None:
        self.points: Mapping[EventType, int] = RULES[sport].points
        self.sides = {home_id: "home", away_id: "away"}
        self.tally = {home_id: 0, away_id: 0}
        self.scored: dict[str, list[tuple[str, EventType]]] = {home_id: [], away_id: []}
        self.error = error

    def settle(self, row: SourceRow, natives: list[dict[str, Any]]) -> list[ScoreRevision]:
        """Count ``row``'s scoring ``natives`` (re-typing one if rule 1 says so, in place)
        and return the revisions rule 2 calls for."""
        own: list[dict[str, Any]] = []
        for native in natives:
            kind = EventType(native["event_type"])
            if kind in self.points:
                team = native["team_id"]
                self.scored[team].append((native["event_id"], kind))
                self.tally[team] += self.points[kind]
                own.append(native)
        if row.score is None:
            return []
        score = row.score
        home_id, away_id = self.sides
        gaps = {
            home_id: row.score[0] - self.tally[home_id],
            away_id: row.score[1] - self.tally[away_id],
        }
        if len(own) == 1:
            self._retype_own(own[0], gaps)
        return [
            self._revise(row, score, team, gap, gaps)
            for team, gap in list(gaps.items())
            if gap != 0
        ]

    def _retype_own(self, native: dict[str, Any], gaps: dict[str, int]) -> None:
        team = native["team_id"]
        other = next(t for t in gaps if t != team)
        if gaps[team] == 0 or gaps[other] != 0:
            return
        kind = EventType(native["event_type"])
        worth = self.points[kind] + gaps[team]
        new = EventType.SHOT if worth == 0 else self._worth(kind, worth)
        if new is None:
            return
        native["event_type"] = new.value
        if new == EventType.SHOT:
            native.pop("assists", None)
        self.scored[team].pop()
        if new != EventType.SHOT:
            self.scored[team].append((native["event_id"], new))
        self.tally[team] += gaps[team]
        gaps[team] = 0

    def _revise(
        self,
        row: SourceRow,
        score: tuple[int, int],
        team: str,
        gap: int,
        gaps: Mapping[str, int],
    ) -> ScoreRevision:
        side = self.sides[team]
        revision_id = f"{row.event_id}:fix-{side}"
        if self.scored[team]:
            target, kind = self.scored[team][-1]
            worth = self.points[kind] + gap
            new = self._worth(kind, worth)
            if worth == 0:
                self.scored[team].pop()
                self.tally[team] += gap
                return ScoreRevision(
                    revision_id,
                    target,
                    EventType.EVENT_RETRACTED,
                    None,
                    f"Score correction: {target} no longer counts",
                )
            if new is not None:
                self.scored[team][-1] = (target, new)
                self.tally[team] += gap
                return ScoreRevision(
                    revision_id,
                    target,
                    EventType.EVENT_CORRECTED,
                    new,
                    f"Score correction: {target} is a {new.value}, not a {kind.value}",
                )
        home_id, away_id = self.sides
        raise self.error(
            f"{row.where}: the provider's running score is {score[0]}-{score[1]} "
            f"(home-away) but its plays add up to {score[0] - gaps[home_id]}-"
            f"{score[1] - gaps[away_id]}, and no change to the {side} team's last "
            "scoring play explains it"
        )

    def _worth(self, kind: EventType, worth: int) -> EventType | None:
        """The scoring type of the same kind of play as ``kind`` worth ``worth`` points."""
        for family in _SAME_PLAY:
            if kind in family:
                return next((k for k in family if self.points[k] == worth), None)
        return kind if self.points[kind] == worth else None
