"""The guards of a Scoreboard: may this event be applied to this game? (``check_*``)

Each raises a GameRuleError subclass naming the field at fault. Order-dependent rules
are judged by sequence number, so a late event is judged as of its place in the game.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.errors import (
    EventTypeNotInSportError,
    GameAlreadyFinalError,
    GameAlreadyStartedError,
    InvalidPeriodError,
    InvalidRevisionError,
    MissingTeamError,
    ScoringOutsidePlayError,
    TeamNotInGameError,
    TeamsChangedError,
    UnknownReferenceError,
    WrongSportError,
)
from domain.events import GameEvent, Schedule
from domain.sports import RULES, EventType, Sport, SportRules

if TYPE_CHECKING:
    from domain.scoreboard import Play

LIFECYCLE_TYPES = frozenset(
    {
        EventType.GAME_SCHEDULED,
        EventType.GAME_STARTED,
        EventType.PERIOD_START,
        EventType.PERIOD_END,
        EventType.CLOCK_UPDATE,
        EventType.GAME_FINAL,
        EventType.GAME_POSTPONED,
        EventType.GAME_CANCELLED,
    }
)
STATUS_BY_TYPE = {
    EventType.GAME_STARTED: "LIVE",
    EventType.GAME_FINAL: "FINAL",
    EventType.GAME_POSTPONED: "POSTPONED",
    EventType.GAME_CANCELLED: "CANCELLED",
}


class ScoreboardGuards:
    """Mixed into Scoreboard, whose state these read."""

    game_id: str
    sport: Sport
    schedule: Schedule
    started_seq: int | None
    final_seq: int | None
    plays: dict[str, Play]

    @property
    def rules(self) -> SportRules:
        return RULES[self.sport]

    def check_belongs(self, event: GameEvent) -> None:
        """Raise a GameRuleError if ``event`` cannot belong to this game, whatever came
        before it: its sport, event type, team and period, a schedule's teams (what
        ingestion judges at once: domain/delivery_checks.py)."""
        self.check_sport(event)
        self.check_event_type_in_sport(event.event_type)
        self.check_team(event.team_id, event.event_type)
        self.check_period(event.period)
        if event.event_type == EventType.GAME_SCHEDULED:
            self.check_same_teams(event)

    def check_event(self, event: GameEvent) -> None:
        """Raise a GameRuleError if ``event`` may not be applied to this game."""
        self.check_belongs(event)
        if event.event_type == EventType.GAME_STARTED:
            self.check_not_started(event)
        elif event.event_type == EventType.GAME_FINAL:
            self.check_not_final(event)
        elif event.is_revision:
            self.check_revision(event)
        if self._counts_toward_result(event.event_type):
            self.check_in_play(event.sequence_number, event.event_type)
        if event.event_type == EventType.SHOOTOUT_GOAL:
            self.check_shootout_period(event.period)

    def check_sport(self, event: GameEvent) -> None:
        if event.sport != self.sport:
            raise WrongSportError(
                f"game {self.game_id} is {self.sport.value}, not {event.sport.value}"
            )

    def check_event_type_in_sport(self, event_type: EventType) -> None:
        scoring_anywhere = any(event_type in r.points for r in RULES.values())
        if scoring_anywhere and not self.rules.is_scoring(event_type):
            raise EventTypeNotInSportError(
                f"{event_type.value} does not score in {self.sport.value}"
            )
        if event_type == EventType.SHOOTOUT_GOAL and not self.rules.has_shootout:
            raise EventTypeNotInSportError(f"{self.sport.value} has no shootout")

    def check_team(self, team_id: str | None, event_type: EventType) -> None:
        if team_id is None:
            if self._counts_toward_result(event_type):
                raise MissingTeamError(f"{event_type.value} needs the team_id that scored")
            return
        if team_id not in (self.schedule.home_team_id, self.schedule.away_team_id):
            raise TeamNotInGameError(
                f"team {team_id!r} does not play in game {self.game_id} "
                f"({self.schedule.home_team_id} v {self.schedule.away_team_id})"
            )

    def check_period(self, period: int | None) -> None:
        if period is None:
            return
        highest = self.rules.max_periods
        if period < 1 or (highest is not None and period > highest):
            bound = f"1..{highest}" if highest is not None else ">= 1"
            raise InvalidPeriodError(f"period {period} is outside {self.sport.value}'s {bound}")

    def check_shootout_period(self, period: int | None) -> None:
        if period is not None and period <= self.rules.regulation_periods:
            raise InvalidPeriodError(
                f"a shoot-out comes after regulation; period {period} is in regulation"
            )

    def check_in_play(self, sequence_number: int, event_type: EventType) -> None:
        if self.started_seq is None or sequence_number < self.started_seq:
            raise ScoringOutsidePlayError(
                f"{event_type.value} at sequence {sequence_number} comes before GAME_STARTED"
            )
        if self.final_seq is not None and sequence_number > self.final_seq:
            raise ScoringOutsidePlayError(
                f"{event_type.value} at sequence {sequence_number} comes after GAME_FINAL "
                f"(sequence {self.final_seq}); only a correction may change a final score"
            )

    def check_same_teams(self, event: GameEvent) -> None:
        assert event.schedule is not None
        if (event.schedule.home_team_id, event.schedule.away_team_id) != (
            self.schedule.home_team_id,
            self.schedule.away_team_id,
        ):
            raise TeamsChangedError(
                f"game {self.game_id} is {self.schedule.home_team_id} v "
                f"{self.schedule.away_team_id}; a new schedule may not change the teams"
            )

    def check_not_started(self, event: GameEvent) -> None:
        if self.started_seq is not None:
            raise GameAlreadyStartedError(f"game {self.game_id} has already started")

    def check_not_final(self, event: GameEvent) -> None:
        if self.final_seq is not None:
            raise GameAlreadyFinalError(
                f"game {self.game_id} is already FINAL (sequence {self.final_seq})"
            )

    def check_revision(self, event: GameEvent) -> None:
        target_id = event.references_event_id
        if not target_id:
            raise UnknownReferenceError(f"{event.event_type.value} must name the event it revises")
        target = self.plays.get(target_id)
        if target is None:
            raise UnknownReferenceError(f"no event {target_id!r} in game {self.game_id}")
        if target.event_type in (EventType.EVENT_CORRECTED, EventType.EVENT_RETRACTED):
            raise InvalidRevisionError(f"event {target_id!r} is itself a revision")
        if target.retracted_at is not None:
            raise InvalidRevisionError(f"event {target_id!r} is already retracted")
        if event.event_type == EventType.EVENT_CORRECTED:
            if event.correction is None:
                raise InvalidRevisionError(
                    "EVENT_CORRECTED needs a correction object", field="correction"
                )
            corrected = event.correction
            if corrected.event_type is not None:
                if corrected.event_type in STATUS_BY_TYPE or corrected.event_type in (
                    EventType.GAME_SCHEDULED,
                    EventType.EVENT_CORRECTED,
                    EventType.EVENT_RETRACTED,
                ):
                    raise InvalidRevisionError(
                        f"a correction may not turn an event into {corrected.event_type.value}",
                        field="correction.event_type",
                    )
                self.check_event_type_in_sport(corrected.event_type)
            if target.event_type in LIFECYCLE_TYPES and corrected.event_type not in (
                None,
                target.event_type,
            ):
                raise InvalidRevisionError(
                    f"event {target_id!r} is {target.event_type.value}; a correction may not "
                    "turn a game's lifecycle event into a play",
                    field="correction.event_type",
                )
            new_type, new_team, _ = target._replace(
                corrections=(*target.corrections, (event.sequence_number, corrected))
            ).effective()
            self.check_team(new_team, new_type)
            if self._counts_toward_result(new_type):
                # The corrected play must itself have happened in play.
                self.check_in_play(target.sequence_number, new_type)

    def _counts_toward_result(self, event_type: EventType) -> bool:
        return self.rules.is_scoring(event_type) or event_type == EventType.SHOOTOUT_GOAL
