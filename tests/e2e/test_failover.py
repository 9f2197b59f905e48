"""A primary provider falls silent mid-match; the backup carries the game on."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import BACKUP, PROVIDER, LiveServer
from tests.e2e.statsbomb_feeds import convert


def as_backup(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same plays from another provider: its own event ids and words."""
    return [
        {**e, "event_id": f"bk-{e['event_id']}", "description": f"[backup] {e['event_type']}"}
        for e in events
    ]


def test_backup_carries_the_game_on_and_every_play_is_recorded_once(
    live_server: LiveServer,
) -> None:
    primary = convert("3788741", "tur-ita", "Turkey", "Italy")
    backup = as_backup(primary)
    half = len(primary) // 2
    # Both feed the first half, interleaved; then the primary falls silent.
    for start in range(0, half, 5):
        assert live_server.push(primary[start : min(start + 5, half)]).status_code == 202
        assert live_server.push(backup[start : min(start + 5, half)], BACKUP).status_code == 202
    assert live_server.push(backup[half:], BACKUP).status_code == 202

    state = live_server.wait_for("tur-ita", lambda s: s["status"] == "FINAL", timeout=60)
    assert (state["home_score"], state["away_score"]) == (0, 3)
    events = httpx.get(f"{live_server.base_url}/games/tur-ita/events?limit=1000").json()["events"]
    sequences = [e["event"]["sequence_number"] for e in events]
    assert sequences == list(range(1, len(primary) + 1)), "each play once, in order"
    by_provider = {e["event"]["provider"] for e in events[half:]}
    assert by_provider == {BACKUP}
    assert {e["event"]["provider"] for e in events[:half]} <= {PROVIDER, BACKUP}
