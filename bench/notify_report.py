"""The notification benchmark's figures: per round, over rounds, printed and as JSON."""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from typing import Any

from bench.notify_load import Pacer
from bench.report import figure, machine_facts, percentile, spread, table

TARGET_PER_S = 20_000
SSE_RATIO_TARGET = 1.10
FIGURES = (
    "devices",
    "registration_s",
    "time_to_last_s",
    "first_accepted_s",
    "notifications_per_s",
    "steady_per_s",
    "peer_per_s",
    "ratio_to_peer",
    "sse_p50_ms_without",
    "sse_p99_ms_without",
    "sse_p50_ms_during",
    "sse_p99_ms_during",
    "sse_ratio",
    "sse_p99_from_post_ms_without",
    "sse_p99_from_post_ms_during",
    "goal_sse_p99_ms",
    "duplicates",
)


def fleet_figures(result: Mapping[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The round's headline figures from its raw measurements (which it then drops)."""
    fleet = result["fleet"]
    pacer: Pacer = fleet.pop("pacer")
    receipts: dict[str, list[float]] = fleet.pop("receipts")
    seconds = fleet["last_at"] - fleet["goal_at"]
    found: dict[str, Any] = {
        "devices": args.devices,
        "registration_s": fleet["registration_s"],
        "accepted": fleet["accepted"],
        "complete": fleet["accepted"] >= args.devices,
        "time_to_last_s": seconds,
        "notifications_per_s": fleet["accepted"] / seconds,
        "first_accepted_s": next((t for t, n in fleet["timeline"] if n > 0), math.nan),
        "steady_per_s": _steady(fleet["timeline"], args.devices),
        "duplicates": fleet["duplicates"],
        "late_sends": pacer.late,
        "fan_reconnects": fleet.get("fan_reconnects", 0),
    }
    fleet["timeline"] = _thin(fleet["timeline"])
    for phase, label in (("calm", "without"), ("during", "during")):
        keys = [k for k, p in pacer.phase_of.items() if p == phase]
        from_202 = [(r - pacer.answered[k]) * 1000 for k in keys for r in receipts.get(k, [])]
        from_post = [(r - pacer.sent[k]) * 1000 for k in keys for r in receipts.get(k, [])]
        found[f"sse_p50_ms_{label}"] = percentile(from_202, 0.5)
        found[f"sse_p99_ms_{label}"] = percentile(from_202, 0.99)
        found[f"sse_max_ms_{label}"] = max(from_202, default=math.nan)
        found[f"sse_p99_from_post_ms_{label}"] = percentile(from_post, 0.99)
        found[f"sse_events_{label}"] = len(keys)
        found[f"sse_received_{label}"] = len(from_202)
        found[f"sse_expected_{label}"] = len(keys) * args.subscribers
    found["sse_ratio"] = found["sse_p99_ms_during"] / found["sse_p99_ms_without"]
    goal = [(r - pacer.sent[pacer.goal_id]) * 1000 for r in receipts.get(pacer.goal_id, [])]
    found["goal_sse_p99_ms"] = percentile(goal, 0.99)  # from before the goal's POST
    found["goal_sse_received"] = len(goal)
    cpu, wall = fleet["cpu_cores"], fleet["cpu_wall_s"]
    found["cpu_s_per_1000"] = {
        k: v * wall / max(1, fleet["accepted"]) * 1000 for k, v in cpu.items()
    }
    if "peer" in result:
        found["peer_per_s"] = result["peer"]["per_s"]
        found["ratio_to_peer"] = found["notifications_per_s"] / found["peer_per_s"]
    return found


def _steady(timeline: Sequence[tuple[float, int]], devices: int) -> float:
    """The rate between 10 % and 90 % of the devices accepted."""
    low = next(((t, n) for t, n in timeline if n >= devices * 0.1), None)
    high = next(((t, n) for t, n in timeline if n >= devices * 0.9), None)
    if low is None or high is None or high[0] <= low[0]:
        return math.nan
    return (high[1] - low[1]) / (high[0] - low[0])


def _thin(timeline: Sequence[tuple[float, int]], points: int = 40) -> list[tuple[float, int]]:
    step = max(1, len(timeline) // points)
    return [(round(t, 3), n) for t, n in timeline[::step]] + [tuple(timeline[-1])]  # type: ignore[list-item]


def summarise(rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        k: spread([r[k] for r in rounds]) for k in FIGURES if all(k in r for r in rounds)
    }
    roles = rounds[0]["cpu_s_per_1000"]
    summary["cpu_s_per_1000"] = {k: spread([r["cpu_s_per_1000"][k] for r in rounds]) for k in roles}
    return summary


def print_report(rounds: Sequence[Mapping[str, Any]], args: argparse.Namespace) -> None:
    def col(key: str, digits: int = 0) -> str:
        values = [r[key] for r in rounds if key in r and not math.isnan(r[key])]
        return figure(values, digits) if values else "n/a"

    nice = "workers at nice 0 (--no-nice)" if args.no_nice else "workers under nice -n 10"
    print(
        f"\n{args.devices:,} devices (half APNs, half FCM) following one team; "
        f"{args.workers} notification workers x {args.concurrency} sends in flight, {nice}; "
        f"local APNs/FCM servers in one process under nice -n 10; {args.subscribers} SSE fans, "
        f"a FOUL every {args.pace:g} s; {len(rounds)} round(s): median (min-max)"
    )
    rows = [
        ["registration (register_many, COPY), s", col("registration_s", 1), ""],
        ["goal 202 -> first notification accepted, s", col("first_accepted_s", 2), ""],
        ["goal 202 -> last notification accepted, s", col("time_to_last_s", 1), ""],
        [
            "notifications/s (devices / that time)",
            col("notifications_per_s"),
            f">= {TARGET_PER_S:,}",
        ],
        ["  steady rate, 10-90 % accepted", col("steady_per_s"), ""],
        ["peer: bare senders, notifications/s", col("peer_per_s"), ""],
        ["ratio to peer", col("ratio_to_peer", 2), ""],
        ["SSE p50 ms, without fan-out (202 -> fan)", col("sse_p50_ms_without", 1), ""],
        ["SSE p99 ms, without fan-out", col("sse_p99_ms_without", 1), ""],
        ["SSE p50 ms, during fan-out", col("sse_p50_ms_during", 1), ""],
        ["SSE p99 ms, during fan-out", col("sse_p99_ms_during", 1), ""],
        ["SSE p99 during / without", col("sse_ratio", 2), f"<= {SSE_RATIO_TARGET}"],
        [
            "SSE p99 ms from before the POST: without / during",
            f"{col('sse_p99_from_post_ms_without', 1)} / {col('sse_p99_from_post_ms_during', 1)}",
            "",
        ],
        ["goal's own SSE p99 ms (from before its POST)", col("goal_sse_p99_ms", 1), ""],
        ["duplicates (servers' dedup keys seen twice)", col("duplicates"), "0"],
    ]
    print(table(["figure", "value", "target"], rows))
    for r in rounds:
        f = r["fleet"]
        print(
            f"round {r['round']}: accepted {r['accepted']:,}/{r['devices']:,}; SSE receipts "
            f"{r['sse_received_without']:,}/{r['sse_expected_without']:,} without, "
            f"{r['sse_received_during']:,}/{r['sse_expected_during']:,} during; "
            f"late sends {r['late_sends']}; fans resumed {r['fan_reconnects']} times;"
            f" pipeline {f['pipeline']}"
        )
        print(
            f"  load average: start {_load(r['load_average_start'])}, calm "
            f"{_load(f['load_average_calm'])}, end of fan-out {_load(f['load_average_during'])}"
        )
    print("\nCPU during the fan-out (goal POST -> last accepted): CPU s per 1,000 notifications")
    cpu_rows = []
    for role in rounds[0]["cpu_s_per_1000"]:
        cores = [r["fleet"]["cpu_cores"][role] for r in rounds]
        calm = [r["fleet"]["cpu_cores_calm"].get(role, math.nan) for r in rounds]
        peer = [r["peer"]["cpu_s_per_1000"].get(role, math.nan) for r in rounds if "peer" in r]
        cpu_rows.append(
            [
                role,
                figure([r["cpu_s_per_1000"][role] for r in rounds], 3),
                figure(cores, 2),
                figure(calm, 2),
                figure(peer, 3) if peer and not math.isnan(peer[0]) else "",
            ]
        )
    if "peer" in rounds[0]:
        cpu_rows.append(
            [
                "peer senders",
                "",
                "",
                "",
                figure([r["peer"]["cpu_s_per_1000"]["peer senders"] for r in rounds], 3),
            ]
        )
    headers = ["process", "CPU s / 1,000", "cores during", "cores calm", "peer CPU s / 1,000"]
    print(table(headers, cpu_rows))


def _load(values: Sequence[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def report_json(
    rounds: Sequence[Mapping[str, Any]], args: argparse.Namespace, command: str
) -> dict[str, Any]:
    summary = summarise(rounds)
    head = {k: v["median"] for k, v in summary.items() if k != "cpu_s_per_1000"}
    settings = {k: v for k, v in vars(args).items() if k not in ("run", "argv")}
    return {
        "benchmark": "notify",
        "command": command,
        **head,
        "target_per_s": TARGET_PER_S,
        "sse_ratio_target": SSE_RATIO_TARGET,
        "cpu_s_per_1000": {k: v["median"] for k, v in summary["cpu_s_per_1000"].items()},
        "load_average": [r["fleet"]["load_average_during"] for r in rounds],
        "nice": {
            "push_servers": 10,
            "notification_workers": 0 if args.no_nice else 10,
            "peer_senders": 0 if args.no_nice else 10,
        },
        "settings": settings,
        "machine": machine_facts(),
        "summary": summary,
        "rounds": rounds,
    }
