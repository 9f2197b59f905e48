"""Checked reads of one field of a raw NHL statsapi JSON object.

The shared readers of :mod:`adapters.provider_format` raising
:class:`NhlStatsapiFormatError`, plus the statsapi's game clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.nhl_statsapi.format_error import NhlStatsapiFormatError, show
from adapters.provider_format import RawFields

_MINUTES = re.compile(r"([0-9]{1,2}):([0-5][0-9])")
_FIELDS = RawFields(NhlStatsapiFormatError)

obj = _FIELDS.obj
items = _FIELDS.items
integer = _FIELDS.integer
text = _FIELDS.text


def minutes(raw: Mapping[str, Any], key: str, where: str) -> int | None:
    """``raw[key]``, a game time ``"mm:ss"``, in seconds."""
    value = text(raw, key, where)
    if value is None:
        return None
    match = _MINUTES.fullmatch(value)
    if match is None:
        raise NhlStatsapiFormatError(f"{where}: {key!r} must be like '12:46', not {show(value)}")
    return int(match[1]) * 60 + int(match[2])
