"""The registration rules of domain/devices.py: any valid body round-trips, any broken
field is a DeviceError naming its JSON pointer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.devices import (
    MAX_FOLLOWS,
    MAX_TOKEN_LENGTH,
    Device,
    DeviceError,
    Interest,
    Platform,
    register_device,
)

TOKEN_CHARACTERS = "ABCXYZabcxyz0189_:-."
TOKENS = st.text(alphabet=TOKEN_CHARACTERS, min_size=1, max_size=200).filter(
    lambda token: token.strip(".") != ""  # dots alone are refused (BAD_TOKENS)
)
IDS = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], min_codepoint=0x20),
    min_size=1,
    max_size=128,
)
INTERESTS = st.lists(st.sampled_from([i.value for i in Interest]), min_size=1, max_size=6)


@st.composite
def valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    teams = draw(st.lists(IDS, max_size=5))
    games = draw(st.lists(IDS, min_size=0 if teams else 1, max_size=5))
    body: dict[str, Any] = {
        "token": draw(TOKENS),
        "platform": draw(st.sampled_from([p.value for p in Platform])),
    }
    # The optional fields, each present or defaulted.
    shown = draw(st.tuples(st.booleans(), st.booleans()))
    if teams or shown[0]:
        body["teams"] = teams
    if games or shown[1]:
        body["games"] = games
    if draw(st.booleans()):
        body["wants"] = draw(INTERESTS)
    return body


@given(valid_bodies())
def test_a_valid_registration_round_trips_through_to_dict(body: dict[str, Any]) -> None:
    device = register_device(body)
    assert device.token == body["token"]
    assert device.platform.value == body["platform"]
    assert device.teams == frozenset(body.get("teams", []))
    assert device.games == frozenset(body.get("games", []))
    assert device.wants == frozenset(Interest(w) for w in body.get("wants", ["all"]))
    assert register_device(device.to_dict()) == device


@given(valid_bodies())
def test_to_dict_is_sorted_and_complete(body: dict[str, Any]) -> None:
    answer = register_device(body).to_dict()
    assert set(answer) == {"token", "platform", "teams", "games", "wants"}
    for key in ("teams", "games", "wants"):
        assert answer[key] == sorted(set(answer[key]))


FIELDS = {"token", "platform", "teams", "games", "wants"}
NOT_STRINGS = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.text(), max_size=2))
BAD_TOKENS = st.one_of(
    NOT_STRINGS,
    st.just(""),
    st.just("a" * (MAX_TOKEN_LENGTH + 1)),
    st.text(alphabet=".", min_size=1, max_size=5),  # "." or "..": no /devices/{token}
    st.tuples(TOKENS, st.sampled_from(" /%\t?#é\x00"), TOKENS).map("".join),
)
BAD_IDS = st.one_of(
    st.none(),
    st.integers(),
    st.just(""),
    st.just("x" * 129),
    st.tuples(IDS, st.sampled_from("\x00\x01\t\x1f"), IDS).map(
        lambda t: t[0][:60] + t[1] + t[2][:60]
    ),
)
BAD_WANTS = st.text(max_size=10).filter(lambda w: w not in {i.value for i in Interest})


@st.composite
def broken_bodies(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid body with one field broken, and the pointer of that field."""
    body = draw(valid_bodies())
    body.setdefault("teams", ["T1"])
    field = draw(
        st.sampled_from(["token", "platform", "ids", "ids list", "wants", "want", "extra"])
    )
    if field == "token":
        body["token"] = draw(BAD_TOKENS)
        return body, "/token"
    if field == "platform":
        body["platform"] = draw(
            st.one_of(NOT_STRINGS, st.text().filter(lambda p: p not in {"apns", "fcm"}))
        )
        return body, "/platform"
    key = draw(st.sampled_from(["teams", "games"]))
    if field == "ids":
        ids = list(body.get(key, []))
        index = draw(st.integers(0, len(ids)))
        ids.insert(index, draw(BAD_IDS))
        body[key] = ids
        return body, f"/{key}/{index}"
    if field == "ids list":
        body[key] = draw(st.one_of(st.none(), st.text(), st.dictionaries(st.text(), st.text())))
        return body, f"/{key}"
    if field == "wants":
        body["wants"] = draw(st.one_of(st.just([]), st.none(), st.text()))
        return body, "/wants"
    if field == "want":
        wants = draw(INTERESTS)
        index = draw(st.integers(0, len(wants)))
        wants.insert(index, draw(BAD_WANTS))
        body["wants"] = wants
        return body, f"/wants/{index}"
    name = draw(st.text(min_size=1, max_size=10).filter(lambda n: n not in FIELDS))
    body[name] = draw(st.text())
    return body, f"/{name}"


@given(broken_bodies())
def test_a_broken_field_is_a_device_error_naming_its_pointer(
    broken: tuple[dict[str, Any], str],
) -> None:
    body, pointer = broken
    with pytest.raises(DeviceError) as raised:
        register_device(body)
    assert raised.value.pointer == pointer
    assert str(raised.value)


@pytest.mark.parametrize("body", [None, [], "device", 3])
def test_a_body_that_is_not_an_object_is_refused_at_the_root(body: Any) -> None:
    with pytest.raises(DeviceError) as raised:
        register_device(body)
    assert raised.value.pointer == ""


def test_a_device_must_follow_something() -> None:
    for body in (
        {"token": "t", "platform": "apns"},
        {"token": "t", "platform": "fcm", "teams": [], "games": []},
    ):
        with pytest.raises(DeviceError) as raised:
            register_device(body)
        assert raised.value.pointer == "/teams"


def test_a_device_follows_at_most_max_follows() -> None:
    teams = [f"t{i}" for i in range(MAX_FOLLOWS // 2)]
    games = [f"g{i}" for i in range(MAX_FOLLOWS - len(teams))]
    assert len(
        register_device({"token": "t", "platform": "apns", "teams": teams, "games": games}).teams
    ) == len(teams)
    with pytest.raises(DeviceError) as raised:
        register_device(
            {"token": "t", "platform": "apns", "teams": teams, "games": [*games, "one more"]}
        )
    assert raised.value.pointer == "/teams"


def test_the_longest_token_is_accepted() -> None:
    token = "a" * MAX_TOKEN_LENGTH
    assert register_device({"token": token, "platform": "fcm", "games": ["g"]}).token == token


@pytest.mark.parametrize(
    ("interest", "wants", "hears"),
    [
        (Interest.GOALS, {Interest.GOALS}, True),
        (Interest.GOALS, {Interest.CARDS}, False),
        (Interest.FINALS, {Interest.ALL}, True),
        (Interest.ALL, {Interest.GOALS, Interest.FINALS, Interest.CARDS}, False),
        (Interest.ALL, {Interest.ALL}, True),
    ],
)
def test_wants_to_hear(interest: Interest, wants: set[Interest], hears: bool) -> None:
    device = Device("t", Platform.APNS, frozenset({"T"}), frozenset(), frozenset(wants))
    assert device.wants_to_hear(interest) is hears


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"token": "abc\n", "platform": "apns", "teams": ["T"]}, "/token"),
        ({"token": "abc", "platform": "apns", "teams": ["T\n"]}, "/teams/0"),
    ],
)
def test_a_trailing_newline_is_refused(body: dict[str, Any], pointer: str) -> None:
    with pytest.raises(DeviceError) as raised:
        register_device(body)
    assert raised.value.pointer == pointer
