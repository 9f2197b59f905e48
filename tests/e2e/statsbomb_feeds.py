"""Real StatsBomb matches as native events, converted by ``scoreline feed convert``."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.shared_data import shared_file


def scoreline(*args: str, stdin: bytes | None = None) -> bytes:
    """Run the ``scoreline`` command; its stdout (the test fails on a non-zero exit)."""
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def convert(file_id: str, game_id: str, home: str, away: str) -> list[dict[str, Any]]:
    """A shared-data StatsBomb match as native events (skipped if the file is absent)."""
    path = shared_file(f"soccer/statsbomb/{file_id}.events.json")
    out = scoreline(
        "feed",
        "convert",
        "--format",
        "statsbomb",
        str(path),
        "--game-id",
        game_id,
        "--home-team",
        home,
        "--away-team",
        away,
    )
    return [json.loads(line) for line in out.decode().splitlines()]
