"""A state encoded once per version: its tag, its If-None-Match comparison, its answers,
and the state recovered from any SSE frame the hub encodes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.memory_broker import MemoryBroker
from entrypoints.web.cache_headers import CACHE_HEADERS
from entrypoints.web.hub import Hub
from entrypoints.web.state_snapshot import (
    snapshot_of_frame,
    snapshot_of_json,
    snapshot_of_state,
)

TAGS = st.one_of(
    st.integers(0, 99).map(lambda v: f'"v{v}"'),
    st.integers(0, 99).map(lambda v: f'W/"v{v}"'),
    st.just("*"),
    st.text('abcv0123456789"/W', max_size=6),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@given(version=st.integers(0, 99), sent=st.lists(TAGS, min_size=1, max_size=4))
def test_if_none_match_matches_exactly_when_a_listed_tag_is_this_version(
    version: int, sent: list[str]
) -> None:
    snapshot = snapshot_of_state({"version": version, "status": "LIVE"})
    header = ", ".join(sent).encode()
    expected = any(t.strip() == "*" or t.strip().removeprefix("W/") == f'"v{version}"' for t in
                   ", ".join(sent).split(","))  # fmt: skip
    assert snapshot.matches(header) == expected


def test_both_answers_carry_the_tag_and_the_cache_headers() -> None:
    state = {"game_id": "g", "version": 7, "status": "FINAL", "name": "Ünïcode"}
    snapshot = snapshot_of_state(state)
    assert snapshot.final and snapshot.etag == b'"v7"'
    for start in (snapshot.ok, snapshot.not_modified):
        headers = dict(start["headers"])
        assert headers[b"etag"] == b'"v7"'
        for name, value in CACHE_HEADERS.items():
            assert headers[name.lower().encode()] == value.encode()
    assert snapshot.not_modified["status"] == 304 and b"content-length" not in dict(
        snapshot.not_modified["headers"]
    )
    ok = dict(snapshot.ok["headers"])
    assert ok[b"content-length"] == str(len(snapshot.body)).encode()
    assert json.loads(snapshot.content["body"]) == state
    assert snapshot_of_json(snapshot.body).body == snapshot.body


@given(extra=st.dictionaries(st.text(max_size=6), JSON, max_size=4), version=st.integers(1, 10**6))
def test_the_state_in_any_frame_the_hub_encodes_comes_back(
    extra: dict[str, Any], version: int
) -> None:
    state = {**extra, "version": version, "status": "LIVE"}
    update = {"game_id": "g", "version": version, "event": extra, "state": state}
    for data in (json.dumps(update), json.dumps(update, indent=1)):  # one line, or several
        frame = Hub(MemoryBroker()).encode(version, data.encode())["body"]
        assert snapshot_of_frame(frame).state() == state
