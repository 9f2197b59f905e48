"""How the device registries store a device (shared by memory, SQLite, PostgreSQL).

- What a device follows is stored as *targets*: ``team:<id>`` and ``game:<id>``.
- What it wants is a bitmask (:data:`WANT_BITS`); ``all`` has a bit of its own, so a
  device that asked for ``all`` reads back as ``all``, and :func:`interest_mask` picks
  the devices that :meth:`Device.wants_to_hear` an interest.
- :func:`merged_page` merges each target's page of followers (each in token order)
  into one page of distinct tokens: a page costs ``limit`` rows per target, whatever
  the size of the audience.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from domain.devices import Device, Interest, Platform
from domain.push import Target

WANT_BITS = {Interest.GOALS: 1, Interest.FINALS: 2, Interest.CARDS: 4, Interest.ALL: 8}


@dataclass(frozen=True)
class PrunedDevice:
    """A token a push service refused: when (unix seconds) and why."""

    token: str
    reason: str
    pruned_at: float


def wants_mask(wants: Iterable[Interest]) -> int:
    mask = 0
    for want in wants:
        mask |= WANT_BITS[want]
    return mask


def wants_from_mask(mask: int) -> frozenset[Interest]:
    return frozenset(want for want, bit in WANT_BITS.items() if mask & bit)


def interest_mask(interest: Interest) -> int:
    """The wants bits of a device that hears ``interest`` (as Device.wants_to_hear)."""
    return WANT_BITS[interest] | WANT_BITS[Interest.ALL]


def device_targets(device: Device) -> list[str]:
    """What a device follows, as targets, sorted."""
    return sorted([*(f"team:{t}" for t in device.teams), *(f"game:{g}" for g in device.games)])


def audience_targets(teams: Collection[str], game_id: str) -> list[str]:
    """The targets whose followers hear about a game of ``teams`` (no game when "")."""
    targets = {f"team:{t}" for t in teams}
    if game_id:
        targets.add(f"game:{game_id}")
    return sorted(targets)


def encode_targets(targets: Iterable[str]) -> str:
    """Targets as one text, separated by the unit separator (ids hold no control
    characters; domain.devices' ``$`` lets one trailing newline through, not this)."""
    return "\x1f".join(targets)


def decode_targets(text: str) -> list[str]:
    return text.split("\x1f") if text else []


def token_of(device: Device) -> str:
    return device.token


def device_from_targets(token: str, platform: str, wants: int, targets: Iterable[str]) -> Device:
    teams: list[str] = []
    games: list[str] = []
    for target in targets:
        kind, _, value = target.partition(":")
        (teams if kind == "team" else games).append(value)
    return Device(
        token, Platform(platform), frozenset(teams), frozenset(games), wants_from_mask(wants)
    )


def merged_page(pages: Sequence[Sequence[tuple[str, str]]], limit: int) -> list[Target]:
    """The first ``limit`` distinct tokens of token-ordered (token, platform) pages."""
    platforms = {p.value: p for p in Platform}
    filled = [page for page in pages if page]
    if len(filled) == 1:  # the usual audience: one team's followers
        return [Target(token, platforms[platform]) for token, platform in filled[0][:limit]]
    found: list[Target] = []
    last = None
    for token, platform in heapq.merge(*filled):
        if token != last:
            found.append(Target(token, platforms[platform]))
            last = token
            if len(found) == limit:
                break
    return found


def check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")


def latest_by_token(devices: Sequence[Device]) -> dict[str, Device]:
    """One registration per token, the last one given (register_many upserts in order)."""
    return {device.token: device for device in devices}


__all__ = [
    "WANT_BITS",
    "PrunedDevice",
    "audience_targets",
    "check_limit",
    "decode_targets",
    "device_from_targets",
    "device_targets",
    "encode_targets",
    "interest_mask",
    "latest_by_token",
    "merged_page",
    "token_of",
    "wants_from_mask",
    "wants_mask",
]
