"""Scoreboard: the state of one game, folded from its GameEvents.

The fold is order-independent: for any arrival order of a set of valid events
(with every revision after the event it revises), the resulting scoreboard is the
same. Scores are sums over scoring events that are not retracted, with corrections
applied in sequence order; status, period and clock come from the event with the
highest sequence number that sets them. This is what lets a late event be applied
whenever it comes and still converge on the in-order state.

The ``check_*`` guards say whether an event may be applied; :meth:`apply` assumes it may.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

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
from domain.events import Correction, GameEvent, Schedule
from domain.sports import RULES, EventType, Sport, SportRules

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


class Play(NamedTuple):
    """What the scoreboard remembers of an event, as corrected so far (immutable)."""

    sequence_number: int
    event_type: EventType
    team_id: str | None
    player_id: str | None
    corrections: tuple[tuple[int, Correction], ...] = ()
    retracted_at: int | None = None

    def effective(self) -> tuple[EventType, str | None, str | None]:
        event_type, team_id, player_id = self.event_type, self.team_id, self.player_id
        for _, c in sorted(self.corrections, key=lambda pair: pair[0]):
            event_type = c.event_type or event_type
            team_id = c.team_id or team_id
            player_id = c.player_id or player_id
        return event_type, team_id, player_id


@dataclass
class Scoreboard:
    game_id: str
    sport: Sport
    schedule: Schedule
    status: str = "SCHEDULED"
    home_score: int = 0
    away_score: int = 0
    shootout_home: int = 0
    shootout_away: int = 0
    current_period: int = 0
    clock_seconds: int | None = None
    start_time: str | None = None
    end_time: str | None = None
    version: int = 0
    last_event: dict[str, Any] | None = None
    started_seq: int | None = None
    final_seq: int | None = None
    status_seq: int = 0
    position_seq: int = 0
    last_seq: int = 0
    plays: dict[str, Play] = field(default_factory=dict)

    @classmethod
    def scheduled(cls, event: GameEvent) -> Scoreboard:
        assert event.schedule is not None
        board = cls(game_id=event.game_id, sport=event.sport, schedule=event.schedule)
        board.start_time = event.schedule.start_time
        return board

    @property
    def rules(self) -> SportRules:
        return RULES[self.sport]

    # ----------------------------------------------------------------- guards
    def check_event(self, event: GameEvent) -> None:
        """Raise a GameRuleError if ``event`` may not be applied to this game."""
        self.check_sport(event)
        self.check_event_type_in_sport(event.event_type)
        self.check_team(event.team_id, event.event_type)
        self.check_period(event.period)
        if event.event_type == EventType.GAME_SCHEDULED:
            self.check_same_teams(event)
        elif event.event_type == EventType.GAME_STARTED:
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

    # ------------------------------------------------------------------ apply
    def apply(self, event: GameEvent, version: int) -> None:
        """Fold ``event`` in; ``version`` is its position among the game's recorded events."""
        self.version = max(self.version, version)
        seq = event.sequence_number
        if seq >= self.last_seq:
            self.last_seq = seq
            self.last_event = event.to_dict()
        if (
            event.period is not None or event.clock_seconds is not None
        ) and seq >= self.position_seq:
            self.position_seq = seq
            if event.period is not None:
                self.current_period = event.period
            if event.clock_seconds is not None:
                self.clock_seconds = event.clock_seconds
        kind = event.event_type
        if kind == EventType.GAME_SCHEDULED:
            assert event.schedule is not None
            self.schedule = event.schedule
            self.start_time = event.schedule.start_time
        if kind in STATUS_BY_TYPE:
            if kind == EventType.GAME_STARTED:
                self.started_seq = seq
            if kind == EventType.GAME_FINAL:
                self.final_seq = seq
                self.end_time = event.created_at
            if seq >= self.status_seq:
                self.status_seq = seq
                self.status = STATUS_BY_TYPE[kind]
        if event.is_revision:
            self._revise(event)
        else:
            play = Play(seq, kind, event.team_id, event.player_id)
            self.plays[event.event_id] = play
            self._tally(play, +1)
        if kind in (EventType.EVENT_CORRECTED, EventType.EVENT_RETRACTED):
            self.plays[event.event_id] = Play(seq, kind, None, None)

    def _revise(self, event: GameEvent) -> None:
        assert event.references_event_id is not None
        target = self.plays[event.references_event_id]
        self._tally(target, -1)
        if event.event_type == EventType.EVENT_RETRACTED:
            target = target._replace(retracted_at=event.sequence_number)
        else:
            assert event.correction is not None
            revision = (event.sequence_number, event.correction)
            target = target._replace(corrections=(*target.corrections, revision))
        self.plays[event.references_event_id] = target
        self._tally(target, +1)

    def _tally(self, play: Play, sign: int) -> None:
        if play.retracted_at is not None:
            return
        event_type, team_id, _ = play.effective()
        if team_id is None:
            return
        home = team_id == self.schedule.home_team_id
        if event_type == EventType.SHOOTOUT_GOAL:
            if home:
                self.shootout_home += sign
            else:
                self.shootout_away += sign
            return
        points = self.rules.points.get(event_type)
        if points is None:
            return
        if event_type in self.rules.scores_for_opponent:
            home = not home
        if home:
            self.home_score += sign * points
        else:
            self.away_score += sign * points

    def _counts_toward_result(self, event_type: EventType) -> bool:
        return self.rules.is_scoring(event_type) or event_type == EventType.SHOOTOUT_GOAL

    # ------------------------------------------------------------------ views
    def public(self) -> dict[str, Any]:
        """The state fans see at ``GET /games/{id}/state``."""
        s = self.schedule
        return {
            "game_id": self.game_id,
            "sport": self.sport.value,
            "league": s.league,
            "season": s.season,
            "status": self.status,
            "home_team_id": s.home_team_id,
            "away_team_id": s.away_team_id,
            "home_team_name": s.home_team_name,
            "away_team_name": s.away_team_name,
            "home_score": self.home_score,
            "away_score": self.away_score,
            "shootout_home": self.shootout_home,
            "shootout_away": self.shootout_away,
            "current_period": self.current_period,
            "period_name": self.rules.period_name(self.current_period),
            "clock_seconds": self.clock_seconds,
            "venue": s.venue,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "last_event": self.last_event,
            "version": self.version,
        }

    def copy(self) -> Scoreboard:
        """An independent copy. Plays are immutable and ``last_event`` and ``schedule``
        are only ever replaced, never changed in place, so copying the plays dict
        is enough: cheap even for a game of thousands of events."""
        return replace(self, plays=dict(self.plays))

    def __deepcopy__(self, memo: dict[int, Any]) -> Scoreboard:
        return self.copy()
