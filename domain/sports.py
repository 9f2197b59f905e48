"""The four sports Scoreline knows: which events score, how much, and their periods."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


class Sport(enum.StrEnum):
    SOCCER = "soccer"
    BASKETBALL = "basketball"
    AMERICAN_FOOTBALL = "american_football"
    ICE_HOCKEY = "ice_hockey"


class EventType(enum.StrEnum):
    # Lifecycle
    GAME_SCHEDULED = "GAME_SCHEDULED"
    GAME_STARTED = "GAME_STARTED"
    PERIOD_START = "PERIOD_START"
    PERIOD_END = "PERIOD_END"
    CLOCK_UPDATE = "CLOCK_UPDATE"
    GAME_FINAL = "GAME_FINAL"
    GAME_POSTPONED = "GAME_POSTPONED"
    GAME_CANCELLED = "GAME_CANCELLED"
    # Scoring (points depend on the sport)
    GOAL = "GOAL"
    OWN_GOAL = "OWN_GOAL"
    PENALTY_GOAL = "PENALTY_GOAL"
    FREE_THROW = "FREE_THROW"
    TWO_POINTER = "TWO_POINTER"
    THREE_POINTER = "THREE_POINTER"
    TOUCHDOWN = "TOUCHDOWN"
    FIELD_GOAL = "FIELD_GOAL"
    EXTRA_POINT = "EXTRA_POINT"
    TWO_POINT_CONVERSION = "TWO_POINT_CONVERSION"
    SAFETY = "SAFETY"
    # Shootouts and penalty shoot-outs decide a game but are tallied apart from the score.
    SHOOTOUT_GOAL = "SHOOTOUT_GOAL"
    # Incidents
    FOUL = "FOUL"
    SUBSTITUTION = "SUBSTITUTION"
    YELLOW_CARD = "YELLOW_CARD"
    RED_CARD = "RED_CARD"
    TIMEOUT = "TIMEOUT"
    PENALTY = "PENALTY"
    SHOT = "SHOT"
    # Revisions of an earlier event, named by ``references_event_id``
    EVENT_CORRECTED = "EVENT_CORRECTED"
    EVENT_RETRACTED = "EVENT_RETRACTED"


REVISION_TYPES = frozenset({EventType.EVENT_CORRECTED, EventType.EVENT_RETRACTED})
STATUS_TYPES = frozenset(
    {
        EventType.GAME_STARTED,
        EventType.GAME_FINAL,
        EventType.GAME_POSTPONED,
        EventType.GAME_CANCELLED,
    }
)


@dataclass(frozen=True)
class SportRules:
    """What a sport counts as scoring, and how its periods run.

    ``points`` maps each scoring event type to the points it gives. An own goal
    names the team that conceded it (``team_id`` is the player's team) and scores
    for the other side: ``scores_for_opponent``.
    """

    sport: Sport
    points: Mapping[EventType, int]
    scores_for_opponent: frozenset[EventType]
    regulation_periods: int
    max_overtime_periods: int | None  # None: as many as it takes
    has_shootout: bool
    period_names: tuple[str, ...]
    overtime_name: str
    shootout_name: str

    def is_scoring(self, event_type: EventType) -> bool:
        return event_type in self.points

    @property
    def max_periods(self) -> int | None:
        """Highest valid period number (the shootout counts as one), None if unbounded."""
        if self.max_overtime_periods is None:
            return None
        return self.regulation_periods + self.max_overtime_periods + int(self.has_shootout)

    def is_shootout_period(self, period: int) -> bool:
        return self.has_shootout and self.max_periods is not None and period == self.max_periods

    def period_name(self, period: int) -> str:
        if period <= 0:
            return ""
        if period <= self.regulation_periods:
            return self.period_names[period - 1]
        if self.is_shootout_period(period):
            return self.shootout_name
        overtime = period - self.regulation_periods
        if self.max_overtime_periods is None:  # OT, 2OT, 3OT, ...
            return self.overtime_name if overtime == 1 else f"{overtime}{self.overtime_name}"
        return f"{self.overtime_name}{overtime}"


RULES: Mapping[Sport, SportRules] = MappingProxyType(
    {
        Sport.SOCCER: SportRules(
            sport=Sport.SOCCER,
            points=MappingProxyType(
                {EventType.GOAL: 1, EventType.OWN_GOAL: 1, EventType.PENALTY_GOAL: 1}
            ),
            scores_for_opponent=frozenset({EventType.OWN_GOAL}),
            regulation_periods=2,
            max_overtime_periods=2,
            has_shootout=True,
            period_names=("1st half", "2nd half"),
            overtime_name="Extra time ",
            shootout_name="Penalties",
        ),
        Sport.BASKETBALL: SportRules(
            sport=Sport.BASKETBALL,
            points=MappingProxyType(
                {EventType.FREE_THROW: 1, EventType.TWO_POINTER: 2, EventType.THREE_POINTER: 3}
            ),
            scores_for_opponent=frozenset(),
            regulation_periods=4,
            max_overtime_periods=None,
            has_shootout=False,
            period_names=("Q1", "Q2", "Q3", "Q4"),
            overtime_name="OT",
            shootout_name="",
        ),
        Sport.AMERICAN_FOOTBALL: SportRules(
            sport=Sport.AMERICAN_FOOTBALL,
            points=MappingProxyType(
                {
                    EventType.TOUCHDOWN: 6,
                    EventType.FIELD_GOAL: 3,
                    EventType.EXTRA_POINT: 1,
                    EventType.TWO_POINT_CONVERSION: 2,
                    EventType.SAFETY: 2,
                }
            ),
            scores_for_opponent=frozenset(),
            regulation_periods=4,
            max_overtime_periods=None,
            has_shootout=False,
            period_names=("Q1", "Q2", "Q3", "Q4"),
            overtime_name="OT",
            shootout_name="",
        ),
        Sport.ICE_HOCKEY: SportRules(
            sport=Sport.ICE_HOCKEY,
            points=MappingProxyType({EventType.GOAL: 1}),
            scores_for_opponent=frozenset(),
            regulation_periods=3,
            max_overtime_periods=None,
            has_shootout=True,
            period_names=("P1", "P2", "P3"),
            overtime_name="OT",
            shootout_name="SO",
        ),
    }
)
