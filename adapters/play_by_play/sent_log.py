"""The native events already sent for a game, as a live adapter is handed them back.

:func:`checked_log` makes sure ``previous`` is a native log of the game being converted
(each event's fields of the right types, ``assists`` a list of strings, ids distinct,
revisions referencing an earlier plain event), raising the adapter's error otherwise;
:func:`sent_teams` only looks for its teams. Nothing here knows a provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.sports import REVISION_TYPES, EventType

_TYPE_NAMES = frozenset(kind.value for kind in EventType)
_FIELD_TYPES: tuple[tuple[str, type], ...] = (
    ("team_id", str),
    ("player_id", str),
    ("description", str),
    ("clock_seconds", int),
    ("period", int),
    ("player_name", str),
)


def checked_log(
    previous: object, scheduled: Mapping[str, Any], error: type[ValueError]
) -> list[Mapping[str, Any]]:
    """``previous`` if it is a native log of the game ``scheduled`` opens; else ``error``."""
    if isinstance(previous, (str, bytes)) or not isinstance(previous, Sequence):
        raise error(f"previous must be a list of native events, not {type(previous).__name__}")
    ids: set[str] = set()
    plain: set[str] = set()  # the ids a revision may reference
    for position, native in enumerate(previous):
        where = f"previous[{position}]"
        if not isinstance(native, Mapping):
            raise error(f"{where} is {type(native).__name__}, not a native event")
        _check_native(native, where, scheduled, ids, plain, error)
        ids.add(native["event_id"])
        if native["event_type"] not in REVISION_TYPES:
            plain.add(native["event_id"])
    return list(previous)


def _check_native(
    native: Mapping[str, Any],
    where: str,
    scheduled: Mapping[str, Any],
    ids: set[str],
    plain: set[str],
    error: type[ValueError],
) -> None:
    event_id, kind = native.get("event_id"), native.get("event_type")
    number = native.get("sequence_number")
    if not isinstance(event_id, str) or not event_id or event_id in ids:
        raise error(f"{where}: 'event_id' must be a string no other event has")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise error(f"{where}: 'sequence_number' must be an integer >= 1")
    if not isinstance(kind, str) or kind not in _TYPE_NAMES:
        raise error(f"{where}: 'event_type' must be a native event type")
    for key in ("game_id", "sport"):
        if native.get(key) != scheduled[key]:
            raise error(f"{where}: {key!r} must be {scheduled[key]!r}")
    _check_fields(native, where, error)
    if kind == EventType.GAME_SCHEDULED:
        schedule = native.get("schedule")
        if not isinstance(schedule, Mapping) or not all(
            isinstance(schedule.get(key), str) for key in ("home_team_id", "away_team_id")
        ):
            raise error(f"{where}: a GAME_SCHEDULED needs a schedule with both team ids")
    if kind in REVISION_TYPES:
        target = native.get("references_event_id")
        if not isinstance(target, str) or target not in plain:
            raise error(f"{where}: a revision must reference a plain event before it")
    if kind == EventType.EVENT_CORRECTED:
        correction = native.get("correction")
        if not isinstance(correction, Mapping):
            raise error(f"{where}: an EVENT_CORRECTED needs a correction object")
        _check_fields(correction, f"{where}.correction", error)
        corrected = correction.get("event_type")
        if corrected is not None and (
            not isinstance(corrected, str)
            or corrected not in _TYPE_NAMES
            or corrected in REVISION_TYPES
        ):
            raise error(f"{where}.correction: 'event_type' must be a plain native event type")


def _check_fields(values: Mapping[str, Any], where: str, error: type[ValueError]) -> None:
    for key, wanted in _FIELD_TYPES:
        value = values.get(key)
        if value is not None and (not isinstance(value, wanted) or isinstance(value, bool)):
            raise error(f"{where}: {key!r} must be a {wanted.__name__} or null")
    assists = values.get("assists")
    if assists is not None and (
        isinstance(assists, (str, bytes))
        or not isinstance(assists, Sequence)
        or not all(isinstance(player, str) for player in assists)
    ):
        raise error(f"{where}: 'assists' must be a list of player ids or null")


def sent_teams(previous: object) -> tuple[str, str] | None:
    """The (home, away) team ids of the last schedule in ``previous``, if it has one.

    Lenient (it only looks); :func:`revise` checks ``previous`` in full.
    """
    if isinstance(previous, (str, bytes)) or not isinstance(previous, Sequence):
        return None
    teams: tuple[str, str] | None = None
    for native in previous:
        if isinstance(native, Mapping) and native.get("event_type") == "GAME_SCHEDULED":
            schedule = native.get("schedule")
            if isinstance(schedule, Mapping):
                home, away = schedule.get("home_team_id"), schedule.get("away_team_id")
                if isinstance(home, str) and isinstance(away, str):
                    teams = (home, away)
    return teams
