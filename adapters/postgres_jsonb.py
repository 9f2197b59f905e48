"""How Scoreline's own PostgreSQL connections encode ``jsonb`` parameters: msgspec.

psycopg encodes a ``Jsonb`` parameter with ``json.dumps`` unless a connection is told
otherwise. The read models pass several every batch (each history row's event, each
game's public state, each player line's stats, each standing's record), and
``json.dumps`` was the largest single step of dumping them; msgspec writes the same
values as compact JSON several times faster. The server parses the text into a
``jsonb`` value and keeps no text, so only the value written counts.

Guarantees of :func:`encode_jsonb`:

- For every value ``json.dumps`` encodes as JSON, it writes JSON that parses to the same
  value (tested for any such value: ``tests/unit/test_postgres_jsonb.py``). Where msgspec
  refuses a value (a dict key that is neither a string nor a number, a string that is
  not valid Unicode) it returns ``json.dumps``'s text itself: the server answers as it
  did before.
- One difference, for values that are not JSON: a float NaN or infinity becomes
  ``null``, where ``json.dumps`` writes ``NaN``/``Infinity``, which PostgreSQL refuses
  (the batch failed on it).

:func:`use_msgspec_jsonb` sets it on one connection (``set_json_dumps`` with that
connection as the context): never globally, so no other user of psycopg in the process
is affected.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from psycopg import Connection
from psycopg.types.json import set_json_dumps

_ENCODE = msgspec.json.Encoder().encode


def encode_jsonb(obj: Any) -> bytes:
    """``obj`` as compact JSON (see the module docstring for how it compares to json)."""
    try:
        return _ENCODE(obj)
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return json.dumps(obj).encode()


def use_msgspec_jsonb(conn: Connection[Any]) -> None:
    """Encode this connection's ``Json``/``Jsonb`` parameters with :func:`encode_jsonb`."""
    set_json_dumps(encode_jsonb, context=conn)


__all__ = ["encode_jsonb", "use_msgspec_jsonb"]
