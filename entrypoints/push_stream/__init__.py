"""The outbound push-stream client: follow a provider's HTTP stream of events.

Entry point: :func:`follow` (runs until cancelled). Formats are pluggable by name
(:func:`register_format`); ``native`` is built in.
"""

from entrypoints.push_stream.follower import DeliveryFailed, FollowStatus, follow
from entrypoints.push_stream.formats import (
    ConversionError,
    UnknownFormat,
    converter_for,
    format_names,
    register_format,
)

__all__ = [
    "ConversionError",
    "DeliveryFailed",
    "FollowStatus",
    "UnknownFormat",
    "converter_for",
    "follow",
    "format_names",
    "register_format",
]
