"""The hold window, for any interleaving of plays, revisions and the passing of time:
nothing is sent for a play undone inside its hold, every change devices were told of
is corrected exactly once, and stale events notify nobody."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import GameRuleError
from domain.events import Correction, GameEvent, Schedule
from domain.held_notifications import GameHold, HoldDecision, HoldPolicy, Scheduled, decide
from domain.notification_rules import notification_for
from domain.push import MAX_COLLAPSE_ID_BYTES, NotificationKind, PushNotification, collapse_id
from domain.scoreboard import Scoreboard
from domain.sports import EventType, Sport
from tests.game_events import AWAY, HOME

POLICY = HoldPolicy(hold_seconds=30.0, max_age=900.0, ttl=3600.0)
START = 1_000_000.0


@dataclass
class Match:
    """One game driven through the hold, with a model of the release: whatever is
    due by the clock is sent (and removed from the outbox), after every step."""

    game_id: str = "g1"
    clock: float = START
    sequence: int = 0
    board: Scoreboard | None = None
    hold: GameHold = field(default_factory=GameHold)
    outbox: dict[str, Scheduled] = field(default_factory=dict)
    sent: list[tuple[float, PushNotification]] = field(default_factory=list)
    decisions: list[HoldDecision] = field(default_factory=list)

    def record(
        self, event_type: EventType, *, recorded_at: float | None = None, **fields: object
    ) -> GameEvent | None:
        """Record an event (None if the rules refuse it) and decide on it."""
        self.sequence += 1
        event = GameEvent(
            event_id=f"e{self.sequence}",
            game_id=self.game_id,
            sport=Sport.SOCCER,
            sequence_number=self.sequence,
            event_type=event_type,
            **fields,  # type: ignore[arg-type]
        )
        if self.board is None:
            self.board = Scoreboard.scheduled(event)
        else:
            try:
                self.board.check_event(event)
            except GameRuleError:
                self.sequence -= 1
                return None
        self.board.apply(event, self.sequence)
        at = self.clock if recorded_at is None else recorded_at
        decision = decide(self.hold, self.board, event, at, self.clock, POLICY)
        for notification_id in decision.cancelled:
            assert notification_id in self.outbox, f"{notification_id} cancelled after it was sent"
            del self.outbox[notification_id]
        for s in decision.scheduled:
            assert s.due_at >= self.clock
            self.outbox[s.notification.id] = s
        self.hold = decision.hold
        assert GameHold.from_record(self.hold.to_record()) == self.hold
        self.check_rendered()
        self.decisions.append(decision)
        self.release()
        return event

    def advance(self, seconds: float) -> None:
        self.clock += seconds
        self.release()

    def release(self) -> None:
        for s in sorted(self.outbox.values(), key=lambda s: s.due_at):
            if s.due_at <= self.clock:
                self.check_stands(s.notification)
                self.sent.append((self.clock, s.notification))
                del self.outbox[s.notification.id]

    def check_rendered(self) -> None:
        """Every held notification says what rendering it from the board now says
        (the board's version aside), however many events since it was rendered."""
        assert self.board is not None
        for held in self.hold.pending.values():
            now = notification_for(self.board, held.event, held.recorded_at, ttl=POLICY.ttl)
            assert now is not None
            assert replace(now, data={**now.data, "version": ""}) == replace(
                held.notification, data={**held.notification.data, "version": ""}
            )

    def check_stands(self, n: PushNotification) -> None:
        """A goal or card is sent only while its play stands, saying what the board
        says of it then."""
        if n.kind not in (NotificationKind.GOAL, NotificationKind.CARD):
            return
        assert self.board is not None
        play = self.board.plays[n.data["event_id"]]
        assert play.retracted_at is None, f"{n.id} sent after its play was retracted"
        event_type, team_id, _ = play.effective()
        event = GameEvent(
            n.data["event_id"],
            self.game_id,
            Sport.SOCCER,
            play.sequence_number,
            event_type,
            team_id=team_id,
        )
        now = notification_for(self.board, event, n.created_at, ttl=POLICY.ttl)
        assert now is not None, f"{n.id} sent for a play that is no longer notable"
        assert (now.id, now.title, now.body) == (n.id, n.title, n.body)

    def sent_ids(self) -> list[str]:
        return [n.id for _, n in self.sent]


def started(game_id: str = "g1") -> Match:
    match = Match(game_id)
    match.record(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, "Arsenal", "Chelsea"))
    match.record(EventType.GAME_STARTED)
    return match


# ------------------------------------------------------------------ examples
def test_a_goal_is_held_then_released() -> None:
    match = started()
    goal = match.record(EventType.GOAL, team_id=HOME)
    assert goal is not None
    assert match.sent == [] and list(match.outbox) == ["g1/e3/goal"]
    assert match.outbox["g1/e3/goal"].due_at == START + 30
    match.advance(29.9)
    assert match.sent == []
    match.advance(0.1)
    assert [(at, n.title) for at, n in match.sent] == [(START + 30, "GOAL! Arsenal 1-0 Chelsea")]


