"""Reading the ``resultSets`` of a stats.nba.com answer, and checked reads of one cell.

stats.nba.com answers ``{"resultSets": [{"name", "headers": [...], "rowSet": [[...], ...]}]}``.
:func:`result_set` gives one set's rows as ``{header: value}`` dicts; the cell readers
return a typed value or raise :class:`NbaStatsFormatError` naming the row and the value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from adapters.nba_stats.format_error import NbaStatsFormatError
from adapters.provider_format import RawFields


def result_set(data: object, name: str, what: str) -> list[dict[str, Any]] | None:
    """The rows of the set called ``name`` in the answer ``data`` (``what`` it is, for
    messages); ``None`` if it has no such set."""
    if not isinstance(data, Mapping) or not _is_list(data.get("resultSets")):
        raise NbaStatsFormatError(f"{what} must be a JSON object with a 'resultSets' list")
    for position, found in enumerate(data["resultSets"]):
        if not isinstance(found, Mapping):
            raise NbaStatsFormatError(f"{what}: resultSets[{position}] is not a JSON object")
        if found.get("name") != name:
            continue
        headers, rows = found.get("headers"), found.get("rowSet")
        if not _is_list(headers) or not all(isinstance(h, str) for h in headers):
            raise NbaStatsFormatError(f"{what}: the {name} headers must be a list of strings")
        if not _is_list(rows):
            raise NbaStatsFormatError(f"{what}: the {name} rowSet must be a list")
        for number, row in enumerate(rows):
            if not _is_list(row) or len(row) != len(headers):
                raise NbaStatsFormatError(
                    f"{what}: {name} row {number} must be a list of {len(headers)} values"
                )
        return [dict(zip(headers, row, strict=True)) for row in rows]
    return None


_FIELDS = RawFields(NbaStatsFormatError)
integer = _FIELDS.integer
text = _FIELDS.text


def required(value: int | None, key: str, where: str) -> int:
    """``value`` (an :func:`integer` read), which the row must have."""
    if value is None:
        raise NbaStatsFormatError(f"{where}: {key} is missing")
    return value


def _is_list(value: object) -> TypeGuard[Sequence[Any]]:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))
