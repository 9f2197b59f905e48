"""Update messages: what the hub and the near cache read of them is what was encoded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entrypoints.web.state_snapshot import snapshot_of_state, snapshot_of_update
from entrypoints.web.update_messages import encode_update, update_state, update_version

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=12))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
states = st.fixed_dictionaries(
    {"version": st.integers(1, 10**9), "status": st.sampled_from(["LIVE", "FINAL"])},
    optional={"home_team_name": st.text(max_size=20), "last_event": values},
)


@given(st.text(min_size=1, max_size=20), states, st.dictionaries(st.text(max_size=8), values))
def test_readers_take_back_what_was_encoded(
    game_id: str, state: dict[str, Any], event: dict[str, Any]
) -> None:
    raw = encode_update(game_id, state["version"], event, state)
    assert json.loads(raw) == {
        "game_id": game_id,
        "version": state["version"],
        "event": event,
        "state": state,
    }
    assert update_version(raw) == state["version"]
    assert update_state(raw) == snapshot_of_state(state).body  # the poll's bytes
    snapshot = snapshot_of_update(raw)
    assert (snapshot.version, snapshot.final) == (state["version"], state["status"] == "FINAL")
    assert snapshot.body == snapshot_of_state(state).body


@pytest.mark.parametrize("raw", [b"{}", b'{"version": true}', b"[1]", b"not json"])
def test_what_is_no_update_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        update_version(raw)
    with pytest.raises(ValueError):
        update_state(raw)
