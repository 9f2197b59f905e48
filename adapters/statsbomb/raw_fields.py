"""Checked reads of one field of a raw StatsBomb JSON object.

The shared readers of :mod:`adapters.provider_format` raising :class:`StatsBombFormatError`
(``where`` is the event, e.g. ``"event 3 (index 4)"``), plus StatsBomb's ``{"id", "name"}`` pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.provider_format import RawFields, is_int
from adapters.statsbomb.format_error import StatsBombFormatError, show

__all__ = ["id_and_name", "int_field", "is_int", "name_of", "object_field"]


_FIELDS = RawFields(StatsBombFormatError)
object_field = _FIELDS.optional_object
int_field = _FIELDS.required_integer


def name_of(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    """``raw[key]["name"]`` (StatsBomb's ``{"id": .., "name": ..}`` pairs), None if absent."""
    value = object_field(raw, key, where)
    if value is None:
        return None
    name = value.get("name")
    if not isinstance(name, str):
        raise StatsBombFormatError(f"{where}: '{key}.name' must be a string, not {show(name)}")
    return name


def id_and_name(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, str] | None:
    """``raw[key]`` as ``(str(id), name)`` (an integer id and a string name), None if absent."""
    value = object_field(raw, key, where)
    if value is None:
        return None
    ident, name = value.get("id"), value.get("name")
    if not is_int(ident) or not isinstance(name, str):
        raise StatsBombFormatError(
            f"{where}: {key!r} must have an integer 'id' and a string 'name', not {show(value)}"
        )
    return str(ident), name
