"""ProviderAliases: how events of a second provider map onto a game's recorded events.

When two providers feed one game (a primary and a backup), both report the same
plays under their own event ids. The first report of a play is recorded in the Game;
a matching report from the other provider is recorded here as an alias of it, so
it is acknowledged once, its resends are duplicates, and its later revisions
(``references_event_id``) point at the recorded event. One aggregate per game,
saved in the same transaction as the Game; the Game's own version (what fans see)
counts only its GameEvents.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from functools import lru_cache

from eventsourcing.domain import Aggregate

from domain.errors import EventConflictError
from domain.events import GameEvent

ALIASES_NAMESPACE = uuid.UUID("5c0be11e-0000-4000-8000-00000000a11a")


@lru_cache(maxsize=65_536)  # a uuid5 (a SHA-1) per lookup otherwise
def aliases_aggregate_id(game_id: str) -> uuid.UUID:
    return uuid.uuid5(ALIASES_NAMESPACE, game_id)


def match_key(event: GameEvent) -> str:
    """What two providers must agree on for their reports to be the same play."""
    return "|".join(
        (
            str(event.sequence_number),
            event.event_type.value,
            event.team_id or "",
            event.references_event_id or "",
        )
    )


class ProviderAliases(Aggregate):
    class Opened(Aggregate.Created):
        game_id: str

    class Matched(Aggregate.Event):
        event_id: str
        canonical_event_id: str
        provider: str
        fingerprint: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ProviderAliases)
            aggregate.canonical[self.event_id] = self.canonical_event_id
            aggregate.fingerprints[self.event_id] = self.fingerprint

    def __init__(self, game_id: str) -> None:
        self.game_id = game_id
        self.canonical: dict[str, str] = {}
        self.fingerprints: dict[str, str] = {}

    @classmethod
    def open(cls, game_id: str) -> ProviderAliases:
        return cls._create(cls.Opened, id=aliases_aggregate_id(game_id), game_id=game_id)

    def resolve(self, event: GameEvent) -> GameEvent:
        """The event with its reference pointed at the recorded event it aliases."""
        ref = event.references_event_id
        if ref is not None and ref in self.canonical:
            return replace(event, references_event_id=self.canonical[ref])
        return event

    def is_known(self, event: GameEvent) -> bool:
        """True if this provider event was matched before; raises if its content moved."""
        known = self.fingerprints.get(event.event_id)
        if known is None:
            return False
        if known != event.fingerprint():
            raise EventConflictError(
                f"event {event.event_id!r} was matched for game {self.game_id} "
                "with different content"
            )
        return True

    def match(self, event: GameEvent, canonical_event_id: str) -> None:
        self.trigger_event(
            self.Matched,
            event_id=event.event_id,
            canonical_event_id=canonical_event_id,
            provider=event.provider,
            fingerprint=event.fingerprint(),
        )

    def __deepcopy__(self, memo: dict[int, object]) -> ProviderAliases:
        clone = object.__new__(type(self))
        for name, value in self.__dict__.items():
            clone.__dict__[name] = (
                type(value)(value) if isinstance(value, (dict, set, list)) else value
            )
        return clone
