"""Checked reads of one field of a raw NHL statsapi JSON object.

Each reader returns the field as a typed value (``None`` when absent or null, unless it is
required) or raises :class:`NhlStatsapiFormatError` naming ``where`` and the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.nhl_statsapi.format_error import NhlStatsapiFormatError, show

_MINUTES = re.compile(r"([0-9]{1,2}):([0-5][0-9])")


def obj(
    raw: Mapping[str, Any], key: str, where: str, *, required: bool = False
) -> Mapping[str, Any]:
    """``raw[key]``, an object (empty when absent and not required)."""
    value = raw.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise NhlStatsapiFormatError(f"{where}: {key!r} must be an object, not {show(value)}")
    return value


def items(raw: Mapping[str, Any], key: str, where: str) -> Sequence[Any]:
    """``raw[key]``, a list (empty when absent)."""
    value = raw.get(key)
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise NhlStatsapiFormatError(f"{where}: {key!r} must be a list, not {show(value)}")
    return value


def integer(
    raw: Mapping[str, Any],
    key: str,
    where: str,
    low: int = 0,
    high: int | None = None,
    *,
    required: bool = False,
) -> int | None:
    """``raw[key]``, an integer ``low..high``."""
    value = raw.get(key)
    if value is None and not required:
        return None
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and low <= value
        and (high is None or value <= high)
    ):
        return value
    bound = f"{low}..{high}" if high is not None else f">= {low}"
    raise NhlStatsapiFormatError(f"{where}: {key!r} must be an integer {bound}, not {show(value)}")


def text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    """``raw[key]``, a string."""
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise NhlStatsapiFormatError(f"{where}: {key!r} must be a string, not {show(value)}")
    return value


def minutes(raw: Mapping[str, Any], key: str, where: str) -> int | None:
    """``raw[key]``, a game time ``"mm:ss"``, in seconds."""
    value = text(raw, key, where)
    if value is None:
        return None
    match = _MINUTES.fullmatch(value)
    if match is None:
        raise NhlStatsapiFormatError(f"{where}: {key!r} must be like '12:46', not {show(value)}")
    return int(match[1]) * 60 + int(match[2])
