"""Line formats of push streams: by name, how one line becomes GameEvents.

A *line converter* takes one line of a stream (bytes, no newline; never a heartbeat)
and returns the GameEvents it carries (maybe none), or raises ConversionError.
Converters are made per :func:`entrypoints.push_stream.follow` call by a factory
given the provider's name, so one may keep state across the lines of a stream.

Built in: ``native`` (each line a native event or a JSON list of them). Provider
adapters add theirs with :func:`register_format`.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.native_format import NativeFormatError, parse
from domain.events import GameEvent

LineConverter = Callable[[bytes], list[GameEvent]]
FormatFactory = Callable[[str], LineConverter]


class ConversionError(ValueError):
    """A line the format cannot read; the message says why."""


class UnknownFormat(ValueError):
    pass


def _native(provider: str) -> LineConverter:
    def convert(line: bytes) -> list[GameEvent]:
        try:
            return parse(line, provider=provider)
        except NativeFormatError as error:
            raise ConversionError(str(error)) from None

    return convert


_FORMATS: dict[str, FormatFactory] = {"native": _native}


def register_format(name: str, factory: FormatFactory) -> None:
    """Make ``follow(..., format=name)`` use converters made by ``factory(provider)``."""
    _FORMATS[name] = factory


def format_names() -> list[str]:
    return sorted(_FORMATS)


def converter_for(name: str, provider: str) -> LineConverter:
    factory = _FORMATS.get(name)
    if factory is None:
        raise UnknownFormat(f"unknown push-stream format {name!r}; known: {format_names()}")
    return factory(provider)
