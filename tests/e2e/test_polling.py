"""End to end: ``GET /games/{id}/state`` on a real ``scoreline serve`` (near cache, ETags,
304s with their cache headers) and the metrics that count its hits and misses."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

EDGE = "max-age=1, stale-while-revalidate=5, stale-if-error=60"


def feed_game(server: Any, game_id: str) -> int:
    """Schedule and start a game; the next sequence number."""
    events: list[dict[str, Any]] = [
        {
            "event_id": f"{game_id}-e1",
            "game_id": game_id,
            "sport": "soccer",
            "sequence_number": 1,
            "event_type": "GAME_SCHEDULED",
            "schedule": {"home_team_id": "ars", "away_team_id": "che"},
        },
        {
            "event_id": f"{game_id}-e2",
            "game_id": game_id,
            "sport": "soccer",
            "sequence_number": 2,
            "event_type": "GAME_STARTED",
        },
    ]
    assert server.push(events).status_code == 202
    return 3


def goal(server: Any, game_id: str, seq: int) -> None:
    event = {
        "event_id": f"{game_id}-e{seq}",
        "game_id": game_id,
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": "GOAL",
        "team_id": "ars",
        "clock_seconds": 600,
        "period": 1,
    }
    assert server.push([event]).status_code == 202


def counter(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", metrics, re.M)
    assert found is not None, f"no {name} in /metrics"
    return float(found[1])


def assert_cache_headers(response: httpx.Response, tag: str) -> None:
    assert response.headers["etag"] == tag
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["cdn-cache-control"] == EDGE
    assert response.headers["surrogate-control"] == EDGE


def test_state_polls_get_strong_etags_and_304s_that_repeat_the_cache_headers(
    live_server: Any,
) -> None:
    game_id = f"poll-{uuid.uuid4().hex[:8]}"
    seq = feed_game(live_server, game_id)
    state = live_server.wait_for(game_id, lambda s: s["status"] == "LIVE", 20)
    url = f"{live_server.base_url}/games/{game_id}/state"
    with httpx.Client(timeout=10) as client:
        first = client.get(url)
        assert first.status_code == 200
        assert first.headers["content-type"] == "application/json"
        tag = f'"v{state["version"]}"'
        assert_cache_headers(first, tag)
        assert first.json() == state

        for sent in (tag, f"W/{tag}", f'"v999", {tag}', "*"):
            again = client.get(url, headers={"If-None-Match": sent})
            assert again.status_code == 304, sent
            assert again.content == b""
            assert_cache_headers(again, tag)

        other = client.get(url, headers={"If-None-Match": '"v0"'})
        assert other.status_code == 200 and other.json() == state

        head = client.head(url)
        assert head.status_code == 200 and head.content == b""
        assert_cache_headers(head, tag)
        assert client.post(url).status_code == 405

        goal(live_server, game_id, seq)
        scored = live_server.wait_for(game_id, lambda s: s["home_score"] == 1, 20)
        changed = client.get(url, headers={"If-None-Match": tag})
        assert changed.status_code == 200
        assert changed.json() == scored
        assert_cache_headers(changed, f'"v{scored["version"]}"')
        assert changed.headers["etag"] != tag

        historic = client.get(url, params={"at_version": state["version"]})
        assert historic.status_code == 200 and historic.json()["home_score"] == 0
        assert "immutable" in historic.headers["cache-control"]

        metrics = client.get(f"{live_server.base_url}/metrics").text
        assert counter(metrics, "scoreline_cache_hits_total") >= 8
        assert counter(metrics, "scoreline_cache_misses_total") >= 1


def test_an_unknown_game_is_a_problem(live_server: Any) -> None:
    response = httpx.get(f"{live_server.base_url}/games/no-such-game/state", timeout=10)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("unknown-game")
