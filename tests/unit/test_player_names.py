"""Player names: content of an event only when given (no fingerprint or board byte
changes without them), corrected like the player they belong to, and each player's
name the one on their latest event in log order, however the log is cut into batches."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory_player_stats import MemoryPlayerStatsStore
from adapters.native_format import NativeFormatError, parse
from domain.events import Correction, GameEvent, Schedule
from domain.recorded_event import recorded_event
from domain.scoreboard import Play, Scoreboard
from domain.scoreboard_record import scoreboard_from_record, scoreboard_json, scoreboard_to_record
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType, Sport
from projections.board_fold import fold_together
from projections.player_stats import PlayerStatsProjection
from tests.game_events import AWAY, HOME, GameScript
from tests.unit.test_board_fold import recorded_log, slate
from tests.unit.test_game_properties import games

E = EventType


# ------------------------------------------------------------------ events
def _pinned_events() -> list[GameEvent]:
    def ev(seq: int, kind: EventType, **fields: Any) -> GameEvent:
        return GameEvent(f"e{seq}", "g1", Sport.SOCCER, seq, kind, provider="acme", **fields)

    schedule = Schedule(HOME, AWAY, "Home", "Away", league="L", season="S")
    return [
        ev(1, E.GAME_SCHEDULED, schedule=schedule),
        ev(2, E.GAME_STARTED, period=1, clock_seconds=0),
        ev(3, E.GOAL, team_id=HOME, player_id="p1", clock_seconds=600, period=1,
           description="Goal", assists=("p2",)),
        ev(4, E.YELLOW_CARD, team_id=AWAY, player_id="q1"),
        ev(5, E.EVENT_CORRECTED, references_event_id="e3",
           correction=Correction(player_id="p3", description="fixed")),
        ev(6, E.EVENT_CORRECTED, references_event_id="e4", correction=Correction(assists=())),
    ]  # fmt: skip


def test_events_and_boards_without_names_keep_the_bytes_they_had_before_names() -> None:
    """Fingerprints and the board's JSON as the code before names made them (pinned)."""
    events = _pinned_events()
    assert [e.fingerprint() for e in events] == [
        "92577f0c934bacdd22e7a670118549df",
        "6c60867cd034e32f1a3a322058314018",
        "6db9bd6a365f309783e1a773489eca02",
        "2eb1337a56a9587b503f447134ee24ff",
        "7abe00f052f8bb725592423b8ab77d60",
        "981a01d8ed3215f9c5c7f1b4965c29dd",
    ]
    board = Scoreboard.scheduled(events[0])
    for version, event in enumerate(events, 1):
        board.apply(event, version)
    text = scoreboard_json(board)
    assert "player_name" not in text
    assert hashlib.sha256(text.encode()).hexdigest()[:16] == "944444f4ae95daee"


def _unnamed(event: GameEvent) -> GameEvent:
    correction = event.correction
    if correction is not None:
        correction = dataclasses.replace(correction, player_name=None)
    return dataclasses.replace(event, player_name=None, correction=correction)


@settings(max_examples=60, deadline=None)
@given(games())
def test_a_name_is_in_the_dict_and_fingerprint_only_when_given(game: GameScript) -> None:
    for event in game.events:
        bare = _unnamed(event)
        data = bare.to_dict()
        assert "player_name" not in data and "player_name" not in data.get("correction", {})
        assert GameEvent.from_dict(data) == bare
        named = event.to_dict()
        assert GameEvent.from_dict(named) == event
        assert GameEvent.from_dict(json.loads(json.dumps(named))) == event
        if event.player_name is not None:
            assert named["player_name"] == event.player_name
            assert list(named)[-1] == "player_name"  # (last: the keys before keep their order)
        has_name = event.player_name is not None or (
            event.correction is not None and event.correction.player_name is not None
        )
        assert (event.fingerprint() != bare.fingerprint()) == has_name


@settings(max_examples=60, deadline=None)
@given(games())
def test_the_fast_decoding_of_a_named_event_equals_the_plain_one(game: GameScript) -> None:
    for event in game.events:
        data = event.to_dict()
        fast = GameEvent.from_dict(dict(data))
        plain = GameEvent(**{f.name: getattr(event, f.name) for f in dataclasses.fields(event)})
        assert fast == plain
        assert {k: v for k, v in fast.__dict__.items() if not k.startswith("_")} == plain.__dict__
        assert fast.to_dict() == plain.to_dict() and fast.fingerprint() == plain.fingerprint()


