"""The composition root: the one place that picks concrete adapters and wires them.

``build`` picks each part from the settings: PostgreSQL, Kafka and Redis where they
are configured, the embedded part (SQLite files in the data directory, in-process
log and broker) where not. ``build_in_memory`` is the same wiring on memory twins,
for tests. ``Services.start(role)`` runs the workers of a role.
"""

from entrypoints.composition.parts import build, build_embedded, build_in_memory
from entrypoints.composition.services import Services
from entrypoints.composition.wiring import wire
from entrypoints.settings import WORKERS

__all__ = ["WORKERS", "Services", "build", "build_embedded", "build_in_memory", "wire"]
