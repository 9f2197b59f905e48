"""How every provider adapter refuses input: one base error, one way of quoting the input,
and checked reads of one field of a raw JSON object.

Each adapter has its own error class (a :class:`ProviderFormatError`) so that callers can
tell which format refused the input; the reads below raise that class, naming ``where``
(the row, action or event being read), the key, what was expected and the value found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard


class ProviderFormatError(ValueError):
    """The input is not in the provider's format (or not something Scoreline can score)."""


def show(value: object) -> str:
    """``repr(value)``, cut short: garbage input can be arbitrarily large."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def is_int(value: object) -> TypeGuard[int]:
    """Whether ``value`` is a JSON integer (an ``int``, not a ``bool``)."""
    return isinstance(value, int) and not isinstance(value, bool)


NAME_LENGTH = 200  # the longest player_name the native format takes


def player_name(value: object) -> str | None:
    """A provider's player name as the native format takes it: white space trimmed and
    cut to ``NAME_LENGTH`` characters (then trimmed again); ``None`` for what is not a
    string or is blank. Never raises: a name is only ever shown, so a bad one is
    dropped, not refused."""
    if not isinstance(value, str):
        return None
    name = value.strip()[:NAME_LENGTH].rstrip()
    return name or None


class RawFields:
    """Checked reads of raw JSON fields that raise ``error`` for a value of the wrong shape.

    A field that is absent or ``null`` reads as ``None`` (or an empty container) unless it
    is required, in which case its absence is refused like a wrong value.
    """

    def __init__(self, error: type[ProviderFormatError]) -> None:
        self.error = error

    def integer(
        self,
        raw: Mapping[str, Any],
        key: str,
        where: str,
        low: int = 0,
        high: int | None = None,
        *,
        required: bool = False,
    ) -> int | None:
        """``raw[key]``, an integer ``low..high`` (no upper bound when ``high`` is None)."""
        value = raw.get(key)
        if value is None and not required:
            return None
        if is_int(value) and low <= value and (high is None or value <= high):
            return value
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise self.error(f"{where}: {key!r} must be an integer {bound}, not {show(value)}")

    def required_integer(
        self, raw: Mapping[str, Any], key: str, where: str, low: int = 0, high: int | None = None
    ) -> int:
        """``raw[key]``, an integer ``low..high`` that must be there."""
        value = self.integer(raw, key, where, low, high, required=True)
        assert value is not None  # required: absence raised above
        return value

    def text(
        self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = False
    ) -> str | None:
        """``raw[key]``, a string."""
        value = raw.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise self.error(f"{where}: {key!r} must be a string, not {show(value)}")
        return value

    def optional_object(
        self, raw: Mapping[str, Any], key: str, where: str
    ) -> Mapping[str, Any] | None:
        """``raw[key]`` when it is an object; ``None`` when absent or null."""
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error(f"{where}: {key!r} must be an object, not {show(value)}")
        return value

    def obj(
        self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = False
    ) -> Mapping[str, Any]:
        """``raw[key]``, an object (empty when absent and not required)."""
        value = self.optional_object(raw, key, where)
        if value is not None:
            return value
        if required:
            raise self.error(f"{where}: {key!r} must be an object, not {show(raw.get(key))}")
        return {}

    def items(self, raw: Mapping[str, Any], key: str, where: str) -> Sequence[Any]:
        """``raw[key]``, a list (empty when absent or null)."""
        value = raw.get(key)
        if value is None:
            return []
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise self.error(f"{where}: {key!r} must be a list, not {show(value)}")
        return value