def test_a_redelivery_with_another_name_is_a_conflict_and_the_same_a_duplicate() -> None:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    script = GameScript("g1", Sport.SOCCER)
    script.schedule()
    script.start()
    goal = script.score(E.GOAL, HOME, player_id="p1", player_name="Ciro Immobile")
    assert [v.outcome for v in keeper.record(script.events)] == ["recorded"] * 3
    again = keeper.record([dataclasses.replace(goal, provider="other")])
    assert [v.outcome for v in again] == ["duplicate"]
    renamed = keeper.record([dataclasses.replace(goal, player_name="C. Immobile")])
    assert [v.outcome for v in renamed] == ["conflict"]
    unnamed = keeper.record([dataclasses.replace(goal, player_name=None)])
    assert [v.outcome for v in unnamed] == ["conflict"]


# ------------------------------------------------------------------ native format
def _native(**fields: Any) -> bytes:
    event = {"event_id": "e1", "game_id": "g1", "sport": "soccer", "sequence_number": 3,
             "event_type": "GOAL", "team_id": HOME, "player_id": "p1", **fields}  # fmt: skip
    return json.dumps(event).encode()


def test_the_native_format_takes_a_name_and_a_correction_s_name() -> None:
    (event,) = parse(_native(player_name="Łukasz Piszczek"), provider="acme")
    assert event.player_name == "Łukasz Piszczek"
    (bare,) = parse(_native(), provider="acme")
    assert bare.player_name is None and "player_name" not in bare.to_dict()
    correction = {"player_id": "p2", "player_name": "Zé"}
    body = _native(event_type="EVENT_CORRECTED", references_event_id="e0", correction=correction)
    (corrected,) = parse(body, provider="acme")
    assert corrected.correction == Correction(player_id="p2", player_name="Zé")


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"player_name": ""}, "$.player_name"),
        ({"player_name": "   "}, "$.player_name"),
        ({"player_name": " Ciro"}, "$.player_name"),
        ({"player_name": "Ciro\n"}, "$.player_name"),
        ({"player_name": "x" * 201}, "$.player_name"),
        ({"player_name": 7}, "$.player_name"),
        ({"player_name": "Ciro", "player_id": None}, "$.player_name"),
        (
            {"event_type": "EVENT_CORRECTED", "references_event_id": "e0",
             "correction": {"player_name": " "}},
            "$.correction.player_name",
        ),
    ],
)  # fmt: skip
def test_a_bad_name_is_refused_naming_its_pointer(fields: dict[str, Any], pointer: str) -> None:
    with pytest.raises(NativeFormatError) as refused:
        parse(_native(**fields), provider="acme")
    assert [p.pointer for p in refused.value.problems] == [pointer]


# ------------------------------------------------------------------ the board
def test_a_named_play_s_record_and_its_round_trip() -> None:
    script = GameScript("g1", Sport.SOCCER)
    script.schedule()
    script.start()
    goal = script.score(E.GOAL, HOME, player_id="p1", player_name="Ciro")
    assisted = script.score(E.GOAL, HOME, player_id="p2", player_name="Lo", assists=("p1",))
    fixed = script.correct(goal, player_name="Ciro Immobile")
    board = Scoreboard.scheduled(script.events[0])
    for version, event in enumerate(script.events, 1):
        board.apply(event, version)
    record = json.loads(scoreboard_json(board))
    assert record["plays"][goal.event_id][6:] == [[], "Ciro"]
    assert record["plays"][assisted.event_id][6:] == [["p1"], "Lo"]
    assert record["plays"][fixed.event_id] == [5, "EVENT_CORRECTED", None, None, [], None]
    [[_, given]] = record["plays"][goal.event_id][4]
    assert given["player_name"] == "Ciro Immobile"
    again = scoreboard_from_record(record)
    assert again == board and scoreboard_to_record(again) == scoreboard_to_record(board)
    assert board.plays[goal.event_id].effective_name() == "Ciro Immobile"


