"""The rebuild's and followers' decoding equals the store's mapper, and the GameEvents and
RecordedEvents built from it equal those built the plain way (for any game)."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from eventsourcing.persistence import StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import GameEvent, Schedule
from domain.recorded_event import RecordedEvent, recorded_event
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections import board_fold
from projections.board_fold import game_events
from projections.stored_event_decoding import StoredEventDecoder
from tests.game_events import GameScript
from tests.unit.test_game_properties import games

GAME_EVENT_FIELDS = {f.name for f in fields(GameEvent)}


def recorded_log(game: GameScript) -> tuple[Scorekeeper, list[Any]]:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    keeper.record(game.events)
    return keeper, list(keeper.recorder.select_notifications(1, 10_000))


def same_as_mapper(decoded: Any, expected: Any) -> None:
    assert type(decoded) is type(expected)
    assert decoded.__dict__ == expected.__dict__
    assert decoded == expected


def plain_from_dict(data: dict[str, Any]) -> GameEvent:
    """GameEvent.from_dict as it was: every field through the dataclass __init__."""
    schedule, correction, assists = (data.get(k) for k in ("schedule", "correction", "assists"))
    reference = GameEvent.from_dict({**data, "schedule": None, "correction": None})
    return GameEvent(
        **{
            **{f: getattr(reference, f) for f in GAME_EVENT_FIELDS},
            "schedule": Schedule(**schedule) if schedule else None,
            "correction": GameEvent.from_dict(data).correction if correction else None,
            "assists": tuple(assists) if assists else (),
        }
    )


@settings(max_examples=40, deadline=None)
@given(games())
def test_decoding_equals_the_mapper_for_any_game(game: GameScript) -> None:
    keeper, notifications = recorded_log(game)
    decode = StoredEventDecoder(keeper.mapper).decode
    for n in notifications:
        same_as_mapper(decode(n), keeper.mapper.to_domain_event(n))


@settings(max_examples=40, deadline=None)
@given(games())
def test_game_events_and_their_dicts_equal_the_plain_ones(game: GameScript) -> None:
    keeper, notifications = recorded_log(game)
    for n in notifications:
        domain_event: Any = keeper.mapper.to_domain_event(n)
        data = domain_event.game_event
        built = GameEvent.from_dict(data)
        plain = plain_from_dict(data)
        assert built == plain and set(vars(built)) - {"_plain_dict"} == GAME_EVENT_FIELDS
        assert built.to_dict() == plain.to_dict() == data
        assert list(built.to_dict()) == list(plain.to_dict())  # (the same key order too)
        assert built.fingerprint() == plain.fingerprint()
        recorded = recorded_event(domain_event)
        expected = RecordedEvent(
            domain_event.originator_version,
            plain,
            domain_event.timestamp,
            domain_event.received_at,
        )
        assert recorded == expected and hash(recorded) == hash(expected)
        assert repr(recorded) == repr(expected)
        assert recorded.recorded_at == domain_event.timestamp.isoformat()


ODD_DICTS = st.fixed_dictionaries(
    {
        "provider": st.sampled_from([None, "", "p", 0]),
        "description": st.sampled_from([None, "", "d"]),
        "sequence_number": st.sampled_from([3, "3", True]),
        "assists": st.sampled_from([None, [], ["a", "b"], ("a",)]),
        "schedule": st.sampled_from([None, {}]),
        "reorder": st.booleans(),
    }
)


@given(ODD_DICTS)
def test_a_dict_from_elsewhere_builds_the_event_the_plain_way(odd: dict[str, Any]) -> None:
    data: dict[str, Any] = GameScript().score(EventType.GOAL, assists=("a",)).to_dict()
    for key in ("provider", "description", "sequence_number", "assists", "schedule"):
        if odd[key] is not None or key in ("provider", "description"):
            data[key] = odd[key]
    if odd["reorder"]:
        data = dict(reversed(list(data.items())))
    built, plain = GameEvent.from_dict(data), plain_from_dict(data)
    assert built == plain
    assert built.to_dict() == plain.to_dict() and list(built.to_dict()) == list(plain.to_dict())
    changed = built.to_dict()
    changed["event_id"] = "x"
    assert built.to_dict() == plain.to_dict()  # (each call a new dict)


def stored(keeper: Scorekeeper, state: dict[str, Any] | bytes) -> StoredEvent:
    n = keeper.recorder.select_notifications(1, 1)[0]
    text = state if isinstance(state, bytes) else json.dumps(state).encode()
    return StoredEvent(n.originator_id, n.originator_version, n.topic, text)


def test_whatever_json_would_read_otherwise_goes_to_the_mapper() -> None:
    game = GameScript()
    game.schedule()
    keeper, (first,) = recorded_log(game)
    state = json.loads(first.state)
    stamp = state["timestamp"]
    cases: list[dict[str, Any] | bytes] = [
        {**state, "class_version": 1},
        {**state, "game_event": {**state["game_event"], "period": stamp}},  # a second object
        {**state, "timestamp": {**stamp, "extra": 1}},
        first.state.replace(b'"received_at":null', b'"received_at":NaN'),
        {**state, "received_at": 1.5},
    ]
    decode = StoredEventDecoder(keeper.mapper).decode
    for case in cases:
        event = stored(keeper, case)
        same_as_mapper(decode(event), keeper.mapper.to_domain_event(event))
    as_text = StoredEvent(str(first.originator_id), 1, first.topic, first.state)  # a str id
    same_as_mapper(decode(as_text), keeper.mapper.to_domain_event(as_text))
    assert type(decode(as_text).originator_id) is type(first.originator_id)


def test_followers_handed_the_same_domain_events_share_their_recorded_events(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(board_fold, "SHARED_KEPT", 3)
    monkeypatch.setattr(board_fold, "_shared", {})
    game = GameScript()
    game.schedule()
    game.start()
    game.score(EventType.GOAL)
    keeper, notifications = recorded_log(game)
    batch = [(keeper.mapper.to_domain_event(n), n.id) for n in notifications]
    first, again = game_events(batch), game_events(batch[1:])
    assert all(a is b for (a, _), (b, _) in zip(again, first[1:], strict=True))
    assert first == game_events(batch, shared=False)
    assert len(board_fold._shared) <= 3
    fresh = [(keeper.mapper.to_domain_event(n), n.id) for n in notifications]
    assert all(a is not b for (a, _), (b, _) in zip(game_events(fresh), first, strict=True))
    assert game_events(fresh) == first
    assert game_events(batch[:1], shared=False)[0][0] is not first[0][0]
