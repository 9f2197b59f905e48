"""Scoreboard: the state of one game, folded from its GameEvents.

The fold is order-independent: for any arrival order of a set of valid events
(with every revision after the event it revises), the resulting scoreboard is the
same. Scores are sums over scoring events that are not retracted, with corrections
applied in sequence order; status, period and clock come from the event with the
highest sequence number that sets them. This is what lets a late event be applied
whenever it comes and still converge on the in-order state.

The ``check_*`` guards (domain/scoreboard_guards.py) say whether an event may be
applied; :meth:`apply` assumes it may.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from domain.events import Correction, GameEvent, Schedule
from domain.scoreboard_guards import STATUS_BY_TYPE, ScoreboardGuards
from domain.sports import REVISION_TYPES, EventType, Sport


class Play(NamedTuple):
    """What the scoreboard remembers of an event, as corrected so far (immutable).

    ``player_name`` is the event's name of its player as reported; :meth:`effective_name`
    the name as corrected (a correction's ``player_name`` replaces it; one that changes
    the player without a name clears it: the name belongs to the player).
    """

    sequence_number: int
    event_type: EventType
    team_id: str | None
    player_id: str | None
    corrections: tuple[tuple[int, Correction], ...] = ()
    retracted_at: int | None = None
    assists: tuple[str, ...] = ()  # as reported (corrections: domain.player_stats)
    player_name: str | None = None  # as reported (corrections: effective_name)

    def effective(self) -> tuple[EventType, str | None, str | None]:
        event_type, team_id, player_id = self.event_type, self.team_id, self.player_id
        if not self.corrections:
            return event_type, team_id, player_id
        for _, c in sorted(self.corrections, key=lambda pair: pair[0]):
            event_type = c.event_type or event_type
            team_id = c.team_id or team_id
            player_id = c.player_id or player_id
        return event_type, team_id, player_id

    def effective_name(self) -> str | None:
        """The player's name as corrected: as reported, unless a correction (in sequence
        order, the latest wins) gives a ``player_name``, or changes the ``player_id``
        without one (then none is known)."""
        name = self.player_name
        if not self.corrections:
            return name
        player_id = self.player_id
        for _, c in sorted(self.corrections, key=lambda pair: pair[0]):
            if c.player_name is not None:
                name = c.player_name
            elif c.player_id is not None and c.player_id != player_id:
                name = None
            player_id = c.player_id or player_id
        return name


# Play(...) without its generated ``__new__`` (a Python frame) on the fold's hot path:
# every field given, in order.
_new_play = tuple.__new__

_SETS_SCHEDULE_OR_STATUS = frozenset({EventType.GAME_SCHEDULED, *STATUS_BY_TYPE})


@dataclass
class Scoreboard(ScoreboardGuards):
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

    # ------------------------------------------------------------------ apply
    def apply(self, event: GameEvent, version: int) -> None:
        """Fold ``event`` in; ``version`` is its position among the game's recorded events.

        Cheap for the common events (a clock update, a play without a team): no guard
        is re-checked and nothing is copied but the event's dict for ``last_event``."""
        if version > self.version:
            self.version = version
        seq = event.sequence_number
        if seq >= self.last_seq:
            self.last_seq = seq
            self.last_event = event.to_dict()
        period, clock = event.period, event.clock_seconds
        if (period is not None or clock is not None) and seq >= self.position_seq:
            self.position_seq = seq
            if period is not None:
                self.current_period = period
            if clock is not None:
                self.clock_seconds = clock
        kind = event.event_type
        if kind in _SETS_SCHEDULE_OR_STATUS:
            self._apply_lifecycle(event, kind, seq)
        if kind in REVISION_TYPES:
            self._revise(event)
            self.plays[event.event_id] = Play(seq, kind, None, None)
        else:
            play = _new_play(
                Play,
                (
                    seq,
                    kind,
                    event.team_id,
                    event.player_id,
                    (),
                    None,
                    event.assists,
                    event.player_name,
                ),
            )
            self.plays[event.event_id] = play
            if play.team_id is not None:  # (a play without a team tallies nothing)
                self._tally(play, +1)

    def _apply_lifecycle(self, event: GameEvent, kind: EventType, seq: int) -> None:
        if kind == EventType.GAME_SCHEDULED:
            assert event.schedule is not None
            self.schedule = event.schedule
            self.start_time = event.schedule.start_time
            return
        if kind == EventType.GAME_STARTED:
            self.started_seq = seq
        if kind == EventType.GAME_FINAL:
            self.final_seq = seq
            self.end_time = event.created_at
        if seq >= self.status_seq:
            self.status_seq = seq
            self.status = STATUS_BY_TYPE[kind]

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
        is enough: cheap even for a game of thousands of events. (Its fields copied as
        they are, not through ``dataclasses.replace``, whose ``__init__`` call costs
        seven times as much: a Scoreboard has no ``__post_init__`` nor derived field.)"""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.plays = dict(self.plays)
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> Scoreboard:
        return self.copy()
