"""How the followers of the read models no fan waits for (history, standings, player
stats, the notifier's) are paced: ``LogFollower`` keyword arguments."""

from __future__ import annotations

from typing import Final

OFF_PATH_LINGER: Final = 1.0
"""Once woken, a follower of one waits this long, so that a batch holds what was
recorded meanwhile (fewer, larger transactions, for a bounded delay)."""

EMBEDDED_BATCH: Final = 50
EMBEDDED_BREATHER: Final = 2.0
"""In a process that also serves the fans (embedded: one interpreter, one GIL), they fold
batches of at most 50 events and rest twice a batch's time after each: a second's events
folded in one stretch took the fans' p99 from ~22 to ~90 ms at 200 events/s
(BENCHMARKS.md, section 2). Their share of the GIL is then at most a third while behind."""
