"""SCORELINE_KAFKA_FETCH_MAX_WAIT_MS: parsed, checked, and passed to the consumer."""

from __future__ import annotations

import pytest

from adapters.kafka_event_log import KafkaEventLog
from entrypoints.settings import Settings, SettingsError


def test_the_default_is_short_and_the_environment_or_a_flag_sets_it() -> None:
    assert Settings.from_env({}).kafka_fetch_max_wait_ms == 10
    env = {"SCORELINE_KAFKA_FETCH_MAX_WAIT_MS": "250"}
    assert Settings.from_env(env).kafka_fetch_max_wait_ms == 250
    assert Settings.from_env(env, kafka_fetch_max_wait_ms=0).kafka_fetch_max_wait_ms == 0


@pytest.mark.parametrize("text", ["-1", "1.5", "soon"])
def test_a_malformed_wait_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(SettingsError, match="SCORELINE_KAFKA_FETCH_MAX_WAIT_MS"):
        Settings.from_env({"SCORELINE_KAFKA_FETCH_MAX_WAIT_MS": text})


def test_a_negative_flag_is_refused() -> None:
    with pytest.raises(SettingsError, match="fetch-max-wait"):
        Settings.from_env({}, kafka_fetch_max_wait_ms=-5)


def test_the_log_hands_the_wait_to_its_consumers() -> None:
    log = KafkaEventLog("127.0.0.1:9", fetch_max_wait_ms=42)
    assert log.settings.fetch_max_wait_ms == 42
    assert KafkaEventLog("127.0.0.1:9").settings.fetch_max_wait_ms == 10
