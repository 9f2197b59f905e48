"""Push settings: read from the environment, checked at start with one line naming the
setting at fault; senders are built only for the services that have credentials."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bench.push_servers.credentials import make_apns_key, make_service_account_key
from entrypoints.composition.notifications import push_senders
from entrypoints.push_settings import PushSettings
from entrypoints.settings import Settings, SettingsError


def apns_env(tmp_path: Path) -> dict[str, str]:
    key = make_apns_key()
    return {
        "SCORELINE_APNS_KEY_FILE": str(key.write(tmp_path)),
        "SCORELINE_APNS_KEY_ID": key.key_id,
        "SCORELINE_APNS_TEAM_ID": key.team_id,
        "SCORELINE_APNS_TOPIC": "com.example.scores",
    }


def fcm_env(tmp_path: Path) -> dict[str, str]:
    path = make_service_account_key().write(tmp_path, "https://oauth2.example/token")
    return {"SCORELINE_FCM_CREDENTIALS_FILE": str(path)}


def test_defaults_send_nothing_and_hold_goals_thirty_seconds() -> None:
    push = Settings.from_env({}).push
    assert (push.hold_seconds, push.topic, push.partitions) == (30.0, "notifications", 12)
    assert push_senders(push) == {}


def test_both_services_configured_give_both_senders(tmp_path: Path) -> None:
    env = {**apns_env(tmp_path), **fcm_env(tmp_path), "SCORELINE_NOTIFY_HOLD_SECONDS": "5"}
    push = Settings.from_env(env).push
    assert push.hold_seconds == 5.0
    senders = push_senders(push)
    assert sorted(senders) == ["apns", "fcm"]

    async def close() -> None:
        for sender in senders.values():
            await sender.close()

    asyncio.run(close())


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SCORELINE_APNS_TEAM_ID": ""}, "SCORELINE_APNS_TEAM_ID"),
        ({"SCORELINE_APNS_KEY_FILE": "/nowhere/AuthKey.p8"}, "SCORELINE_APNS_KEY_FILE"),
        ({"SCORELINE_APNS_URL": "ftp://push"}, "SCORELINE_APNS_URL"),
        ({"SCORELINE_NOTIFY_HOLD_SECONDS": "soon"}, "SCORELINE_NOTIFY_HOLD_SECONDS"),
        ({"SCORELINE_NOTIFY_SHARDS": "0"}, "SCORELINE_NOTIFY_SHARDS"),
    ],
)
def test_a_malformed_or_partial_setting_is_named(
    tmp_path: Path, change: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env({**apns_env(tmp_path), **change})


def test_a_key_that_is_no_key_is_named_at_start(tmp_path: Path) -> None:
    env = apns_env(tmp_path)
    Path(env["SCORELINE_APNS_KEY_FILE"]).write_text("-----BEGIN PRIVATE KEY-----\nnope\n")
    with pytest.raises(SettingsError, match="SCORELINE_APNS_KEY_FILE"):
        push_senders(PushSettings.from_env(env))
    account = tmp_path / "account.json"
    account.write_text(json.dumps({"project_id": "p", "client_email": "e", "private_key": "x",
                                   "private_key_id": "k", "token_uri": "https://t"}))  # fmt: skip
    with pytest.raises(SettingsError, match="SCORELINE_FCM_CREDENTIALS_FILE"):
        push_senders(PushSettings.from_env({"SCORELINE_FCM_CREDENTIALS_FILE": str(account)}))
