"""What the copies of a read model have in common on every backend: how their rows
are listed for comparison, and the store shape they rely on.

- :class:`Rows`: one table's rows as compared (key columns in sort order, then the
  compared columns, JSON columns parsed first), turned into the
  ``(key, canonical JSON)`` rows of projections/read_model_comparison.py.
- :class:`TrackingStore`: a read model store as the copies use it (the library's
  tracking recorders, extended with the model's tables).
- :class:`ShadowBuffering`: how a shadow store is wrapped while it is rebuilt
  (projections/write_behind.py) and flushed before it is listed or swapped in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from projections.read_model_comparison import Key, Row, canonical
from projections.write_behind import ShadowBuffer

Buffer = Callable[..., ShadowBuffer]  # (the shadow store, fresh=) -> its write-behind buffer


class TrackingStore(Protocol):
    @property
    def datastore(self) -> Any: ...
    def create_table(self) -> None: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...


@dataclass(frozen=True)
class Rows:
    """A table's rows as compared: key columns (in sort order) and compared columns.

    ``json``: columns holding JSON text, parsed before comparing. ``text_key``: text
    key columns, which PostgreSQL sorts ``COLLATE "C"`` (code points, as Python does).
    """

    table: str
    key: tuple[str, ...]
    values: tuple[str, ...]
    json: tuple[str, ...] = ()
    text_key: tuple[str, ...] = ()

    def row(self, found: Any) -> Row:
        values = {c: _parsed(found[c]) if c in self.json else found[c] for c in self.values}
        key: Key = (self.table, *(found[c] for c in self.key))
        return key, canonical(values)


def _parsed(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass
class Listing:
    position: int
    _rows: Iterator[Row]

    def rows(self) -> Iterator[Row]:
        return self._rows


class ShadowBuffering:
    """The shadow store a projection writes through while it is rebuilt: the store
    itself, or its write-behind buffer (flushed by :meth:`flush`), told that the
    store is fresh (empty: a shadow copy just made), so it looks nothing up there."""

    def __init__(self, store: Any, buffer: Buffer | None) -> None:
        self.buffer = buffer(store, fresh=True) if buffer is not None else None
        self.store = self.buffer if self.buffer is not None else store

    def flush(self) -> None:
        if self.buffer is not None:
            self.buffer.flush()

    def close(self) -> None:
        """Wait for the buffer's background write, if any (before the shadow's tables
        are dropped or its connections closed); raises its error."""
        if self.buffer is not None:
            self.buffer.close()
