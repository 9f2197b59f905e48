"""The README's commands, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import ADMIN, free_port


def test_demo_plays_all_four_sports_live_through_the_webhook(tmp_path: Path) -> None:
    port = free_port()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "entrypoints.cli",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
            "--duration",
            "20",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        games: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            try:
                games = httpx.get(f"http://127.0.0.1:{port}/games", timeout=2).json()["games"]
            except httpx.TransportError:
                games = []
            sports = {g["sport"] for g in games if g["status"] in ("LIVE", "FINAL")}
            scored = [g for g in games if int(str(g["home_score"])) + int(str(g["away_score"])) > 0]
            if len(sports) == 4 and scored:
                break
            time.sleep(0.5)
        assert {g["sport"] for g in games} == {
            "soccer",
            "basketball",
            "american_football",
            "ice_hockey",
        }, games
        assert any(g["status"] == "LIVE" for g in games)
        assert scored, "no simulated game scored within 30 s"
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    finally:
        demo.terminate()
        out, _ = demo.communicate(timeout=15)
    assert b"Scoreline demo on" in out
    assert b"Traceback" not in out, out.decode()


def test_a_malformed_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    env = {**os.environ, "SCORELINE_PROVIDER_SECRETS": "acme"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "entrypoints.cli",
            "serve",
            "--port",
            str(free_port()),
            "--data-dir",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "SCORELINE_PROVIDER_SECRETS" in lines[0], lines


def test_a_wrong_read_models_flag_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "entrypoints.cli", "serve", "--role", "projector"),
            *("--port", str(free_port()), "--data-dir", str(tmp_path)),
            *("--read-models", "game_state,scores"),
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "--read-models" in lines[0] and "scores" in lines[0], lines


def test_feed_convert_refuses_a_team_not_in_the_file(tmp_path: Path) -> None:
    events = tmp_path / "e.json"
    events.write_text(
        '[{"id": "x", "index": 1, "period": 1, "minute": 0, "second": 0,'
        ' "type": {"name": "Half Start"}, "team": {"id": 1, "name": "Ajax"}},'
        ' {"id": "y", "index": 2, "period": 1, "minute": 0, "second": 0,'
        ' "type": {"name": "Half Start"}, "team": {"id": 2, "name": "PSV"}}]'
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "entrypoints.cli",
            "feed",
            "convert",
            "--format",
            "statsbomb",
            str(events),
            "--game-id",
            "g",
            "--home-team",
            "Ajax",
            "--away-team",
            "Feyenoord",
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert b"Feyenoord" in done.stderr and b"Traceback" not in done.stderr


def test_rejected_list_and_replay_from_the_command_line(live_server: Any, tmp_path: Path) -> None:
    game = [
        {
            "event_id": "e1",
            "game_id": "g1",
            "sport": "soccer",
            "sequence_number": 1,
            "event_type": "GAME_SCHEDULED",
            "schedule": {"home_team_id": "a", "away_team_id": "b"},
        }
    ]
    bad = live_server.push([{**game[0], "sport": "curling"}])
    assert bad.status_code == 422
    env = {**os.environ, "SCORELINE_ADMIN_TOKEN": ADMIN}
    base = [sys.executable, "-m", "entrypoints.cli", "rejected"]
    listed = subprocess.run(
        [*base, "list", "--url", live_server.base_url],
        env=env,
        capture_output=True,
        timeout=30,
        check=True,
    )
    (item,) = [json.loads(line) for line in listed.stdout.decode().splitlines()]
    assert item["reason"] == "invalid" and "curling" in item["body"]
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(game))
    replay = [*base, "replay", str(item["id"]), "--url", live_server.base_url, "--file", str(fixed)]
    done = subprocess.run(replay, env=env, capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accepted"] == 1
    live_server.wait_for("g1", lambda s: s["version"] == 1)
    denied = subprocess.run(
        [*base, "list", "--url", live_server.base_url, "--token", "nope"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert denied.returncode == 1 and b"401" in denied.stderr


def test_unreachable_services_stop_serve_with_one_line_naming_the_setting(tmp_path: Path) -> None:
    dead = free_port()  # nothing listens there
    for flag, value, setting in (
        ("--database-url", f"postgresql://postgres@127.0.0.1:{dead}/x", "SCORELINE_DATABASE_URL"),
        ("--redis-url", f"redis://127.0.0.1:{dead}/0", "SCORELINE_REDIS_URL"),
        ("--kafka-bootstrap", f"127.0.0.1:{dead}", "SCORELINE_KAFKA_BOOTSTRAP"),
        ("--database-url", "mysql://nope", "SCORELINE_DATABASE_URL"),
        ("--kafka-bootstrap", "no-port-here", "SCORELINE_KAFKA_BOOTSTRAP"),
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "entrypoints.cli",
                "serve",
                "--port",
                str(free_port()),
                "--data-dir",
                str(tmp_path),
                flag,
                value,
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        lines = done.stderr.decode().strip().splitlines()
        assert done.returncode == 2, (flag, value, lines)
        assert len(lines) == 1 and setting in lines[0], lines