def test_a_goal_retracted_inside_the_hold_sends_nothing() -> None:
    match = started()
    goal = match.record(EventType.GOAL, team_id=HOME)
    assert goal is not None
    match.advance(20)
    match.record(EventType.EVENT_RETRACTED, references_event_id=goal.event_id)
    assert match.decisions[-1].cancelled == ("g1/e3/goal",)
    match.advance(3600)
    assert match.sent == [] and match.outbox == {}


def test_a_goal_retracted_after_its_release_is_corrected_at_once() -> None:
    match = started()
    goal = match.record(EventType.GOAL, team_id=HOME)
    assert goal is not None
    match.advance(45)
    match.record(EventType.EVENT_RETRACTED, references_event_id=goal.event_id)
    assert [(at, n.id, n.title) for at, n in match.sent] == [
        (START + 45, "g1/e3/goal", "GOAL! Arsenal 1-0 Chelsea"),
        (START + 45, "g1/e3/goal/correction/1", "Goal disallowed: Arsenal 0-0 Chelsea"),
    ]


def test_a_held_goal_given_to_the_other_team_is_rerendered() -> None:
    match = started()
    goal = match.record(EventType.GOAL, team_id=HOME)
    assert goal is not None
    match.advance(10)
    match.record(
        EventType.EVENT_CORRECTED,
        references_event_id=goal.event_id,
        correction=Correction(team_id=AWAY),
    )
    match.advance(20)
    assert [n.title for _, n in match.sent] == ["GOAL! Arsenal 0-1 Chelsea"]
    assert match.sent[0][0] == START + 30  # the hold is not restarted


def test_a_released_goal_given_to_the_other_team_is_corrected_with_the_new_score() -> None:
    match = started()
    goal = match.record(EventType.GOAL, team_id=HOME)
    assert goal is not None
    match.advance(31)
    match.record(
        EventType.EVENT_CORRECTED,
        references_event_id=goal.event_id,
        correction=Correction(team_id=AWAY),
    )
    assert [n.title for _, n in match.sent] == [
        "GOAL! Arsenal 1-0 Chelsea",
        "Score corrected: Arsenal 0-1 Chelsea",
    ]
    match.record(
        EventType.EVENT_CORRECTED,
        references_event_id=goal.event_id,
        correction=Correction(player_id="p9"),  # devices were not told the player
    )
    assert len(match.sent) == 2


def test_a_held_goal_shows_the_score_after_an_earlier_goal_is_disallowed() -> None:
    match = started()
    first = match.record(EventType.GOAL, team_id=HOME)
    match.advance(40)
    match.record(EventType.GOAL, team_id=HOME)
    assert first is not None
    match.record(EventType.EVENT_RETRACTED, references_event_id=first.event_id)
    match.advance(30)
    assert [n.title for _, n in match.sent] == [
        "GOAL! Arsenal 1-0 Chelsea",
        "Goal disallowed: Arsenal 0-0 Chelsea",  # the held goal is not told yet
        "GOAL! Arsenal 1-0 Chelsea",
    ]


def test_a_held_goal_shows_the_score_after_a_late_earlier_goal() -> None:
    """A play recorded late (a lower sequence number than a held goal's) counts in
    the held goal's score: it is rendered again."""
    match = started()
    match.sequence += 1  # (sequence number 3 arrives after 4)
    goal = match.record(EventType.GOAL, team_id=HOME)
    assert goal is not None
    assert match.decisions[-1].scheduled[0].notification.title == "GOAL! Arsenal 1-0 Chelsea"
    late = GameEvent("late", "g1", Sport.SOCCER, 3, EventType.GOAL, team_id=AWAY)
    assert match.board is not None
    match.board.apply(late, 5)
    decision = decide(match.hold, match.board, late, match.clock, match.clock, POLICY)
    titles = {s.notification.id: s.notification.title for s in decision.scheduled}
    assert titles[f"g1/{goal.event_id}/goal"] == "GOAL! Arsenal 1-1 Chelsea"
    assert titles["g1/late/goal"] == "GOAL! Arsenal 0-1 Chelsea"
    assert decision.cancelled == (f"g1/{goal.event_id}/goal",)


def test_an_event_that_changes_nothing_held_gives_back_the_same_hold() -> None:
    match = started()
    match.record(EventType.GOAL, team_id=HOME)
    held = match.hold
    match.record(EventType.SHOT, team_id=AWAY)
    assert match.hold is held and match.decisions[-1].scheduled == ()
    match.advance(POLICY.hold_seconds)
    match.record(EventType.SHOT, team_id=AWAY)
    assert match.hold is not held and match.hold.pending == {}  # settled: a new hold


def test_a_final_goes_at_once_and_a_card_is_held() -> None:
    match = started()
    match.record(EventType.YELLOW_CARD, team_id=AWAY)
    match.record(EventType.GAME_FINAL)
    assert [n.kind for _, n in match.sent] == [NotificationKind.FINAL]
    match.advance(30)
    assert [n.kind for _, n in match.sent] == [NotificationKind.FINAL, NotificationKind.CARD]


