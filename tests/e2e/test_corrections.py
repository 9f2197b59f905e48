"""A goal overturned on review, and one credited to the other side, through the real service."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import LiveServer
from tests.sse_client import SSEReader


def native(seq: int, event_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"nhl-{seq}",
        "game_id": "pit-sjs",
        "sport": "ice_hockey",
        "sequence_number": seq,
        "event_type": event_type,
        **extra,
    }


def test_corrections_reach_fans_as_their_own_events_and_history_keeps_both(
    live_server: LiveServer,
) -> None:
    schedule = {"home_team_id": "pit", "away_team_id": "sjs"}
    assert live_server.push([native(1, "GAME_SCHEDULED", schedule=schedule)]).status_code == 202
    live_server.wait_for("pit-sjs", lambda s: s["version"] == 1)
    fan = SSEReader(f"{live_server.base_url}/games/pit-sjs/stream").start()
    plays = [
        native(2, "GAME_STARTED"),
        native(3, "GOAL", team_id="pit", player_id="8471675", period=1),
        native(4, "GOAL", team_id="sjs", player_id="8470613", period=2),
        native(5, "EVENT_RETRACTED", references_event_id="nhl-3", description="offside review"),
        native(
            6,
            "EVENT_CORRECTED",
            references_event_id="nhl-4",
            correction={"team_id": "pit", "player_id": "8471215"},
            description="own goal, credited to Pittsburgh",
        ),
    ]
    assert live_server.push(plays).status_code == 202
    fan.wait_until(lambda f: len(f.game_events()) == 5)
    seen = fan.game_events()
    fan.stop()
    scores = [
        (m["event"]["event_type"], m["state"]["home_score"], m["state"]["away_score"]) for m in seen
    ]
    assert scores == [
        ("GAME_STARTED", 0, 0),
        ("GOAL", 1, 0),
        ("GOAL", 1, 1),
        ("EVENT_RETRACTED", 0, 1),
        ("EVENT_CORRECTED", 1, 0),
    ]
    history = httpx.get(f"{live_server.base_url}/games/pit-sjs/events").json()["events"]
    assert [e["event"]["event_id"] for e in history] == [f"nhl-{n}" for n in range(1, 7)]
    state = live_server.state("pit-sjs")
    assert (state["home_score"], state["away_score"]) == (1, 0)
