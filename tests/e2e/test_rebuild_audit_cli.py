"""``scoreline audit`` finds a corrupted live row, ``scoreline rebuild`` puts it right."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from tests.e2e.conftest import LiveServer


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_audit_names_a_corrupted_row_and_rebuild_fixes_it(live_server: LiveServer) -> None:
    def e(seq: int, kind: str, **extra: object) -> dict[str, object]:
        return {
            "event_id": f"a{seq}",
            "game_id": "audited",
            "sport": "soccer",
            "sequence_number": seq,
            "event_type": kind,
            **extra,
        }

    live_server.push(
        [
            e(1, "GAME_SCHEDULED", schedule={"home_team_id": "h", "away_team_id": "a"}),
            e(2, "GAME_STARTED"),
            e(3, "GOAL", team_id="h"),
            e(4, "GAME_FINAL"),
        ]
    )
    live_server.wait_for("audited", lambda s: s["version"] == 4)
    live_server.stop()
    data = str(live_server.data_dir)
    assert run("audit", "--data-dir", data).returncode == 0

    with sqlite3.connect(live_server.data_dir / "views.sqlite") as db:
        (public,) = db.execute(
            "SELECT public FROM game_states WHERE game_id = 'audited'"
        ).fetchone()
        forged = {**json.loads(public), "home_score": 7}
        db.execute(
            "UPDATE game_states SET public = ? WHERE game_id = 'audited'", (json.dumps(forged),)
        )
    found = run("audit", "--data-dir", data)
    assert found.returncode == 1 and "audited" in found.stdout, found.stdout + found.stderr
    dry = run("rebuild", "--dry-run", "--data-dir", data)
    assert dry.returncode == 0, dry.stderr
    assert run("audit", "--data-dir", data).returncode == 1, "a dry run changes nothing"
    assert run("rebuild", "--data-dir", data).returncode == 0
    assert run("audit", "--data-dir", data).returncode == 0
    live_server.start()
    assert live_server.state("audited")["home_score"] == 1