def test_a_play_turned_into_a_goal_on_review_is_held_like_a_goal() -> None:
    match = started()
    shot = match.record(EventType.SHOT, team_id=HOME)
    assert shot is not None and match.outbox == {}
    match.record(
        EventType.EVENT_CORRECTED,
        references_event_id=shot.event_id,
        correction=Correction(event_type=EventType.GOAL),
    )
    match.advance(30)
    assert [(n.id, n.title) for _, n in match.sent] == [("g1/e3/goal", "GOAL! Arsenal 1-0 Chelsea")]


def test_stale_events_notify_nobody_but_a_lagging_notifier_still_holds() -> None:
    match = started()
    match.record(EventType.GOAL, team_id=HOME, recorded_at=START - 901)
    match.record(EventType.RED_CARD, team_id=HOME, recorded_at=START - 900.5)
    assert match.outbox == {} and match.sent == []
    lagging = match.record(EventType.GOAL, team_id=HOME, recorded_at=START - 100)
    assert lagging is not None
    assert match.outbox[f"g1/{lagging.event_id}/goal"].due_at == START + 30
    match.record(EventType.GAME_FINAL, recorded_at=START - 1000)
    assert list(match.outbox) == [f"g1/{lagging.event_id}/goal"]


# ------------------------------------------------------------------ any interleaving
Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["goal", "card", "stale goal"]), st.sampled_from([0, 1])),
        st.tuples(st.sampled_from(["retract", "move", "void", "restore"]), st.integers(0, 20)),
        st.tuples(st.just("advance"), st.integers(0, 45)),
    ),
    max_size=40,
)


@dataclass
class Play:
    """The model of one play: what devices should think of it."""

    event: GameEvent
    own_id: str  # the id of its notification
    stale: bool
    team: str
    retracted: bool = False
    voided: bool = False  # corrected into a play that is not notable

    def shown(self) -> tuple[str, bool] | None:
        return None if self.retracted or self.voided else (self.team, True)


def play_step(match: Match, plays: list[Play], corrections: dict[str, int], step: Step) -> None:
    action, arg = step
    if action == "advance":
        match.advance(arg)
        return
    if action in ("goal", "card", "stale goal"):
        kind = EventType.YELLOW_CARD if action == "card" else EventType.GOAL
        stale = action == "stale goal"
        at = match.clock - POLICY.max_age - 1 if stale else match.clock
        event = match.record(kind, team_id=(HOME, AWAY)[arg], recorded_at=at)
        assert event is not None
        if stale:
            assert match.decisions[-1].scheduled == ()
        suffix = "card" if kind == EventType.YELLOW_CARD else "goal"
        own_id = f"{match.game_id}/{event.event_id}/{suffix}"
        plays.append(Play(event, own_id, stale, (HOME, AWAY)[arg]))
        return
    if not plays:
        return
    play = plays[arg % len(plays)]
    shown, told = play.shown(), play.own_id in match.sent_ids()
    team = AWAY if play.team == HOME else HOME
    correction = {
        "move": Correction(team_id=team),
        "void": Correction(event_type=EventType.SHOT),
        "restore": Correction(event_type=play.event.event_type),
    }.get(action)
    if correction is None:
        revised = match.record(EventType.EVENT_RETRACTED, references_event_id=play.event.event_id)
    else:
        revised = match.record(
            EventType.EVENT_CORRECTED,
            references_event_id=play.event.event_id,
            correction=correction,
        )
    if revised is None:
        return
    play.retracted = action == "retract"
    play.voided = action == "void" or (play.voided and action == "move")
    play.team = team if action == "move" else play.team
    play.stale = False  # a fresh revision: what it makes notable is news
    if told and play.shown() != shown:
        corrections[play.own_id] = corrections.get(play.own_id, 0) + 1


@settings(max_examples=300, deadline=None)
@given(steps, st.text(min_size=1, max_size=100).filter(lambda s: "\x00" not in s))
def test_the_hold_for_any_interleaving(script: list[Step], game_id: str) -> None:
    match = started(game_id)
    plays: list[Play] = []
    corrections: dict[str, int] = {}  # own id -> changes devices saw after it was told
    for step in script:
        play_step(match, plays, corrections, step)
    match.advance(POLICY.hold_seconds)

    assert match.outbox == {}
    sent = [n for _, n in match.sent]
    assert len(set(match.sent_ids())) == len(sent), "a notification was sent twice"
    assert {n.collapse_id for n in sent} <= {collapse_id(game_id)}
    assert all(len(n.collapse_id.encode()) <= MAX_COLLAPSE_ID_BYTES for n in sent)
    for play in plays:
        told = [n.id for n in sent if n.id == play.own_id]
        fixes = [n.id for n in sent if n.id.startswith(f"{play.own_id}/correction/")]
        if play.stale:  # stale and never revised since: never told
            assert told == [] and fixes == []
        # Each change devices saw after being told is corrected exactly once.
        assert len(fixes) == corrections.get(play.own_id, 0)
        assert sorted(fixes) == [f"{play.own_id}/correction/{n}" for n in range(1, len(fixes) + 1)]
        if not told:
            assert fixes == []
    # Undone inside its hold: never told (the release model checks every goal or
    # card it sends still stands, and Match.record that nothing sent is cancelled).
