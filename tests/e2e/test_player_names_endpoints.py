"""Player names from a real feed through the real service: ``scoreline feed convert`` of
StatsBomb's Euro 2020 Turkey 0-3 Italy, the webhook, then the names at
``/players/{id}/stats``, in the goals leaderboard and on Italy's team page."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import LiveServer
from tests.e2e.statsbomb_feeds import scoreline
from tests.e2e.test_player_stats_endpoints import get, season_stats, wait_json
from tests.shared_data import shared_file

IMMOBILE, INSIGNE = "7788", "7037"


def test_a_real_scorer_s_name_reaches_player_stats_leaderboards_and_team_pages(
    live_server: LiveServer,
) -> None:
    euro = shared_file("soccer/statsbomb/3788741.events.json")
    out = scoreline(
        *("feed", "convert", "--format", "statsbomb", str(euro), "--game-id", "tur-ita-names"),
        *("--home-team", "Turkey", "--away-team", "Italy", "--league", "euro-names"),
        *("--season", "2020"),
    )
    events: list[dict[str, Any]] = [json.loads(line) for line in out.decode().splitlines()]
    goal = next(e for e in events if e["event_type"] == "GOAL" and e["player_id"] == IMMOBILE)
    assert goal["player_name"] == "Ciro Immobile"
    for start in range(0, len(events), 500):
        assert live_server.push(events[start : start + 500]).status_code == 202
    live_server.wait_for("tur-ita-names", lambda s: s["status"] == "FINAL", timeout=120)

    immobile = wait_json(live_server, f"/players/{IMMOBILE}/stats", lambda p: bool(p["seasons"]))
    assert immobile["name"] == "Ciro Immobile"
    assert season_stats(immobile)["goals"] == 1
    board = get(live_server, "/leaderboards/euro-names/2020/goals").json()["leaders"]
    assert [(x["player_id"], x["name"], x["value"]) for x in board] == [
        (INSIGNE, "Lorenzo Insigne", 1),
        (IMMOBILE, "Ciro Immobile", 1),
    ]  # (equal values: by player id)
    italy = get(live_server, f"/teams/{goal['team_id']}").json()
    (season,) = [s for s in italy["seasons"] if s["league"] == "euro-names"]
    scorers = {x["player_id"]: x["name"] for x in season["top_scorers"]["leaders"]}
    assert scorers == {INSIGNE: "Lorenzo Insigne", IMMOBILE: "Ciro Immobile"}
    nobody = get(live_server, "/players/no-such-player/stats")
    assert nobody.status_code == 404
