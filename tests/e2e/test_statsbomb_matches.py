"""Three real StatsBomb matches through the real service, shuffled and duplicated.

Converted with ``scoreline feed convert``, pushed with ``scoreline feed push``;
fans on SSE from the start see every scoring event once, in order; a fan resuming
mid-game gets exactly the rest; a restart changes nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import httpx

from tests.e2e.conftest import PROVIDER, SECRET, ConvertedFeeds, LiveServer
from tests.e2e.statsbomb_feeds import scoreline
from tests.sse_client import SSEReader

MATCHES = [
    ("3788741", "tur-ita", "Turkey", "Italy", (0, 3)),
    ("15986", "bar-gir", "Barcelona", "Girona", (2, 2)),
    ("barcelona-alaves", "bar-ala", "Barcelona", "Deportivo Alavés", (3, 0)),
]
SCORING = {"GOAL", "OWN_GOAL", "PENALTY_GOAL"}


def test_three_real_matches_shuffled_with_duplicates(
    live_server: LiveServer, tmp_path: Path, converted_feeds: ConvertedFeeds
) -> None:
    feeds = converted_feeds([m[:4] for m in MATCHES])
    for events in feeds.values():
        assert live_server.push(events[:1]).status_code == 202
    for game_id in feeds:
        live_server.wait_for(game_id, lambda s: s["version"] == 1)
    fans = {
        game_id: SSEReader(f"{live_server.base_url}/games/{game_id}/stream").start()
        for game_id in feeds
    }

    rng = random.Random(20210611)
    rest = [e for events in feeds.values() for e in events[1:]]
    shuffled = rest + rng.sample(rest, len(rest) // 10)
    rng.shuffle(shuffled)
    feed_file = tmp_path / "shuffled.jsonl"
    feed_file.write_text("".join(json.dumps(e) + "\n" for e in shuffled))
    scoreline(
        "feed",
        "push",
        str(feed_file),
        "--url",
        live_server.base_url,
        "--provider",
        PROVIDER,
        "--secret",
        SECRET,
        "--batch",
        "250",
    )

    for _, game_id, _, _, (home, away) in MATCHES:
        total = len(feeds[game_id])
        state = live_server.wait_for(game_id, lambda s, n=total: s["version"] == n, timeout=120)
        assert (state["status"], state["home_score"], state["away_score"]) == ("FINAL", home, away)
        fan = fans[game_id]
        fan.wait_until(lambda f, n=total: any(m["version"] == n for m in f.game_events()))
        seen = fan.game_events()
        assert [m["version"] for m in seen] == list(range(2, total + 1)), "gapless, once each"
        sequences = [m["event"]["sequence_number"] for m in seen]
        assert sequences == sorted(sequences), "in sequence order"
        goals = [m["event"]["event_id"] for m in seen if m["event"]["event_type"] in SCORING]
        expected_goals = [e["event_id"] for e in feeds[game_id] if e["event_type"] in SCORING]
        assert goals == expected_goals and len(goals) == home + away
        assert seen[-1]["state"]["home_score"] == home and seen[-1]["state"]["away_score"] == away
    for fan in fans.values():
        fan.stop()

    # A fan who drops out mid-game and resumes gets exactly the rest.
    game_id = "tur-ita"
    total = len(feeds[game_id])
    middle = total // 2
    resumed = SSEReader(
        f"{live_server.base_url}/games/{game_id}/stream", last_event_id=str(middle)
    ).start()
    resumed.wait_until(lambda f: any(m["version"] == total for m in f.game_events()))
    assert [m["version"] for m in resumed.game_events()] == list(range(middle + 1, total + 1))
    resumed.stop()

    # Restarting on the same data dir loses nothing and changes no state.
    before = {g: live_server.state(g) for g in feeds}
    listed = httpx.get(f"{live_server.base_url}/games").json()
    stored = {
        g: httpx.get(f"{live_server.base_url}/games/{g}/events?limit=1000").json() for g in feeds
    }
    live_server.restart()
    assert {g: live_server.state(g) for g in feeds} == before
    assert httpx.get(f"{live_server.base_url}/games").json() == listed
    assert {
        g: httpx.get(f"{live_server.base_url}/games/{g}/events?limit=1000").json() for g in feeds
    } == stored
