"""The rebuild's decoding of stored events: the store's mapper, made cheaper where exact.

The store's mapper (eventsourcing's ``Mapper`` with its ``JSONTranscoder``) decodes a
stored event's JSON with Python's ``json`` module and an ``object_hook`` on every dict
(what turns ``{"_type_": "datetime_iso", "_data_": ...}`` back into a datetime). A
stored Game event holds one such object, its ``timestamp``; everything else is plain
JSON. :class:`StoredEventDecoder` decodes those with msgspec instead and applies the
transcoder's own ``datetime_iso`` decoding to the timestamp, then builds the domain
event as the mapper does (``object.__new__`` of the topic's class, its ``__dict__``
the decoded state with the originator id and version).

Guarantees: :meth:`StoredEventDecoder.decode` returns a domain event equal to, of the
same class as and with the same ``__dict__`` as the mapper's ``to_domain_event``. It
takes the fast way only when that is certain to be so, and otherwise calls the mapper
itself: no cipher and no compressor; exactly the library's ``JSONTranscoder``; an
event class at ``class_version`` 1 and a state without ``class_version``; the state's
bytes naming ``"_type_"`` exactly once, as the key of the top-level ``timestamp``
object of type ``datetime_iso`` (so no other object in it is transcoded); msgspec
decoding it without error (it refuses what ``json`` would read differently: NaN,
out-of-range numbers, lone surrogates).
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic

from domain.game import Game

_TYPE_KEY = b'"_type_"'


class StoredEventDecoder:
    """Stored events to domain events, as ``mapper.to_domain_event`` (module docstring)."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        timestamps = getattr(transcoder, "names", {}).get("datetime_iso")
        self._fast = (
            mapper.cipher is None
            and mapper.compressor is None
            and type(transcoder) is JSONTranscoder
            and timestamps is not None
        )
        # The library's own datetime_iso decoding is ``datetime.fromisoformat`` of a
        # str (asserted): called directly when the transcoding is exactly that one.
        self._fromisoformat = datetime.fromisoformat if type(timestamps) is DatetimeAsISO else None
        self._timestamp = timestamps.decode if timestamps is not None else None
        self._decode = msgspec.json.Decoder().decode
        self._classes: dict[str, type | None] = {}  # topic -> class (None: not fast)
        self._ids: dict[tuple[type, type], Any] = {}

    def decode(self, stored: StoredEvent) -> Any:
        """The domain event of ``stored``, equal to ``mapper.to_domain_event(stored)``."""
        topic = stored.topic
        cls = self._classes.get(topic, _UNKNOWN)
        if cls is _UNKNOWN:
            cls = self._class(topic)
        state = stored.state
        if cls is None or state.count(_TYPE_KEY) != 1:
            return self.mapper.to_domain_event(stored)
        try:
            event_state = self._decode(state)
        except msgspec.MsgspecError:
            return self.mapper.to_domain_event(stored)
        if type(event_state) is not dict or "class_version" in event_state:
            return self.mapper.to_domain_event(stored)
        timestamp = event_state.get("timestamp")
        if (
            type(timestamp) is not dict
            or len(timestamp) != 2
            or timestamp.get("_type_") != "datetime_iso"
            or "_data_" not in timestamp
        ):
            return self.mapper.to_domain_event(stored)
        data = timestamp["_data_"]
        if self._fromisoformat is not None and type(data) is str:
            event_state["timestamp"] = self._fromisoformat(data)
        else:
            assert self._timestamp is not None
            event_state["timestamp"] = self._timestamp(data)
        originator_id = stored.originator_id
        if type(originator_id) is not UUID:  # (a UUID is passed through as it is)
            originator_id = self._id(cls, originator_id)
        event_state["originator_id"] = originator_id
        event_state["originator_version"] = stored.originator_version
        domain_event: Any = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", event_state)
        return domain_event

    def _class(self, topic: str) -> type | None:
        """The topic's class if its events may be decoded the fast way: a Game event
        class at class version 1 (None otherwise, and always when not ``_fast``)."""
        cls = resolve_topic(topic)
        fast = (
            self._fast
            and isinstance(cls, type)
            and issubclass(cls, (Game.Scheduled, Game.Recorded))
            and getattr(cls, "class_version", 1) == 1
        )
        found = self._classes[topic] = cls if fast else None
        return found

    def _id(self, cls: type, originator_id: Any) -> Any:
        key = (cls, type(originator_id))
        convert = self._ids.get(key)
        if convert is None:
            convert = self._ids[key] = find_id_convertor(cls, cast(Hashable, type(originator_id)))
        return convert(originator_id)


_UNKNOWN: Any = object()  # a topic not looked up yet


__all__ = ["StoredEventDecoder"]
