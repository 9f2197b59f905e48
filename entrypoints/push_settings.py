"""The push-notification settings: the notifier's hold window, the fan-out queue and
the APNs and FCM credentials. Read once from the environment, like ``Settings``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class PushSettingsError(Exception):
    """A push setting is malformed or incomplete; the message names it."""


APNS_KEYS = (
    "SCORELINE_APNS_KEY_FILE",
    "SCORELINE_APNS_KEY_ID",
    "SCORELINE_APNS_TEAM_ID",
    "SCORELINE_APNS_TOPIC",
)


@dataclass(frozen=True)
class PushSettings:
    # A goal waits this long before it is sent: retracted inside it, nothing is sent.
    hold_seconds: float = 30.0
    # An event recorded longer ago than this when the notifier first sees it is news no
    # more (a notifier started on a season's log must not push it all again).
    max_age: float = 900.0
    # Devices are spread over this many fan-out shards (token hash); a shard's batches
    # all go to one partition of the notifications topic.
    shards: int = 64
    batch_size: int = 500  # devices per fan-out record
    topic: str = "notifications"  # the Kafka fan-out queue in production
    partitions: int = 12
    worker_concurrency: int = 200  # sends in flight per notification worker
    apns_url: str = "https://api.push.apple.com"
    apns_key_file: Path | None = None  # the .p8 signing key (ES256)
    apns_key_id: str = ""
    apns_team_id: str = ""
    apns_topic: str = ""  # the app's bundle id
    fcm_url: str = "https://fcm.googleapis.com"
    fcm_credentials_file: Path | None = None  # a service-account JSON key
    ca_file: Path | None = None  # an extra CA to trust (local APNs/FCM test servers)

    @property
    def apns_configured(self) -> bool:
        return self.apns_key_file is not None

    @property
    def fcm_configured(self) -> bool:
        return self.fcm_credentials_file is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PushSettings:
        values: dict[str, Any] = {}
        for name, key in (
            ("SCORELINE_NOTIFY_HOLD_SECONDS", "hold_seconds"),
            ("SCORELINE_NOTIFY_MAX_AGE", "max_age"),
        ):
            if env.get(name):
                values[key] = _seconds(name, env[name])
        for name, key in (
            ("SCORELINE_NOTIFY_SHARDS", "shards"),
            ("SCORELINE_NOTIFY_BATCH_SIZE", "batch_size"),
            ("SCORELINE_NOTIFICATIONS_PARTITIONS", "partitions"),
            ("SCORELINE_NOTIFY_WORKER_CONCURRENCY", "worker_concurrency"),
        ):
            if env.get(name):
                values[key] = _count(name, env[name])
        for name, key in (
            ("SCORELINE_NOTIFICATIONS_TOPIC", "topic"),
            ("SCORELINE_APNS_URL", "apns_url"),
            ("SCORELINE_APNS_KEY_ID", "apns_key_id"),
            ("SCORELINE_APNS_TEAM_ID", "apns_team_id"),
            ("SCORELINE_APNS_TOPIC", "apns_topic"),
            ("SCORELINE_FCM_URL", "fcm_url"),
        ):
            if env.get(name):
                values[key] = env[name]
        for name, key in (
            ("SCORELINE_APNS_KEY_FILE", "apns_key_file"),
            ("SCORELINE_FCM_CREDENTIALS_FILE", "fcm_credentials_file"),
            ("SCORELINE_PUSH_CA_FILE", "ca_file"),
        ):
            if env.get(name):
                values[key] = Path(env[name])
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise PushSettingsError naming the first malformed or missing setting."""
        given = [self.apns_key_file, self.apns_key_id, self.apns_team_id, self.apns_topic]
        if any(given) and not all(given):
            missing = [name for name, value in zip(APNS_KEYS, given, strict=True) if not value]
            raise PushSettingsError(
                f"APNs needs all of {', '.join(APNS_KEYS)}; missing {', '.join(missing)}"
            )
        for name, path in (
            ("SCORELINE_APNS_KEY_FILE", self.apns_key_file),
            ("SCORELINE_FCM_CREDENTIALS_FILE", self.fcm_credentials_file),
            ("SCORELINE_PUSH_CA_FILE", self.ca_file),
        ):
            if path is not None and not path.is_file():
                raise PushSettingsError(f"{name}: no such file {str(path)!r}")
        for name, url in (
            ("SCORELINE_APNS_URL", self.apns_url),
            ("SCORELINE_FCM_URL", self.fcm_url),
        ):
            if not url.startswith(("https://", "http://")):
                raise PushSettingsError(f"{name} must be an https:// URL, got {url!r}")


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise PushSettingsError(f"{name} must be a number of seconds, got {text!r}") from None
    if value < 0:
        raise PushSettingsError(f"{name} must not be negative, got {text!r}")
    return value


def _count(name: str, text: str) -> int:
    if not text.strip().isdigit() or int(text) <= 0:
        raise PushSettingsError(f"{name} must be a whole number above 0, got {text!r}")
    return int(text)
