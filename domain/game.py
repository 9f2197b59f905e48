"""The Game aggregate: the consistency boundary for one game's events.

Every recorded domain event carries the provider's GameEvent unchanged
(``game_event``); the event class says what kind of thing happened. Recording the
same ``event_id`` twice with the same content is a no-op; with different content it
raises EventConflictError. Guards live on the Scoreboard (``check_*``).
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import EventConflictError, ProviderDisagreementError, UnknownGameError
from domain.events import GameEvent
from domain.provider_aliases import match_key
from domain.scoreboard import Scoreboard
from domain.sports import RULES, EventType

GAME_NAMESPACE = uuid.UUID("5c0be11e-0000-4000-8000-000000000000")


def game_aggregate_id(game_id: str) -> uuid.UUID:
    """The aggregate id of a provider's game id (stable across processes)."""
    return uuid.uuid5(GAME_NAMESPACE, game_id)


class Game(Aggregate):
    class Scheduled(Aggregate.Created):
        game_event: dict[str, Any]
        received_at: float | None = None  # when ingestion took it in (unix seconds)

    class Recorded(Aggregate.Event):
        """Base of every event after scheduling: applies its GameEvent to the board."""

        game_event: dict[str, Any]
        received_at: float | None = None  # when ingestion took it in (unix seconds)

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Game)
            aggregate.fold_recorded(self.game_event, self.originator_version)

    class Rescheduled(Recorded):
        pass

    class Started(Recorded):
        pass

    class PeriodStarted(Recorded):
        pass

    class PeriodEnded(Recorded):
        pass

    class ClockUpdated(Recorded):
        pass

    class Scored(Recorded):
        pass

    class IncidentNoted(Recorded):
        pass

    class Finalised(Recorded):
        pass

    class Postponed(Recorded):
        pass

    class Cancelled(Recorded):
        pass

    class Corrected(Recorded):
        pass

    class Retracted(Recorded):
        pass

    def __init__(self, game_event: dict[str, Any], received_at: float | None = None) -> None:
        event = GameEvent.from_dict(game_event)
        self.game_id = event.game_id
        self.board = Scoreboard.scheduled(event)
        self.fingerprints: dict[str, str] = {}
        self.sequences: set[int] = set()
        self.contiguous_sequence = 0
        # sequence number -> (event_id, provider, match key) of what was recorded there
        self.by_sequence: dict[int, tuple[str, str, str]] = {}
        self.providers: set[str] = set()  # who reported the recorded events
        # The GameEvent being recorded by :meth:`record`, so applying its domain
        # event does not rebuild it from the dict (transient: None between calls).
        self._recording: tuple[dict[str, Any], GameEvent] | None = None
        self.fold(event, 1)

    def __deepcopy__(self, memo: dict[int, Any]) -> Game:
        """Cheap copy for the repository cache: the containers this aggregate
        changes are copied, everything they hold is immutable."""
        clone = object.__new__(type(self))
        for name, value in self.__dict__.items():
            if isinstance(value, (dict, set, list)):
                value = type(value)(value)
            elif isinstance(value, Scoreboard):
                value = value.copy()
            clone.__dict__[name] = value
        return clone

    @classmethod
    def schedule(cls, event: GameEvent, received_at: float | None = None) -> Game:
        if event.event_type != EventType.GAME_SCHEDULED or event.schedule is None:
            raise UnknownGameError(
                f"game {event.game_id!r} is not scheduled; its first event must be "
                "GAME_SCHEDULED with home_team_id and away_team_id"
            )
        board = Scoreboard.scheduled(event)
        board.check_team(event.team_id, event.event_type)
        board.check_period(event.period)
        return cls._create(
            cls.Scheduled,
            id=game_aggregate_id(event.game_id),
            game_event=event.to_dict(),
            received_at=received_at,
        )

    def is_duplicate(self, event: GameEvent) -> bool:
        """True if ``event`` was recorded before; raises if its content differs."""
        known = self.fingerprints.get(event.event_id)
        if known is None:
            return False
        if known != event.fingerprint():
            raise EventConflictError(
                f"event {event.event_id!r} was already recorded for game {self.game_id} "
                "with different content"
            )
        return True

    def reported_by_another_provider(self, event: GameEvent) -> str | None:
        """The recorded event another provider reported for this play, if any.

        Raises ProviderDisagreementError if another provider recorded a different
        play at the same sequence number.
        """
        known = self.by_sequence.get(event.sequence_number)
        if known is None or known[1] == event.provider:
            return None
        event_id, provider, key = known
        if key != match_key(event):
            raise ProviderDisagreementError(
                f"{event.provider or 'this provider'} reports {event.event_type.value} at "
                f"sequence {event.sequence_number} of game {self.game_id}, but {provider!r} "
                f"reported event {event_id!r} there, which differs"
            )
        return event_id

    def record(self, event: GameEvent, received_at: float | None = None) -> None:
        """Record a new event of this game (check :meth:`is_duplicate` first)."""
        self.board.check_event(event)
        data = event.to_dict()
        self._recording = (data, event)
        try:
            self.trigger_event(
                event_class(event.event_type), game_event=data, received_at=received_at
            )
        finally:
            self._recording = None

    def fold_recorded(self, data: dict[str, Any], version: int) -> None:
        """Fold a stored domain event's GameEvent (its dict, as the event carries it)."""
        recording = self._recording
        if recording is not None and recording[0] is data:
            event = recording[1]  # being recorded now: the GameEvent is at hand
        else:
            event = GameEvent.from_dict(data)
        self.fold(event, version)

    def may_have_aliases(self, event: GameEvent) -> bool:
        """False when no event id of ``event``'s provider can be an alias here: an
        alias is made only for a play another provider's recorded event holds, so a
        game whose recorded events are all from this provider has none of its ids."""
        return len(self.providers) > 1 or event.provider not in self.providers

    def fold(self, event: GameEvent, version: int) -> None:
        self.fingerprints[event.event_id] = event.fingerprint()
        self.providers.add(event.provider)
        self.sequences.add(event.sequence_number)
        self.by_sequence.setdefault(
            event.sequence_number, (event.event_id, event.provider, match_key(event))
        )
        while self.contiguous_sequence + 1 in self.sequences:
            self.contiguous_sequence += 1
        self.board.apply(event, version)


_CLASSES: dict[EventType, type[Game.Recorded]] = {
    EventType.GAME_SCHEDULED: Game.Rescheduled,
    EventType.GAME_STARTED: Game.Started,
    EventType.PERIOD_START: Game.PeriodStarted,
    EventType.PERIOD_END: Game.PeriodEnded,
    EventType.CLOCK_UPDATE: Game.ClockUpdated,
    EventType.GAME_FINAL: Game.Finalised,
    EventType.GAME_POSTPONED: Game.Postponed,
    EventType.GAME_CANCELLED: Game.Cancelled,
    EventType.EVENT_CORRECTED: Game.Corrected,
    EventType.EVENT_RETRACTED: Game.Retracted,
}


def event_class(event_type: EventType) -> type[Game.Recorded]:
    if event_type in _CLASSES:
        return _CLASSES[event_type]
    if event_type == EventType.SHOOTOUT_GOAL or any(event_type in r.points for r in RULES.values()):
        return Game.Scored
    return Game.IncidentNoted
