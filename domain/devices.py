"""Devices: a fan's phone, the push token it is reached by, and what it follows.

A device is registered (and re-registered: an upsert by token) through ``POST /devices``;
it follows teams and games and says which notifications it wants. Pure: the rules a
registration must keep are the ``check_*`` guards here, raising :class:`DeviceError`
with the JSON pointer of the field at fault.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Platform(enum.StrEnum):
    APNS = "apns"
    FCM = "fcm"


class Interest(enum.StrEnum):
    """What a device wants to hear about. ``ALL`` is every one of the others."""

    GOALS = "goals"
    FINALS = "finals"
    CARDS = "cards"
    ALL = "all"


MAX_TOKEN_LENGTH = 4096  # FCM tokens are ~160 characters, APNs 64 hex digits; leave room
MAX_FOLLOWS = 200  # teams plus games one device may follow
# Letters, digits and _ : - . with at least one that is not a dot: a token of dots alone
# ("." or "..") could not be addressed as the path segment of /devices/{token}.
TOKEN_PATTERN = r"^[A-Za-z0-9_:\-.]*[A-Za-z0-9_:\-][A-Za-z0-9_:\-.]*$"
_TOKEN = re.compile(TOKEN_PATTERN)
_ID = re.compile(r"^[^\x00-\x1f]{1,128}$")


class DeviceError(ValueError):
    """A registration breaks a rule; ``pointer`` is the JSON pointer of the culprit."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass(frozen=True)
class Device:
    token: str
    platform: Platform
    teams: frozenset[str]
    games: frozenset[str]
    wants: frozenset[Interest]

    def wants_to_hear(self, interest: Interest) -> bool:
        return Interest.ALL in self.wants or interest in self.wants

    def to_dict(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "platform": self.platform.value,
            "teams": sorted(self.teams),
            "games": sorted(self.games),
            "wants": sorted(w.value for w in self.wants),
        }


def register_device(data: Mapping[str, Any]) -> Device:
    """The Device a ``POST /devices`` body describes, or :class:`DeviceError`.

    ``wants`` defaults to ``["all"]``; ``teams`` and ``games`` default to empty, but a
    device must follow at least one of them.
    """
    if not isinstance(data, Mapping):
        raise DeviceError("the body must be a JSON object", "")
    unknown = set(data) - {"token", "platform", "teams", "games", "wants"}
    if unknown:
        raise DeviceError(f"unknown field {sorted(unknown)[0]!r}", f"/{sorted(unknown)[0]}")
    token = check_token(data.get("token"))
    platform = check_platform(data.get("platform"))
    teams = check_ids(data.get("teams", []), "/teams")
    games = check_ids(data.get("games", []), "/games")
    check_follows(teams, games)
    wants = check_wants(data.get("wants", ["all"]))
    return Device(token, platform, teams, games, wants)


def check_token(token: Any) -> str:
    if not isinstance(token, str) or not token:
        raise DeviceError("token must be a non-empty string", "/token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise DeviceError(f"token is longer than {MAX_TOKEN_LENGTH} characters", "/token")
    if not _TOKEN.fullmatch(token):
        raise DeviceError(
            "token may hold only letters, digits and _ : - ., not dots alone", "/token"
        )
    return token


def check_platform(platform: Any) -> Platform:
    try:
        return Platform(platform)
    except ValueError:
        raise DeviceError(
            f"platform must be one of {', '.join(p.value for p in Platform)}", "/platform"
        ) from None


def check_ids(ids: Any, pointer: str) -> frozenset[str]:
    if not isinstance(ids, list):
        raise DeviceError("must be a list of ids", pointer)
    for index, value in enumerate(ids):
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise DeviceError(
                "an id is a string of 1 to 128 printable characters", f"{pointer}/{index}"
            )
    return frozenset(ids)


def check_follows(teams: frozenset[str], games: frozenset[str]) -> None:
    if not teams and not games:
        raise DeviceError("a device must follow at least one team or game", "/teams")
    if len(teams) + len(games) > MAX_FOLLOWS:
        raise DeviceError(f"a device may follow at most {MAX_FOLLOWS} teams and games", "/teams")


def check_wants(wants: Any) -> frozenset[Interest]:
    if not isinstance(wants, list) or not wants:
        raise DeviceError("wants must be a non-empty list", "/wants")
    found = set()
    for index, value in enumerate(wants):
        try:
            found.add(Interest(value))
        except ValueError:
            raise DeviceError(
                f"want must be one of {', '.join(i.value for i in Interest)}", f"/wants/{index}"
            ) from None
    return frozenset(found)
