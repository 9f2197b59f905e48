"""CPU time of each thread of this process on ``/metrics``, by its Python name.

``scoreline_thread_cpu_seconds_total{thread="follower:game_state_0"}`` is the user and
system time the kernel has counted for that thread (``/proc/self/task/*/stat``), read at
scrape time. In one process every read model, the recorder and the fans' event loop
share one interpreter lock, so which of them takes the CPU is what an operator needs to
know when the fans' latency grows (``rate()`` of it: cores busy per thread).

Threads are named after their Python ``threading`` name; a thread Python does not know
(none, so far) is ``native:<tid>``. Where ``/proc`` is not there (not Linux), the
collector yields nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

_TASKS = Path("/proc/self/task")


def thread_cpu_seconds() -> dict[str, float]:
    """Each live thread's CPU seconds so far, by name (empty where /proc is missing)."""
    if not _TASKS.is_dir():
        return {}
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for task in _TASKS.iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is fields[0]
        tid = int(task.name)
        name = names.get(tid, f"native:{tid}")
        found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return found


class ThreadCpuCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "scoreline_thread_cpu_seconds",
            "CPU time (user + system) of each thread of this process, by its name.",
            labels=["thread"],
        )
        for name, seconds in sorted(thread_cpu_seconds().items()):
            family.add_metric([name], seconds)
        yield family


__all__ = ["ThreadCpuCollector", "thread_cpu_seconds"]
