"""Assists on GameEvent (domain/events.py) and in the native format (adapters/native_format.py):
the dict round-trip, fingerprints of events without assists unchanged, dedupe, and the
refusals with their JSON pointers."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.native_format import NativeFormatError, json_schema, parse
from domain.events import Correction, GameEvent
from domain.sports import EventType, Sport

GOAL = GameEvent(
    "e7",
    "g1",
    Sport.SOCCER,
    7,
    EventType.GOAL,
    provider="acme",
    team_id="ars",
    player_id="p9",
    clock_seconds=600,
    period=1,
    description="Goal",
)
FIX = GameEvent(
    "e8",
    "g1",
    Sport.SOCCER,
    8,
    EventType.EVENT_CORRECTED,
    references_event_id="e7",
    correction=Correction(player_id="p3"),
)


def test_events_without_assists_keep_the_dict_and_fingerprint_they_had() -> None:
    # The fingerprints the code gave these events before GameEvent had assists (they are
    # stored, in ProviderAliases): a redelivery must still dedupe against them.
    assert GOAL.fingerprint() == "4888d3d14dc5c7398c4a12060b80b875"
    assert FIX.fingerprint() == "cd135bcb160a64bed05ba25ed76f81f0"
    assert "assists" not in GOAL.to_dict() and "assists" not in FIX.to_dict()["correction"]


def test_a_stored_event_from_before_loads_with_no_assists() -> None:
    stored = json.loads(json.dumps(GOAL.to_dict()))
    assert GameEvent.from_dict(stored).assists == ()
    assert GameEvent.from_dict(stored) == GOAL


def test_assists_round_trip_and_are_content() -> None:
    assisted = replace(GOAL, assists=("p1", "p2"))
    data = json.loads(json.dumps(assisted.to_dict()))
    assert data["assists"] == ["p1", "p2"]
    assert GameEvent.from_dict(data) == assisted
    same = GameEvent.from_dict({**data, "provider": "other"})
    assert same.fingerprint() == assisted.fingerprint()  # a redelivery dedupes
    other = GameEvent.from_dict({**data, "assists": ["p2", "p1"]})
    assert other.fingerprint() != assisted.fingerprint()  # other assists: a conflict
    assert assisted.fingerprint() != GOAL.fingerprint()


def test_a_correction_may_replace_or_clear_assists() -> None:
    for given_assists, stored in ((["p4"], ["p4"]), ([], [])):
        fix = GameEvent.from_dict(
            {**FIX.to_dict(), "correction": {"player_id": None, "assists": given_assists}}
        )
        assert fix.correction is not None and fix.correction.assists == tuple(stored)
        assert fix.to_dict()["correction"]["assists"] == stored
        assert GameEvent.from_dict(json.loads(json.dumps(fix.to_dict()))) == fix
    assert Correction(assists=["a", "b"]) == Correction(assists=("a", "b"))  # type: ignore[arg-type]


def test_to_dict_copies_are_independent() -> None:
    assisted = replace(GOAL, assists=("p1",))
    assisted.to_dict()["assists"].append("x")
    assert assisted.to_dict()["assists"] == ["p1"]


@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4, unique=True))
def test_any_assists_round_trip_through_json(assists: list[str]) -> None:
    event = replace(GOAL, assists=tuple(assists))
    assert GameEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event


# ------------------------------------------------------------------ the native format
def native(**extra: Any) -> dict[str, Any]:
    return {
        "event_id": "e7",
        "game_id": "g1",
        "sport": "ice_hockey",
        "sequence_number": 7,
        "event_type": "GOAL",
        "team_id": "pit",
        "player_id": "rust",
        **extra,
    }


def problems(payload: Any) -> list[tuple[str, str]]:
    with pytest.raises(NativeFormatError) as caught:
        parse(json.dumps(payload).encode(), provider="acme")
    return [(p.pointer, p.detail) for p in caught.value.problems]


def test_the_native_format_takes_assists_in_order() -> None:
    (event,) = parse(json.dumps(native(assists=["schultz", "kunitz"])).encode(), provider="p")
    assert event.assists == ("schultz", "kunitz")
    (plain,) = parse(json.dumps(native()).encode(), provider="p")
    assert (
        plain.assists == () and plain.fingerprint() == GameEvent.from_dict(native()).fingerprint()
    )
    (fix,) = parse(
        json.dumps(
            native(
                event_type="EVENT_CORRECTED",
                event_id="e8",
                references_event_id="e7",
                correction={"assists": []},
            )
        ).encode(),
        provider="p",
    )
    assert fix.correction is not None and fix.correction.assists == ()


@pytest.mark.parametrize(
    ("payload", "pointer", "words"),
    [
        (native(assists="schultz"), "$.assists", "Expected `array`"),
        (native(assists=[7]), "$.assists[0]", "Expected `str`"),
        (native(assists=[""]), "$.assists[0]", "length >= 1"),
        (native(assists=["a b"]), "$.assists[0]", "matching regex"),
        (native(assists=[f"p{i}" for i in range(11)]), "$.assists", "length <= 10"),
        ([native(), native(assists=["x", "x"])], "$[1].assists[1]", "listed twice"),
        (native(assists=["rust"]), "$.assists[0]", "own score"),
        (native(event_type="SHOT", assists=["x"]), "$.assists", "credits no assists"),
        (native(sport="basketball", event_type="FREE_THROW", assists=["x"]), "$.assists", "no"),
        (native(sport="soccer", event_type="OWN_GOAL", assists=["x"]), "$.assists", "OWN_GOAL"),
        (native(event_type="SHOOTOUT_GOAL", period=5, assists=["x"]), "$.assists", "no assists"),
        (
            native(
                event_type="EVENT_CORRECTED",
                references_event_id="e6",
                correction={"player_id": "y", "assists": ["y"]},
            ),
            "$.correction.assists[0]",
            "own score",
        ),
        (
            native(
                event_type="EVENT_CORRECTED", references_event_id="e6", correction={"assists": 1}
            ),
            "$.correction.assists",
            "Expected `array | null`",
        ),
    ],
)
def test_bad_assists_are_refused_with_a_pointer(payload: Any, pointer: str, words: str) -> None:
    found = problems(payload)
    assert found[0][0] == pointer, found
    assert words in found[0][1], found


def test_the_published_schema_has_assists() -> None:
    schema = json_schema()
    event = schema["$defs"]["NativeEvent"]["properties"]["assists"]
    assert event["type"] == "array" and event["maxItems"] == 10
    assert "assists" not in schema["$defs"]["NativeEvent"].get("required", [])
    assert "assists" in schema["$defs"]["NativeCorrection"]["properties"]
