"""Checked reads of one field of a raw StatsBomb JSON object.

Each reader returns the field as a typed value or raises :class:`StatsBombFormatError`
naming ``where`` (the event, e.g. ``"event 3 (index 4)"``) and the offending value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from adapters.statsbomb.format_error import StatsBombFormatError, show


def is_int(value: object) -> TypeGuard[int]:
    """Whether ``value`` is a JSON integer (an ``int``, not a ``bool``)."""
    return isinstance(value, int) and not isinstance(value, bool)


def int_field(raw: Mapping[str, Any], key: str, where: str, low: int, high: int | None) -> int:
    """``raw[key]``, an integer ``low..high`` (no upper bound when ``high`` is None)."""
    value = raw.get(key)
    if is_int(value) and low <= value and (high is None or value <= high):
        return value
    bound = f"{low}..{high}" if high is not None else f">= {low}"
    raise StatsBombFormatError(f"{where}: {key!r} must be an integer {bound}, not {show(value)}")


def object_field(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    """``raw[key]`` when it is an object; ``None`` when absent or null."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise StatsBombFormatError(f"{where}: {key!r} must be an object, not {show(value)}")
    return value


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
