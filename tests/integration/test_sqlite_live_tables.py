"""A SQLite rebuild makes the live file's missing tables as the live store would
(adapters/sqlite_read_model_copies.py), and leaves a complete live file alone: a data
directory without a model, or from before one of its tables, is rebuilt and audited
equal; a live file with every table is not opened by its store (its mirror not loaded)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from adapters.sqlite_read_model_copies import SQLiteCopies
from entrypoints.read_model_commands import audit, rebuild
from entrypoints.read_model_registry import SQLITE_READ_MODELS
from tests.integration.test_rebuild_and_audit import run, scripts, sqlite_deployment


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}


def test_a_missing_model_and_a_missing_table_are_made_then_rebuilt(tmp_path: Path) -> None:
    deployment = sqlite_deployment(tmp_path, scripts(3))
    try:
        deployment.catch_up()
        player_stats = tmp_path / "player_stats.sqlite"
        assert not player_stats.exists()  # the deployment keeps no player stats
        status, output = run(rebuild, deployment.settings, "all", False)
        assert status == 0, output
        assert "player_names" in tables(player_stats)
        with sqlite3.connect(player_stats) as conn:  # a data dir from before names
            conn.execute("DROP TABLE player_names")
        status, output = run(rebuild, deployment.settings, "player_stats", False)
        assert status == 0, output
        assert "player_names" in tables(player_stats)
        status, report = run(audit, deployment.settings)
        assert status == 0, report
    finally:
        deployment.close()


def test_a_complete_live_file_is_not_opened_by_its_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = sqlite_deployment(tmp_path, scripts(2))
    try:
        deployment.catch_up()
        model = SQLITE_READ_MODELS["game_state"]
        opened: list[str] = []

        def counting_open(path: str) -> object:
            opened.append(Path(path).name)
            return model.open(path)

        counted = type(model)(
            model.name, model.file_name, counting_open, model.projection, model.tables
        )
        SQLiteCopies(counted, tmp_path, deployment.keeper.name).close()
        assert opened == []
        (tmp_path / "other").mkdir()
        SQLiteCopies(counted, tmp_path / "other", deployment.keeper.name).close()
        assert opened == ["views.sqlite"]  # a new data directory: its tables made
    finally:
        deployment.close()
