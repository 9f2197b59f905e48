"""How the followers no fan waits for (history, standings, player stats, the notifier's)
are paced: ``LogFollower`` keyword arguments."""

from __future__ import annotations

from typing import Final

OFF_PATH_LINGER: Final = 3.0
"""Once woken, a follower of the history, the standings or the player stats waits this
long, so that a batch holds what was recorded meanwhile (fewer, larger transactions, for
a bounded delay). Such a batch costs about as much for a few events of a game as for
many (each game it touches has its board read and saved whole), so at a live pace every
batch touches every live game: at 1 s, the fans' p99 carried a stall every 1.1 s
(BENCHMARKS.md, section 2, 2026-12-06); their answers are cached for 60 s anyway
(``GET /leaderboards``). ``/readyz`` counts a follower waiting out its linger at the head
as caught up (``LogFollower.lingering_at_head``)."""

NOTIFIER_LINGER: Final = 1.0
"""The notifier's linger, shorter: a final score is pushed as soon as it is folded (goals
and cards wait ``SCORELINE_NOTIFY_HOLD_SECONDS`` first, 30 s by default)."""

EMBEDDED_BATCH: Final = 50
EMBEDDED_BREATHER: Final = 2.0
"""In a process that also serves the fans (embedded: one interpreter, one GIL), they fold
batches of at most 50 events and rest twice a batch's time after each: a second's events
folded in one stretch took the fans' p99 from ~22 to ~90 ms at 200 events/s
(BENCHMARKS.md, section 2). Their share of the GIL is then at most a third while behind."""
