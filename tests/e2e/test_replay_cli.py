"""``scoreline replay`` against a real ``scoreline serve``, as a historian runs it."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import LiveServer

KICK_OFF = datetime(2024, 5, 1, 19, 45, tzinfo=UTC)


def play(game_id: str, seq: int, event_type: str, minute: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"{game_id}-{seq}",
        "game_id": game_id,
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": event_type,
        "created_at": (KICK_OFF + timedelta(minutes=minute)).isoformat(),
        **extra,
    }


def game(game_id: str) -> list[dict[str, Any]]:
    teams = {"home_team_id": "liv", "away_team_id": "mci", "home_team_name": "Liverpool"}
    return [
        play(game_id, 1, "GAME_SCHEDULED", -60, schedule=teams),
        play(game_id, 2, "GAME_STARTED", 0, period=1),
        play(game_id, 3, "GOAL", 23, team_id="liv", description="Salah, left foot"),
        play(game_id, 4, "PENALTY_GOAL", 58, team_id="mci", description="Haaland"),
        play(game_id, 5, "GOAL", 88, team_id="liv", description="Nunez header"),
        play(game_id, 6, "GAME_FINAL", 96),
    ]


COMMAND = [sys.executable, "-m", "entrypoints.cli", "replay"]


def scoreline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=30)


def test_replay_prints_every_event_of_a_finished_game_and_exits_0(
    live_server: LiveServer,
) -> None:
    assert live_server.push(game("liv-mci")).status_code == 202
    live_server.wait_for("liv-mci", lambda s: s["status"] == "FINAL")
    # 156 minutes, each gap capped at 30 s: 150 s of replay, over 1000.
    done = scoreline("liv-mci", "--speed", "1000", "--url", live_server.base_url)
    assert done.returncode == 0, done.stderr
    *lines, end = done.stdout.splitlines()
    assert [line.split()[1] for line in lines] == ["v1", "v2", "v3", "v4", "v5", "v6"]
    assert "GOAL" in lines[2] and "Liverpool 1-0 mci" in lines[2] and "Salah" in lines[2]
    assert lines[3].startswith("+1:58:00") and "Liverpool 1-1 mci" in lines[3]
    assert "GAME_FINAL" in lines[5] and "Liverpool 2-1 mci" in lines[5]
    assert end == "end: FINAL, Liverpool 2-1 mci; 6 events shown, version 6"
    assert done.stderr == ""


def test_replay_of_an_unknown_or_unfinished_game_is_one_line_and_exit_1(
    live_server: LiveServer,
) -> None:
    assert live_server.push(game("live")[:3]).status_code == 202
    live_server.wait_for("live", lambda s: s["version"] == 3)
    for game_id, code, words in (("nope", "404", "no game 'nope'"), ("live", "409", "is LIVE")):
        done = scoreline(game_id, "--speed", "1000", "--url", live_server.base_url)
        assert done.returncode == 1
        assert done.stdout == ""
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"scoreline replay: {code} ") and words in line, line


def test_replay_resumes_where_it_was_when_the_service_restarts(live_server: LiveServer) -> None:
    assert live_server.push(game("liv-mci")).status_code == 202
    live_server.wait_for("liv-mci", lambda s: s["status"] == "FINAL")
    # Five capped gaps of 30 s at speed 20: 7.5 s, so the restart comes mid-replay.
    args = ["liv-mci", "--speed", "20", "--url", live_server.base_url]
    replay = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(2)
        live_server.restart()
        out, err = replay.communicate(timeout=25)
    finally:
        replay.kill()
    assert replay.returncode == 0, err
    assert b"dropped after" in err and b"resuming" in err
    *lines, end = out.decode().splitlines()
    assert [line.split()[1] for line in lines] == ["v1", "v2", "v3", "v4", "v5", "v6"]
    assert end.startswith("end: FINAL, Liverpool 2-1 mci")
