"""The whole Premier League 2015/16 season through the real service gives the real table."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import PROVIDER, SECRET, LiveServer
from tests.shared_data import shared_file


def test_premier_league_season_gives_the_real_final_table(
    live_server: LiveServer, tmp_path: Path
) -> None:
    matches = shared_file("soccer/premier-league-2015-16/matches.csv")
    teams = shared_file("soccer/premier-league-2015-16/teams.csv")
    cli = [sys.executable, "-m", "entrypoints.cli"]
    feed = tmp_path / "season.jsonl"
    with feed.open("wb") as out:
        subprocess.run(
            [
                *cli,
                "feed",
                "convert",
                "--format",
                "results-csv",
                "--matches",
                str(matches),
                "--teams",
                str(teams),
                "--league",
                "premier-league",
                "--season",
                "2015-16",
            ],
            stdout=out,
            check=True,
            timeout=120,
        )
    subprocess.run(
        [
            *cli,
            "feed",
            "push",
            str(feed),
            "--url",
            live_server.base_url,
            "--provider",
            PROVIDER,
            "--secret",
            SECRET,
            "--batch",
            "500",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    url = f"{live_server.base_url}/standings/premier-league/2015-16"
    deadline = time.monotonic() + 120
    table: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = httpx.get(url, timeout=10)
        if r.status_code == 200:
            table = r.json()
            if sum(row["played"] for row in table["rows"]) == 760:
                break
        time.sleep(0.5)
    rows = {row["team_name"]: row for row in table["rows"]}
    assert table["rows"][0]["team_name"] == "Leicester City" and table["rows"][0]["points"] == 81
    assert all(row["played"] == 38 for row in table["rows"]) and len(rows) == 20
    city, united = rows["Manchester City"], rows["Manchester United"]
    assert city["points"] == united["points"] == 66
    assert city["rank"] < united["rank"] and city["goal_difference"] > united["goal_difference"]
    tagged = httpx.get(url, headers={"If-None-Match": r.headers["etag"]}, timeout=10)
    assert tagged.status_code == 304
    assert "stale-while-revalidate" in r.headers["cdn-cache-control"]
