"""The throughput benchmark's summary over rounds and its printed report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.report import busiest_tables, figure, spread, table


def over(rounds: Sequence[dict[str, Any]], path: str) -> list[float]:
    """One figure (a dotted path into each round's result) over the rounds."""
    values = []
    for r in rounds:
        value: Any = r
        for key in path.split("."):
            value = value[key]
        values.append(float(value))
    return values


def summarise(rounds: Sequence[dict[str, Any]], args: Any) -> dict[str, Any]:
    keys = ["system.events_per_s", "system.every_read_model_per_s"]
    keys += ["system.steady_recorded_per_s", "system.accepted_per_s"]
    keys += ["peer.events_per_s", "ratio"] + (["direct.events_per_s"] if args.direct else [])
    keys += [f"system.cpu_cores.{k}" for k in rounds[0]["system"]["cpu_cores"]]
    keys += [f"system.cpu_ms_per_event.{k}" for k in rounds[0]["system"]["cpu_ms_per_event"]]
    keys += [f"system.postgres_per_event.{k}" for k in rounds[0]["system"]["postgres_per_event"]]
    return {k: spread(over(rounds, k)) for k in keys}


def print_report(rounds: Sequence[dict[str, Any]], args: Any) -> None:
    def col(path: str, digits: int = 0) -> str:
        return figure(over(rounds, path), digits)

    label = "fleet" if args.target == "fleet" else "embedded"
    rows = [
        [f"{label}: first POST -> projected", col("system.events_per_s"), col("ratio", 3)],
        [f"{label}: ... every read model", col("system.every_read_model_per_s"), ""],
        [f"{label}: recorded, steady 10-90 %", col("system.steady_recorded_per_s"), ""],
        [f"{label}: accepted (202s)", col("system.accepted_per_s"), ""],
        ["peer: raw PostgreSQL recorder insert", col("peer.events_per_s"), "1"],
    ]
    if args.direct:
        rows.append(["Scorekeeper.record on PostgreSQL", col("direct.events_per_s"), ""])
    print(f"\n{args.events} events, {args.games} games, {len(rounds)} rounds: median (min-max)")
    print(table(["what", "events/s", "ratio to peer"], rows))
    work = rounds[0]["system"]["postgres_per_event"]
    if work:
        cells = [f"{k} {col(f'system.postgres_per_event.{k}', 2)}" for k in work if ":" not in k]
        print("\nPostgreSQL work per event, median (min-max): " + ", ".join(cells))
        print("  index scans per event by table (round 1): " + busiest_tables(work))
    cores = rounds[0]["system"]["cpu_cores"]
    per = rounds[0]["system"]["cpu_ms_per_event"]
    print("\nCPU during the measured window: median (min-max)")
    rows = [
        [
            k,
            col(f"system.cpu_cores.{k}", 2) if k in cores else "",
            col(f"system.cpu_ms_per_event.{k}", 3) if k in per else "",
        ]
        for k in [*cores, "total"]
    ]
    print(table(["process", "cores busy (1.00 = one core)", "CPU ms per event"], rows))
