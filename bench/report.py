"""Figures over rounds (median, min-max), CPU accounting, and the printed report."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.services import CLOCK_TICKS, process_cpu_seconds


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of one figure over the rounds."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / CLOCK_TICKS, sum(fields) / CLOCK_TICKS


SHARED_SERVERS = {"postgres": "postgres", "redis": "redis-server"}


def servers_cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by every process of the shared servers (all PostgreSQL
    backends, Redis), whoever their clients are: read them as upper bounds."""
    total = dict.fromkeys(SHARED_SERVERS, 0.0)
    wanted = {comm: name for name, comm in SHARED_SERVERS.items()}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name = wanted.get((entry / "comm").read_text().strip())
                if name is not None:
                    total[name] += process_cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


@dataclass
class CpuWindow:
    """CPU used by named processes (and the machine) between start() and stop()."""

    pids: Mapping[str, Sequence[int]]
    started: float = 0.0
    before: dict[str, float] = field(default_factory=dict)
    result: dict[str, float] = field(default_factory=dict)  # name -> cores busy (1.0 = one)

    def _sample(self) -> dict[str, float]:
        found = {n: sum(process_cpu_seconds(p) for p in pids) for n, pids in self.pids.items()}
        found.update(servers_cpu_seconds())
        found["machine"], found["machine_total"] = machine_busy()
        return found

    def start(self) -> CpuWindow:
        self.started, self.before = time.monotonic(), self._sample()
        return self

    def stop(self) -> dict[str, float]:
        wall = max(1e-9, time.monotonic() - self.started)
        after = self._sample()
        total = after.pop("machine_total") - self.before["machine_total"]
        busy = after.pop("machine") - self.before["machine"]
        self.result = {k: (v - self.before[k]) / wall for k, v in after.items()}
        self.result["machine"] = busy / max(1e-9, total) * (os.cpu_count() or 1)
        ours = sum(v for k, v in self.result.items() if k != "machine")
        self.result["others"] = max(0.0, self.result["machine"] - ours)  # other tenants
        return self.result


def machine_facts() -> dict[str, Any]:
    free = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(),
        "free_h": free.strip(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table, columns padded, numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row, raw in zip(cells, rows, strict=True):
        lines.append(
            "  ".join(
                c.rjust(w) if isinstance(v, int | float) else c.ljust(w)
                for c, v, w in zip(row, raw, widths, strict=True)
            )
        )
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)


def figure(values: Sequence[float], digits: int = 0, unit: str = "") -> str:
    """``median (min-max)`` of a figure over the rounds."""
    s = spread(values)
    fmt = f"{{:,.{digits}f}}"
    return f"{fmt.format(s['median'])}{unit} ({fmt.format(s['min'])}-{fmt.format(s['max'])})"


def emit_json(payload: Mapping[str, Any]) -> None:
    """The final line of a ``--json`` run: one JSON object."""
    print(json.dumps(payload, separators=(",", ":"), default=str), flush=True)


def pg_counters(database_url: str) -> dict[str, float]:
    """The database's cumulative activity counters (transactions, rows, index scans):
    sample before and after a load and subtract. PostgreSQL flushes them within ~1 s."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit, xact_rollback, tup_inserted, tup_fetched"
            " FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        tables = conn.execute(
            "SELECT relname, coalesce(idx_scan, 0), seq_scan FROM pg_stat_user_tables"
        ).fetchall()
    assert row is not None
    names = ("transactions", "rollbacks", "rows_inserted", "rows_fetched")
    found = {n: float(v) for n, v in zip(names, row, strict=True)}
    found["index_scans"] = float(sum(t[1] for t in tables))
    found["seq_scans"] = float(sum(t[2] for t in tables))
    for name, index_scans, _ in tables:  # per table: "index_scans:<table>"
        found[f"index_scans:{name}"] = float(index_scans)
    return found


def per_event(before: dict[str, float], after: dict[str, float], events: int) -> dict[str, float]:
    """Counter deltas divided by the events of the load."""
    return {k: (after[k] - before.get(k, 0.0)) / max(1, events) for k in after}


def busiest_tables(work: dict[str, float], top: int = 6) -> str:
    """``table n.n, ...``: the tables with the most index scans per event."""
    tables = sorted(
        ((k.split(":", 1)[1], v) for k, v in work.items() if k.startswith("index_scans:")),
        key=lambda kv: -kv[1],
    )
    return ", ".join(f"{name} {value:.1f}" for name, value in tables[:top] if value > 0)
