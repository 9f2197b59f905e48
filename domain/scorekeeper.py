"""Scorekeeper: the command side. Records GameEvents into the event store.

Guarantees:
- Idempotent: an ``event_id`` already recorded for a game with the same content is
  acknowledged (``duplicate``) and not stored again; with other content it is a
  ``conflict`` and nothing is stored.
- Atomic per call: all the events a :meth:`record` call accepts are stored in one
  transaction, together with the ``tracking`` position given (the upstream log
  offset they came from), or none are.
- Events are appended in the order given; the caller orders them (SequenceBuffer).

Caching: games (and each game's ProviderAliases) are kept in the library's aggregate
cache. By default a cached game is fast-forwarded from the store on every use, so
events other processes recorded are seen. With ``AGGREGATE_CACHE_FASTFORWARD=n`` in
the environment the process declares itself the only writer of the games it decides
(a recorder owning their log partitions): the cache is updated by :meth:`commit`
instead and nothing is read back, and a game's missing ProviderAliases is remembered.
Such a process must call :meth:`forget` whenever another may have written its games
(on every partition assignment); a failed commit forgets the games it held. A process
that learns it is the only writer once built (the embedded one, on starting its
recorder) calls :meth:`become_sole_writer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    Cache,
    LRUCache,
    ProcessingEvent,
)
from eventsourcing.domain import MutableOrImmutableAggregate
from eventsourcing.persistence import ProcessRecorder, Tracking

from domain import delivery_checks
from domain.errors import EventConflictError, GameRuleError, UnknownGameError
from domain.events import GameEvent, Verdict
from domain.game import Game, game_aggregate_id
from domain.provider_aliases import ProviderAliases, aliases_aggregate_id
from domain.recorded_event import RecordedEvent, recorded_event
from domain.scoreboard import Scoreboard

# A game's aggregate id is a uuid5 (a SHA-1): worked out once per game, not per use.
_game_id = lru_cache(maxsize=65_536)(game_aggregate_id)


@dataclass
class Decision:
    """Verdicts on a batch of events, and the games holding the accepted ones."""

    games: dict[str, Game]
    verdicts: list[Verdict]
    aliases: dict[str, ProviderAliases] = field(default_factory=dict)
    without_aliases: set[str] = field(default_factory=set)
    found: dict[str, Game | None] = field(default_factory=dict)  # looked up, maybe unchanged


class Scorekeeper(Application[UUID]):
    name = "scoreline"
    env = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        # Only writer of its games (see the module docstring): trust the cache.
        self.sole_writer = not self.repository.fastforward
        self._without_aliases: set[str] = set()  # games known to have no ProviderAliases

    def construct_recorder(self) -> ProcessRecorder:
        # A process recorder stores tracking positions in the same transaction.
        return self.factory.process_recorder()

    def become_sole_writer(self) -> None:
        """Declare this process the only writer of every game in its store from now on
        (a single process recording its own SQLite store: nothing else can write it):
        the cache is trusted as with ``AGGREGATE_CACHE_FASTFORWARD=n``, updated by
        :meth:`commit`, nothing read back before a decision or a :meth:`classify`.
        Forgets what it cached before."""
        self.repository.fastforward = False
        self.sole_writer = True
        self.forget()

    def forget(self) -> None:
        """Drop every cached game and aliases: the next use reads them from the store."""
        cache = self.repository.cache
        if isinstance(cache, LRUCache):
            self.repository.cache = LRUCache(maxsize=cache.maxsize)
        elif cache is not None:
            self.repository.cache = Cache()
        self._without_aliases.clear()

    # ---------------------------------------------------------------- commands
    def record(
        self, events: Sequence[GameEvent], tracking: Tracking | Sequence[Tracking] | None = None
    ) -> list[Verdict]:
        """Apply ``events`` in order and store the accepted ones with the position(s)
        (see :meth:`commit`)."""
        decision = self.decide(events)
        self.commit(decision, tracking)
        return decision.verdicts

    def decide(
        self, events: Sequence[GameEvent], received_at: Sequence[float | None] = ()
    ) -> Decision:
        """Judge ``events`` in order against the recorded games; store nothing yet.

        ``received_at`` (one per event, optional) is when ingestion took each in; it is
        kept with the recorded event for latency measurements, not as game content.
        """
        decision = Decision({}, [])
        times = list(received_at) or [None] * len(events)
        decision.verdicts = [
            self._record_one(event, decision, at) for event, at in zip(events, times, strict=True)
        ]
        return decision

    def commit(
        self, decision: Decision, tracking: Tracking | Sequence[Tracking] | None = None
    ) -> None:
        """Store a decision's new events and the upstream position(s), atomically.

        Several positions (of distinct upstreams: a partitioned log's partitions) are
        stored in the events' transaction by a recorder that ``records_many_positions``
        (adapters/partitioned_recorders.py). Another stores the first with the events
        and each other one right after, in its own transaction: a crash between them
        leaves a position behind records already stored, which are then read again and
        found duplicates (by ``event_id``): nothing lost, nothing doubled."""
        if tracking is None:
            trackings: list[Tracking] = []
        elif isinstance(tracking, Tracking):
            trackings = [tracking]
        else:
            trackings = [*tracking]
        if not (decision.games or trackings):
            return
        processing = ProcessingEvent[UUID](tracking=trackings[0] if trackings else None)
        later: list[Tracking] = []
        if len(trackings) > 1:
            if self.records_many_positions:
                processing.tracking = None
                processing.saved_kwargs["trackings"] = trackings
            else:
                later = trackings[1:]
        # What ProcessingEvent.collect_events does for aggregates, without its two
        # isinstance checks against runtime-checkable Protocols per aggregate.
        for aggregate in (*decision.games.values(), *decision.aliases.values()):
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        try:
            self._record(processing)
            for position in later:
                recorder = self.recorder
                assert isinstance(recorder, ProcessRecorder)
                recorder.insert_tracking(position)
        except Exception:
            # Another writer got there first (or the store failed): what this
            # process cached of these games may be behind the store now.
            self.forget()
            raise
        if self.sole_writer:
            self._without_aliases.difference_update(decision.aliases)

    @property
    def records_many_positions(self) -> bool:
        """Whether the store keeps several upstream positions in one transaction."""
        return bool(getattr(self.recorder, "records_many_positions", False))

    def _record_one(
        self, event: GameEvent, decision: Decision, received_at: float | None = None
    ) -> Verdict:
        games = decision.games
        game = games.get(event.game_id)
        if game is None:
            if event.game_id not in decision.found:
                decision.found[event.game_id] = self._find(event.game_id)
            game = decision.found[event.game_id]
        try:
            if game is None:
                game = Game.schedule(event, received_at)
                games[event.game_id] = game
                return Verdict(event.event_id, event.game_id, "recorded", version=game.version)
            aliases = (
                self._aliases(event.game_id, decision)
                if game.may_have_aliases(event) or event.game_id in decision.aliases
                else None
            )
            if aliases is not None:
                if aliases.is_known(event):
                    return Verdict(event.event_id, event.game_id, "duplicate")
                event = aliases.resolve(event)
            if game.is_duplicate(event):
                return Verdict(event.event_id, event.game_id, "duplicate")
            canonical = game.reported_by_another_provider(event)
            if canonical is not None:
                if aliases is None:
                    aliases = decision.aliases[event.game_id] = ProviderAliases.open(event.game_id)
                aliases.match(event, canonical)
                decision.aliases[event.game_id] = aliases
                return Verdict(
                    event.event_id,
                    event.game_id,
                    "duplicate",
                    f"matched event {canonical!r} reported by another provider",
                )
            game.record(event, received_at)
        except EventConflictError as error:
            return Verdict(event.event_id, event.game_id, "conflict", str(error))
        except GameRuleError as error:
            return Verdict(
                event.event_id, event.game_id, "rejected", str(error), extra={"field": error.field}
            )
        games[event.game_id] = game
        return Verdict(event.event_id, event.game_id, "recorded", version=game.version)

    def _aliases(self, game_id: str, decision: Decision) -> ProviderAliases | None:
        if game_id in decision.aliases:
            return decision.aliases[game_id]
        if game_id in decision.without_aliases or game_id in self._without_aliases:
            return None
        try:
            found: object = self.repository.get(
                aliases_aggregate_id(game_id), projector_func=_project
            )
        except AggregateNotFoundError:
            decision.without_aliases.add(game_id)
            if self.sole_writer:  # only this process could create it: remember the miss
                self._without_aliases.add(game_id)
            return None
        assert isinstance(found, ProviderAliases)
        decision.aliases[game_id] = found
        return found

    # ----------------------------------------------------------------- queries
    def classify(self, events: Iterable[GameEvent]) -> list[Verdict]:
        """Judge events without storing them, using only order-independent checks
        (:func:`domain.delivery_checks.classify`): what ingestion answers at once."""
        lookups = Decision({}, [])
        return delivery_checks.classify(
            list(events),
            lambda game_id: self._find(game_id, to_change=False),
            lambda game_id: self._aliases(game_id, lookups),
        )

    def has_cached(self, events: Iterable[GameEvent]) -> bool:
        """Whether :meth:`classify` can judge ``events`` from memory alone: this process
        is the sole writer and holds every game they name (and, where an event may
        need them, the game's ProviderAliases or the knowledge it has none)."""
        cache = self.repository.cache
        if cache is None or not self.sole_writer:
            return False
        try:
            for event in events:
                game: object = cache.get(_game_id(event.game_id))
                if (
                    isinstance(game, Game)
                    and game.may_have_aliases(event)
                    and event.game_id not in self._without_aliases
                ):
                    cache.get(aliases_aggregate_id(event.game_id))
        except KeyError:
            return False
        return True

    def scoreboard(self, game_id: str) -> Scoreboard | None:
        game = self._find(game_id, to_change=False)
        return game.board.copy() if game else None

    def game_version(self, game_id: str) -> int:
        """How many events are recorded for the game (0 if unknown)."""
        game = self._find(game_id, to_change=False)
        return game.version if game else 0

    def next_sequence(self, game_id: str) -> int:
        """The lowest sequence number not yet recorded for the game (1 if unknown)."""
        game = self._find(game_id, to_change=False)
        return game.contiguous_sequence + 1 if game else 1

    def recorded_events(
        self, game_id: str, after_version: int = 0, limit: int | None = None
    ) -> list[RecordedEvent]:
        """The game's recorded events with versions above ``after_version``, in order."""
        found = self.events.get(_game_id(game_id), gt=after_version, limit=limit)
        return [recorded_event(e) for e in found]

    def tracking_position(self, upstream: str) -> int | None:
        """The last upstream log position recorded with events (None if none yet)."""
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder.max_tracking_id(upstream)

    def _find(self, game_id: str, *, to_change: bool = True) -> Game | None:
        """The game (None if unknown). ``to_change=False``: the caller only reads it,
        so a sole writer hands out its cached object itself, not a copy (what it
        caches is never changed in place: :meth:`commit` caches the decided copies)."""
        copy = to_change or not self.sole_writer
        try:
            found: object = self.repository.get(
                _game_id(game_id), projector_func=_project, deepcopy_from_cache=copy
            )
        except AggregateNotFoundError:
            return None
        assert isinstance(found, Game)
        return found


def _project(
    aggregate: MutableOrImmutableAggregate[UUID] | None, domain_events: Iterable[Any]
) -> MutableOrImmutableAggregate[UUID] | None:
    """The library's ``project_aggregate`` without its per-event ``isinstance`` check
    against a runtime-checkable Protocol (which costs more than most folds): every
    stored event of a Game or ProviderAliases is one of their own event classes."""
    for domain_event in domain_events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


__all__ = ["Scorekeeper", "UnknownGameError"]
