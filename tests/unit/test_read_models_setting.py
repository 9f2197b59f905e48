"""SCORELINE_READ_MODELS / --read-models: which read models a projector process writes."""

from __future__ import annotations

import argparse

import pytest

from entrypoints.cli.options import settings_from_args
from entrypoints.settings import Settings, SettingsError

ALL = ("game_state", "history", "standings", "player_stats")


def test_unset_a_projector_writes_every_read_model() -> None:
    settings = Settings.from_env({}, role="projector")
    assert settings.read_models is None
    assert all(settings.projects(name) for name in ALL)


def test_the_environment_or_the_flag_names_them_and_the_flag_wins() -> None:
    env = {"SCORELINE_READ_MODELS": " history , standings,player_stats "}
    settings = Settings.from_env(env, role="projector")
    assert settings.read_models == frozenset({"history", "standings", "player_stats"})
    assert [n for n in ALL if settings.projects(n)] == ["history", "standings", "player_stats"]
    args = argparse.Namespace(role="projector", read_models="game_state")
    flagged = settings_from_args(args)
    assert [n for n in ALL if flagged.projects(n)] == ["game_state"]


def test_roles_that_do_not_project_write_none() -> None:
    for role in ("ingest", "recorder", "gateway"):
        assert not any(Settings.from_env({}, role=role).projects(n) for n in ALL)
    assert all(Settings.from_env({}, role="all").projects(n) for n in ALL)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("game_state,scores", "got scores"),
        (",", "got none"),
        ("standings", "standings and player_stats are projected together"),
        ("game_state,player_stats", "name both or neither"),
    ],
)
def test_a_wrong_list_is_refused_naming_the_setting(text: str, says: str) -> None:
    with pytest.raises(SettingsError, match="SCORELINE_READ_MODELS") as refused:
        Settings.from_env({"SCORELINE_READ_MODELS": text}, role="projector")
    assert says in str(refused.value)


def test_it_is_refused_for_another_role() -> None:
    with pytest.raises(SettingsError, match="is for --role projector, not 'all'"):
        Settings.from_env({"SCORELINE_READ_MODELS": "game_state"})
