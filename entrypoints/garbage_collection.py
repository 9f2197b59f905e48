"""The serving process's garbage collector, kept to young objects, and its GIL switch
interval (see :class:`LongLivedSetAside`); a command's heap left to its exit
(:func:`leave_heap_to_exit`)."""

from __future__ import annotations

import asyncio
import gc

SWITCH_INTERVAL = 0.001  # seconds a thread holds the GIL while another waits for it
FULL_COLLECTION_EVERY = 600.0  # seconds between full collections of what was set aside


class LongLivedSetAside:
    """The process's cyclic garbage collector, kept to young objects.

    What start-up built, and then whatever survives a collection of the middle
    generation (long-lived by then: games, boards, caches, streams), is set aside from
    collection (``gc.freeze``), so that no collection walks it again: otherwise a full
    collection walks every live object, and at 200 events/s they measured 53-87 ms (12-28
    with start-up alone frozen) every few seconds, each stopping the process
    (BENCHMARKS.md, section 2). Reference counting frees set-aside objects as usual;
    only cycles among them wait for :meth:`collect_fully`, which the server runs every
    ``FULL_COLLECTION_EVERY`` seconds (a pause that long-lived garbage cycles cannot
    outgrow).
    """

    def install(self) -> None:
        gc.collect()
        gc.freeze()
        gc.callbacks.append(self._after_collection)

    def remove(self) -> None:
        if self._after_collection in gc.callbacks:
            gc.callbacks.remove(self._after_collection)

    def _after_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] >= 1:
            gc.freeze()  # the survivors, just moved to the oldest generation

    def collect_fully(self) -> int:
        """Collect every generation, set-aside objects included; set the survivors
        aside again. Returns what ``gc.collect`` found unreachable."""
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        return found

    async def collect_fully_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self.collect_fully()


def leave_heap_to_exit() -> None:
    """For a command whose process ends next: set every live object aside from
    collection, so the interpreter's collections on the way out do not walk what the
    command built. A rebuild of every model over 1M events spent 4.4 s between its
    last swap and its exit in ``gc_collect_main``, 0.15 s with this (BENCHMARKS.md,
    the rebuild's 2026-12-02 runs); nothing is lost,
    the process's memory goes back to the system as it ends."""
    gc.freeze()
