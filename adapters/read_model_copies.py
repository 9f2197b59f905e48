"""How each backend makes a fresh copy of a read model, lists it and swaps it in.

The ReadModelCopies of projections/rebuild.py, one module per backend, each stating
its guarantees and their limits:

- adapters/sqlite_read_model_copies.py (embedded): a shadow file beside the live one,
  swapped in by one transaction on the live file that replaces the model's rows.
- adapters/postgres_read_model_copies.py: a shadow schema ``<schema>_shadow``,
  swapped in by one transaction that moves its tables into the live schema.
- adapters/read_model_rows.py: what both share (the compared rows, the store shape,
  the shadow's write-behind buffering).

A read model is registered once per backend (entrypoints/read_model_commands.py) as
a :class:`SQLiteReadModel` or :class:`PostgresReadModel`.
"""

from __future__ import annotations

from adapters.postgres_read_model_copies import PostgresCopies, PostgresReadModel, same_partitions
from adapters.read_model_rows import Rows
from adapters.sqlite_read_model_copies import SQLiteCopies, SQLiteReadModel

__all__ = [
    "PostgresCopies",
    "PostgresReadModel",
    "Rows",
    "SQLiteCopies",
    "SQLiteReadModel",
    "same_partitions",
]
