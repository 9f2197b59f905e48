"""The hold window: goals and cards wait before they are sent, so a review can undo them.

Pure: the notifier keeps one :class:`~domain.game_hold.GameHold` per game (its state,
serialisable: domain/game_hold.py) and feeds it every recorded event with :func:`decide`,
which answers the new hold and its effects: notifications to schedule (send at
``due_at``) and pending ones to cancel.

Rules:
- A goal or a card is held ``hold_seconds`` from when the notifier read it, and never
  from before it was recorded: ``due_at = max(recorded_at, now) + hold_seconds``. (With
  no lag that is the recorded time plus the hold; a lagging notifier still gives every
  revision recorded inside the window its chance to be read before the goal goes.)
  A final, and a correction, is due at once.
- A notification counts as released once its due time has passed (``due_at <= now``):
  from then on it may already be on its way, so it is never cancelled; a revision
  after that gets a correction instead. Before it, a revision acts on the held one.
- A retraction of a held notification's event, or a correction that makes it no
  longer notable, cancels it: nothing is sent. A correction that keeps it notable
  re-renders it (same due time). Every held notification of the game is rendered
  again after every event that could change it (a revision, a schedule, a play at or
  before its own sequence number) and replaced if it says something else, so it always
  shows the board's current view of its moment (a goal held after a goal that was then
  disallowed shows the corrected score).
- An event that changes nothing held or released gives back the hold it was given
  (the same object), so a store can tell an unchanged hold by identity.
- A revision of a released notification's event that changes what devices were told
  (disallowed, moved to the other team, a card withdrawn or changed, or reinstated)
  yields one correction (``{id}/correction/{n}``), due at once, with the score
  devices should know (plays still held left out); one that changes
  nothing devices saw (a player id) yields none. A correction turning an event nobody
  was told about into a notable one (a goal awarded on review) is held like a new goal.
- Stale: an event recorded more than ``max_age`` before ``now`` never schedules
  anything new (a notifier started on the log of past seasons sends nothing); it still
  cancels and re-renders held notifications, which only ever reduces what is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from domain.events import GameEvent
from domain.game_hold import GameHold, Held, Released, shown_by
from domain.notification_rules import (
    correction_for,
    notification_for,
    notification_kind,
    score_after,
)
from domain.push import NotificationKind, PushNotification
from domain.scoreboard import Scoreboard
from domain.sports import EventType

HELD_KINDS = frozenset({NotificationKind.GOAL, NotificationKind.CARD})


@dataclass(frozen=True)
class HoldPolicy:
    hold_seconds: float  # how long a goal or card waits for a review
    max_age: float  # events recorded longer ago than this are stale: nothing new is sent
    ttl: float  # how long after its event a notification is still worth delivering


@dataclass(frozen=True)
class Scheduled:
    """A notification to send once ``due_at`` (unix seconds) has passed."""

    notification: PushNotification
    due_at: float


@dataclass(frozen=True)
class HoldDecision:
    """The hold after an event, what to schedule and which pending ids to cancel (a
    re-rendered notification is both: cancelled and scheduled again, same id)."""

    hold: GameHold
    scheduled: tuple[Scheduled, ...] = ()
    cancelled: tuple[str, ...] = ()


def decide(
    hold: GameHold,
    board_after: Scoreboard,
    event: GameEvent,
    recorded_at: float,
    now: float,
    policy: HoldPolicy,
) -> HoldDecision:
    """Fold one recorded event (``board_after`` has it applied) into a game's hold.

    ``recorded_at`` is when the event store took the event, ``now`` the notifier's
    clock. Deterministic: the same arguments give the same decision.
    """
    settled = hold.settled(now)
    run = _Run(settled, board_after, now, policy)
    fresh = recorded_at >= now - policy.max_age
    if event.is_revision:
        run.revise(event, recorded_at, fresh)
    elif fresh:
        run.notify(event, recorded_at)
    if _may_rerender(event, run.pending):
        run.rerender()
    if not run.changed:  # the very hold given (or settled): its stored copy still holds
        return HoldDecision(settled, tuple(run.scheduled), tuple(run.cancelled))
    return HoldDecision(
        GameHold(run.pending, run.released), tuple(run.scheduled), tuple(run.cancelled)
    )


def _may_rerender(event: GameEvent, pending: Mapping[str, Held]) -> bool:
    """Whether ``event`` may change how a held notification renders. A held goal or
    card shows the schedule's names and the plays up to its own sequence number (the
    board's version aside, which :func:`_same_content` ignores): a play recorded after
    every held one (not a revision, not a schedule; event ids are unique in a game)
    changes none of that, and the one it held itself was just rendered."""
    if event.is_revision or event.event_type == EventType.GAME_SCHEDULED:
        return bool(pending)
    seq = event.sequence_number
    return any(
        held.event.sequence_number >= seq and held.event.event_id != event.event_id
        for held in pending.values()
    )


class _Run:
    """One decision's working copy of a hold and its effects."""

    def __init__(self, hold: GameHold, board: Scoreboard, now: float, policy: HoldPolicy) -> None:
        self.pending = dict(hold.pending)
        self.released = dict(hold.released)
        self.board = board
        self.now = now
        self.policy = policy
        self.scheduled: list[Scheduled] = []
        self.cancelled: list[str] = []
        self.changed = False  # whether pending or released differ from the hold given

    def render(self, event: GameEvent, recorded_at: float) -> PushNotification | None:
        return notification_for(self.board, event, recorded_at, ttl=self.policy.ttl)

    def schedule(self, notification: PushNotification, due_at: float) -> None:
        self.scheduled = [s for s in self.scheduled if s.notification.id != notification.id]
        self.scheduled.append(Scheduled(notification, due_at))

    def cancel(self, notification_id: str) -> None:
        self.scheduled = [s for s in self.scheduled if s.notification.id != notification_id]
        if notification_id not in self.cancelled:
            self.cancelled.append(notification_id)

    def hold(self, event: GameEvent, notification: PushNotification, recorded_at: float) -> None:
        due_at = max(recorded_at, self.now) + self.policy.hold_seconds
        self.pending[event.event_id] = Held(notification, event, recorded_at, due_at)
        self.changed = True
        self.schedule(notification, due_at)

    def notify(self, event: GameEvent, recorded_at: float) -> None:
        notification = self.render(event, recorded_at)
        if notification is None:
            return
        if notification.kind in HELD_KINDS:
            held = self.pending.get(event.event_id)
            if held is not None:
                self.cancel(held.notification.id)
            self.hold(event, notification, recorded_at)
        else:
            self.schedule(notification, self.now)

    def revise(self, revision: GameEvent, recorded_at: float, fresh: bool) -> None:
        target = revision.references_event_id
        assert target is not None
        held = self.pending.get(target)
        released = self.released.get(target)
        if held is not None:
            self.cancel(held.notification.id)
            del self.pending[target]
            self.changed = True
            event = _revised(held.event, revision)
            notification = self.render(event, held.recorded_at) if event else None
            if event is not None and notification is not None:
                self.pending[target] = Held(notification, event, held.recorded_at, held.due_at)
                self.schedule(notification, held.due_at)
        elif released is not None:
            self._revise_released(target, released, revision, recorded_at, fresh)
        elif fresh and revision.event_type == EventType.EVENT_CORRECTED:
            event = self._event_of_play(target, revision)
            notification = self.render(event, recorded_at) if event else None
            if event is not None and notification is not None and notification.kind in HELD_KINDS:
                self.hold(event, notification, recorded_at)

    def _revise_released(
        self,
        target: str,
        released: Released,
        revision: GameEvent,
        recorded_at: float,
        fresh: bool,
    ) -> None:
        event = _revised(released.event, revision)
        notification = self.render(event, released.recorded_at) if event else None
        shown = shown_by(notification, event) if notification and event else None
        self.changed = True
        if shown == released.shown or not fresh:
            self.released[target] = replace(released, event=event or released.event)
            return
        number = released.corrections + 1
        # The score devices should know: without the plays still held.
        told = score_after(self.board, self.board.last_seq, excluding=self.pending)
        correction = correction_for(
            self.board, released.notification, recorded_at, number=number, score=told
        )
        self.schedule(correction, self.now)
        self.released[target] = replace(
            released, event=event or released.event, shown=shown, corrections=number
        )

    def _event_of_play(self, target: str, revision: GameEvent) -> GameEvent | None:
        """The event ``target`` is now, from the board, if ``revision`` made a play that
        was not notable into one (None otherwise: a notable play nobody was told about
        was stale or before the notifier's time, and stays untold)."""
        play = self.board.plays.get(target)
        if play is None or play.retracted_at is not None:
            return None
        before = play._replace(
            corrections=tuple(c for c in play.corrections if c[0] != revision.sequence_number)
        )
        if notification_kind(self.board, before.effective()[0]) is not None:
            return None
        event_type, team_id, player_id = play.effective()
        c = revision.correction
        return GameEvent(
            event_id=target,
            game_id=self.board.game_id,
            sport=self.board.sport,
            sequence_number=play.sequence_number,
            event_type=event_type,
            team_id=team_id,
            player_id=player_id,
            clock_seconds=c.clock_seconds if c else None,
            period=c.period if c else None,
        )

    def rerender(self) -> None:
        """Render every held notification again from the board; replace those that
        changed (same id when the kind stays)."""
        for event_id, held in list(self.pending.items()):
            notification = self.render(held.event, held.recorded_at)
            if notification is not None and _same_content(notification, held.notification):
                continue
            self.cancel(held.notification.id)
            self.changed = True
            if notification is None:
                del self.pending[event_id]
                continue
            self.pending[event_id] = replace(held, notification=notification)
            self.schedule(notification, held.due_at)


def _same_content(a: PushNotification, b: PushNotification) -> bool:
    """Whether two renderings say the same (the board's version aside: a held
    notification is not rewritten for every clock tick of its game)."""
    return replace(a, data={**a.data, "version": ""}) == replace(b, data={**b.data, "version": ""})


def _revised(event: GameEvent, revision: GameEvent) -> GameEvent | None:
    """``event`` after ``revision`` (None: retracted)."""
    if revision.event_type == EventType.EVENT_RETRACTED:
        return None
    c = revision.correction
    if c is None:
        return event
    return replace(
        event,
        event_type=c.event_type or event.event_type,
        team_id=c.team_id or event.team_id,
        player_id=c.player_id or event.player_id,
        clock_seconds=c.clock_seconds if c.clock_seconds is not None else event.clock_seconds,
        period=c.period if c.period is not None else event.period,
        description=c.description if c.description is not None else event.description,
    )


__all__ = [
    "HELD_KINDS",
    "GameHold",
    "Held",
    "HoldDecision",
    "HoldPolicy",
    "Released",
    "Scheduled",
    "decide",
]
