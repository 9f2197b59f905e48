"""The notifier projection: decides push notifications from recorded Game events.

It folds each game's events into the game's own Scoreboard (as the standings do) and
feeds every event to the game's hold (domain/held_notifications.py), which decides
what is notable, holds goals and cards for review, cancels or re-renders held ones,
and corrects released ones. What is decided goes to the store's outbox, which
:class:`~projections.notification_release.NotificationRelease` drains into the
fan-out queue. It never touches the score path: it reads the event store's log with
its own tracking position, like any projector.

Guarantees:
- The boards, the holds, the outbox changes (notifications scheduled, held ones
  cancelled) and the tracking position are saved in one transaction
  (:meth:`NotifierStore.save`): a replayed batch is refused (IntegrityError) instead of
  being decided twice, so replaying the log never decides a notification again.
- A cancel never races a release: if the release took a notification for sending
  while the batch cancelling it was decided, the save is refused
  (:class:`ReleasedMeanwhile`, nothing written) and the batch is decided again with a
  clock at least as late as the release's, where that notification counts as released
  (so a correction follows it instead).
- Deterministic given the clock: ids come from (game, event, kind).
- Events of other aggregates are skipped, but their notifications advance the position.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

from domain.game import Game
from domain.held_notifications import GameHold, HoldPolicy, Scheduled, decide
from domain.push import PushNotification
from domain.recorded_event import RecordedEvent
from domain.scoreboard import Scoreboard
from projections.board_fold import game_events

Clock = Callable[[], float]

DECIDE_ATTEMPTS = 5  # a batch decided again after a release raced it (one retry suffices)


@dataclass(frozen=True)
class NotifierGame:
    """One game as the notifier keeps it: its board and its hold."""

    board: Scoreboard
    hold: GameHold = field(default_factory=GameHold)


class ReleasedMeanwhile(Exception):
    """A save was refused: a notification it cancels was taken for release (or sent)
    while the batch was decided. Nothing was written. ``watermark`` is the latest clock
    a release read the outbox with: decide again with ``now >= watermark``."""

    def __init__(self, watermark: float, notification_ids: Collection[str]) -> None:
        super().__init__(
            f"notifications {sorted(notification_ids)} were taken for release"
            f" (release clock {watermark})"
        )
        self.watermark = watermark
        self.notification_ids = frozenset(notification_ids)


class NotifierStore(Protocol):
    """Storage of the notifier: games (board and hold), the outbox and the tracking
    position (adapters/notifier_store.py, adapters/postgres_notifier_store.py).

    Guarantees:
    - :meth:`save` writes the games, removes the ``cancelled`` notifications from the
      outbox, adds the ``scheduled`` ones (replacing one of the same id) and records
      the tracking position, all in one transaction. A position not above the stored
      one raises IntegrityError; a cancelled id no longer in the outbox, or due by the
      latest clock :meth:`due` was called with, raises :class:`ReleasedMeanwhile`;
      either way nothing is written.
    - :meth:`due` answers the outbox's notifications due by ``now`` (at most
      ``limit``), in due order (then in the order they were scheduled), and records
      ``now`` as the release clock first, in the same transaction: once it has
      answered a notification, no save can cancel it. It removes nothing: a
      notification is answered again until :meth:`mark_released` (at-least-once).
    - :meth:`mark_released` removes notifications from the outbox (idempotent); the
      game's hold remembers what was released.
    - :meth:`games` returns fresh boards (the caller's to change) and their holds
      (immutable: possibly the very hold a store saved or read before) for the ids
      that have a stored game (unknown ids absent), in one read; :meth:`outbox`
      lists the outbox in due order (ops, tests). Writes are durable when they return.
    """

    def save(
        self,
        games: Mapping[str, NotifierGame],
        scheduled: Sequence[Scheduled],
        cancelled: Collection[str],
        tracking: Tracking,
    ) -> None: ...

    def games(self, game_ids: Collection[str]) -> dict[str, NotifierGame]: ...

    def due(self, now: float, limit: int) -> list[PushNotification]: ...

    def mark_released(self, notification_ids: Collection[str]) -> None: ...

    def outbox(self) -> list[Scheduled]: ...

    def max_tracking_id(self, application_name: str) -> int | None: ...


class NotifierProjection:
    """The Projection (projections/follower.py) that decides notifications.

    ``hold_seconds``: how long goals and cards wait for a review; ``max_age``: events
    recorded longer ago than this (by ``clock``) are stale and notify nobody; ``ttl``:
    how long a notification stays worth delivering after its event.
    """

    name = "notifier"

    def __init__(
        self,
        store: NotifierStore,
        upstream: str,
        *,
        hold_seconds: float,
        max_age: float,
        clock: Clock = time.time,
        ttl: float = 3600.0,
    ) -> None:
        self.store = store
        self.upstream = upstream
        self.policy = HoldPolicy(hold_seconds=hold_seconds, max_age=max_age, ttl=ttl)
        self.clock = clock

    def position(self) -> int:
        return self.store.max_tracking_id(self.upstream) or 0

    def process(self, batch: Sequence[tuple[Any, int]]) -> list[Scheduled]:
        """Fold (domain event, notification id) pairs; save games, holds, outbox
        changes and the last id at once. Returns what it scheduled."""
        if not batch:
            return []
        games = [item for item in batch if isinstance(item[0], (Game.Scheduled, Game.Recorded))]
        # The RecordedEvents the other followers of the log made of these very events
        # (projections/board_fold.py), not built a third time.
        recorded = [
            (r, domain_event.timestamp.timestamp())
            for (r, _), (domain_event, _) in zip(game_events(games), games, strict=True)
        ]
        tracking = Tracking(self.upstream, batch[-1][1])
        now = self.clock()
        for attempt in range(DECIDE_ATTEMPTS):
            try:
                return self._decide(recorded, now, tracking)
            except ReleasedMeanwhile as raced:
                if attempt == DECIDE_ATTEMPTS - 1:
                    raise
                now = max(self.clock(), raced.watermark)
        raise AssertionError("unreachable")

    def _decide(
        self, recorded: Sequence[tuple[RecordedEvent, float]], now: float, tracking: Tracking
    ) -> list[Scheduled]:
        stored = self.store.games({r.event.game_id for r, _ in recorded})
        stored_pending = {
            held.notification.id for game in stored.values() for held in game.hold.pending.values()
        }
        games: dict[str, NotifierGame] = {}
        scheduled: dict[str, Scheduled] = {}
        cancelled: list[str] = []
        for r, recorded_at in recorded:
            event = r.event
            game = games.get(event.game_id) or stored.get(event.game_id)
            board = game.board if game else Scoreboard.scheduled(event)
            board.apply(event, r.version)
            decision = decide(
                game.hold if game else GameHold(), board, event, recorded_at, now, self.policy
            )
            for notification_id in decision.cancelled:
                scheduled.pop(notification_id, None)
                if notification_id in stored_pending and notification_id not in cancelled:
                    cancelled.append(notification_id)
            for s in decision.scheduled:
                scheduled.pop(s.notification.id, None)
                scheduled[s.notification.id] = s
            games[event.game_id] = NotifierGame(board, decision.hold)
        found = list(scheduled.values())
        self.store.save(games, found, cancelled, tracking)
        return found