CORRECTIONS = st.lists(
    st.tuples(
        st.sampled_from([None, "p1", "p2", "p3"]),
        st.sampled_from([None, "Ann", "Bo", "Ché"]),
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([None, "Ann", "Dee"]), CORRECTIONS, st.data())
def test_the_effective_name_is_the_latest_correction_s_in_any_order(
    name: str | None, corrections: list[tuple[str | None, str | None]], data: st.DataObject
) -> None:
    """Whatever order the corrections arrive in: the name of the latest correction (in
    sequence order) that names the player or changes them, else the event's."""
    script = GameScript("g1", Sport.SOCCER)
    script.schedule()
    script.start()
    goal = script.score(E.GOAL, HOME, player_id="p1", player_name=name)
    revisions = [script.correct(goal, player_id=p, player_name=n) for p, n in corrections]
    expected, player = name, "p1"
    for player_id, given_name in corrections:  # the reference: the corrections in order
        if given_name is not None:
            expected = given_name
        elif player_id is not None and player_id != player:
            expected = None
        player = player_id or player
    board = Scoreboard.scheduled(script.events[0])
    arrivals = [*script.events[1:3], *data.draw(st.permutations(revisions))]
    for version, event in enumerate([script.events[0], *arrivals], 1):
        board.apply(event, version)
    play = board.plays[goal.event_id]
    assert play.effective_name() == expected
    assert play.effective()[2] == player
    assert isinstance(play, Play)


# ------------------------------------------------------------------ player stats
def reference_names(keeper: Scorekeeper) -> dict[str, str]:
    """Each player's name by the log alone, in log order: a play's name as reported; a
    correction's for its play's player (by the play's corrections recorded so far, in
    sequence order) when it gives one. Written without the Scoreboard."""
    page = keeper.recorder.select_notifications(1, 100_000)
    plays: dict[tuple[str, str], GameEvent] = {}
    corrections: dict[tuple[str, str], list[tuple[int, Correction]]] = {}
    names: dict[str, str] = {}
    for notification in page:
        event = recorded_event(keeper.mapper.to_domain_event(notification)).event
        if event.event_type == E.EVENT_RETRACTED:
            continue
        if event.event_type != E.EVENT_CORRECTED:
            plays[(event.game_id, event.event_id)] = event
            if event.player_id is not None and event.player_name is not None:
                names[event.player_id] = event.player_name
            continue
        assert event.correction is not None and event.references_event_id is not None
        key = (event.game_id, event.references_event_id)
        corrections.setdefault(key, []).append((event.sequence_number, event.correction))
        if event.correction.player_name is None:
            continue
        player = plays[key].player_id
        for _, correction in sorted(corrections[key], key=lambda pair: pair[0]):
            player = correction.player_id or player
        name = _name_by_sequence(plays[key], corrections[key])
        if player is not None and name is not None:
            names[player] = name
    return names


def _name_by_sequence(play: GameEvent, found: list[tuple[int, Correction]]) -> str | None:
    """The rule of the effective name, by the corrections in sequence order."""
    name, player = play.player_name, play.player_id
    for _, correction in sorted(found, key=lambda pair: pair[0]):
        if correction.player_name is not None:
            name = correction.player_name
        elif correction.player_id not in (None, player):
            name = None
        player = correction.player_id or player
    return name


@settings(max_examples=80, deadline=None)
@given(slate(), st.integers(1, 9))
def test_player_names_are_the_log_order_reference_however_the_log_is_cut(
    events: list[GameEvent], batch: int
) -> None:
    keeper = recorded_log(events)
    page = keeper.recorder.select_notifications(1, 100_000)
    decoded = [(keeper.mapper.to_domain_event(n), n.id) for n in page]
    store = MemoryPlayerStatsStore()
    projection = PlayerStatsProjection(store, keeper.name)
    for start in range(0, len(decoded), batch):
        fold_together([projection], decoded[start : start + batch])
    assert store._names == reference_names(keeper)
    for player_id, name in store._names.items():
        answer = store.player(player_id)
        assert answer is None or answer["name"] == name


@pytest.mark.parametrize(
    "extra",
    [
        {"assists": None},
        {"assists": []},
        {"player_name": None},
        {"assists": None, "player_name": "Zé"},
        {"assists": ["p2"], "player_name": None},
        {"player_name": "Zé"},
        {"assists": ["p2"], "player_name": "Zé"},
    ],
)
def test_from_dict_of_any_keys_gives_what_the_plain_construction_gives(
    extra: dict[str, Any],
) -> None:
    base = GameEvent("e1", "g1", Sport.SOCCER, 3, E.GOAL, team_id=HOME, player_id="p1")
    data = {**base.to_dict(), **extra}
    plain = dataclasses.replace(
        base, assists=tuple(extra.get("assists") or ()), player_name=extra.get("player_name")
    )
    found = GameEvent.from_dict(data)
    assert found == plain
    assert found.to_dict() == plain.to_dict() and found.fingerprint() == plain.fingerprint()
