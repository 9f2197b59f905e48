"""``scoreline bench fanout``: one goal to N SSE subscribers of one game, beside Nchan.

N subscribers (spread over several load-generator processes, ``bench/fanout_load.py``:
one process holds under 20,000 sockets here, and one Python process cannot read
10,000 streams fast enough alone) stream one game from ONE gateway process (an
embedded ``scoreline serve`` whose broker is Redis), and N more subscribe to one
Nchan channel (``bench/nchan.py``), in the same run: both crowds connected and idle,
the bench publishes goals to the two in turn (``bench/fanout_targets.py``) and every
subscriber stamps its receipt. The clock starts just before the publish in both:
Redis PUBLISH to the gateway's upstream channel, HTTP POST to Nchan's publisher;
what is measured is the fan-out, publish to every receipt (provider-to-fan latency
is ``bench.fleet_latency``'s).

Reported per target and round: p50/p90/p99/max over every (subscriber, goal)
receipt, receipts missing, the target's CPU and the load generator's own CPU over
the goals, RSS growth per idle subscriber (the gateway a fresh process each round).
``--sse-starlette`` adds, after each round, the same fan-out as one sse-starlette
response per subscriber (the measurement behind the gateway's raw ASGI stream).
The last line with --json is one JSON object: medians over the rounds, each
round's figures in ``rounds``. Other engineers share these 2 cores: read the
same-run ratio, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import fanout_targets as targets
from bench.nchan import running_nchan
from bench.report import percentile
from bench.services import free_port, redis_prefix


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--subscribers", type=int, default=10_000, help="SSE subscribers (10000)")
    p.add_argument("--processes", type=int, help="load-generator processes (N/2500, >= 2)")
    p.add_argument("--rounds", type=int, default=3, help="rounds, each both targets (3)")
    p.add_argument("--goals", type=int, default=5, help="goals per target per round (5)")
    p.add_argument("--pause", type=float, default=1.0, help="seconds between goals (1)")
    p.add_argument("--profile", type=Path, help="py-spy the gateway into this directory")
    p.add_argument(
        "--uvloop",
        action="store_true",
        help="install uvloop before the gateway starts (serving.py already runs uvicorn's "
        "loop, uvloop when installed; this matters only for the sse-starlette peer)",
    )
    p.add_argument(
        "--send-path",
        action="store_true",
        help="the gateway with the hub's direct transport writes off: every frame through "
        "uvicorn's ASGI send, as before them (an A/B of the direct path against Nchan)",
    )
    p.add_argument(
        "--sse-starlette",
        action="store_true",
        help="also measure the same fan-out as one sse-starlette response per subscriber",
    )
    p.add_argument("--json", action="store_true", help="end with one JSON line")


def run(args: argparse.Namespace) -> int:
    processes = args.processes or max(2, math.ceil(args.subscribers / 2500))
    shares = [
        args.subscribers // processes + (i < args.subscribers % processes) for i in range(processes)
    ]
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fanout-bench-") as tmp, redis_prefix() as prefix:
        nchan_port = free_port()
        with running_nchan(nchan_port, Path(tmp) / "nchan", args.subscribers) as nginx:
            for number in range(args.rounds):
                rounds.append(one_round(number, Path(tmp), prefix, nginx, nchan_port, shares, args))
                print_round(number, rounds[-1])
    summary = summarise(rounds, args.subscribers, processes)
    if args.json:
        print(json.dumps(summary))
    else:
        print(json.dumps(summary, indent=2))
    return 0


def one_round(
    number: int,
    tmp: Path,
    prefix: str,
    nginx: int,
    nchan_port: int,
    shares: list[int],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The gateway (a fresh process) and Nchan, goals interleaved; then sse-starlette."""
    base, goals = 1000 * number, args.goals
    with contextlib.ExitStack() as stack:
        ours, state = stack.enter_context(
            targets.gateway(
                tmp / f"g{number}", prefix, sum(shares), base, args.uvloop, args.send_path
            )
        )
        peer = stack.enter_context(
            targets.nchan(nginx, nchan_port, f"fanout{number}", base + 500, goals, state)
        )
        profile = None
        if args.profile is not None:
            from bench.profiling import profiled

            profile = profiled({"gateway": [ours.pid]}, args.profile)
        found = targets.measure_together([ours, peer], shares, goals, args.pause, profile)
    result: dict[str, Any] = {
        "scoreline": found["scoreline"],
        "nchan": found["nchan"],
        "p99_ratio": ratio(found["scoreline"], found["nchan"]),
    }
    if args.sse_starlette:
        with targets.sse_starlette(prefix, number, base + 700, goals, state, args.uvloop) as naive:
            result["sse_starlette"] = targets.measure_together([naive], shares, goals, args.pause)[
                "sse_starlette"
            ]
        result["sse_starlette_p99_ratio"] = ratio(result["sse_starlette"], found["nchan"])
    return result


def ratio(ours: dict[str, Any], peer: dict[str, Any]) -> float:
    return float(ours["p99_ms"] / peer["p99_ms"]) if peer["p99_ms"] else math.nan


def median(values: Sequence[float]) -> float:
    return percentile([v for v in values if not math.isnan(v)], 0.5)


def summarise(rounds: list[dict[str, Any]], subscribers: int, processes: int) -> dict[str, Any]:
    def over(target: str, key: str) -> list[float]:
        return [float(r[target][key]) for r in rounds]

    ratios = [float(r["p99_ratio"]) for r in rounds]
    rss = over("scoreline", "rss_kb_per_connection")
    return {
        "subscribers": subscribers,
        "generator_processes": processes,
        "rounds_run": len(rounds),
        "scoreline_p50_ms": round(median(over("scoreline", "p50_ms")), 1),
        "scoreline_p99_ms": round(median(over("scoreline", "p99_ms")), 1),
        "nchan_p50_ms": round(median(over("nchan", "p50_ms")), 1),
        "nchan_p99_ms": round(median(over("nchan", "p99_ms")), 1),
        "p99_ratio": round(median(ratios), 2),
        "p99_ratio_range": [round(min(ratios), 2), round(max(ratios), 2)],
        # Goal n of each target is published seconds apart: the median over every
        # round's goals of (our p99 / Nchan's p99) for the same n is the least noisy.
        "paired_goal_p99_ratio": round(median(paired_goal_ratios(rounds)), 2),
        "rss_kb_per_connection": round(median(rss), 1),
        "rss_kb_per_connection_range": [round(min(rss), 1), round(max(rss), 1)],
        # nginx runs the whole benchmark: only its first round starts from a fresh process.
        "nchan_rss_kb_per_connection": round(rounds[0]["nchan"]["rss_kb_per_connection"], 1),
        **sse_starlette_summary(rounds),
        "missing_receipts": {
            "scoreline": sum(int(r["scoreline"]["missing"]) for r in rounds),
            "nchan": sum(int(r["nchan"]["missing"]) for r in rounds),
        },
        "rounds": rounds,
    }


def paired_goal_ratios(rounds: list[dict[str, Any]]) -> list[float]:
    return [
        ours / peer
        for r in rounds
        for ours, peer in zip(
            r["scoreline"]["p99_ms_per_goal"], r["nchan"]["p99_ms_per_goal"], strict=False
        )
        if peer
    ]


def sse_starlette_summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    if not all("sse_starlette" in r for r in rounds):
        return {}
    naive = [r["sse_starlette"] for r in rounds]
    return {
        "sse_starlette_p50_ms": round(median([f["p50_ms"] for f in naive]), 1),
        "sse_starlette_p99_ms": round(median([f["p99_ms"] for f in naive]), 1),
        "sse_starlette_p99_ratio": round(median([r["sse_starlette_p99_ratio"] for r in rounds]), 2),
        "sse_starlette_rss_kb_per_connection": round(
            median([f["rss_kb_per_connection"] for f in naive]), 1
        ),
    }


def print_round(number: int, r: dict[str, Any]) -> None:
    for name in ("scoreline", "nchan", "sse_starlette"):
        if name not in r:
            continue
        f = r[name]
        print(
            f"round {number + 1} {name:9}: p50 {f['p50_ms']:7.1f} ms  p99 {f['p99_ms']:7.1f} ms"
            f"  max {f['max_ms']:7.1f} ms  missing {f['missing']}  "
            f"{f['rss_kb_per_connection']:.1f} KB/conn  target CPU {f['target_cpu_s']:.2f} s"
            f"  generator CPU {f['generator_cpu_s']:.2f} s",
            file=sys.stderr,
            flush=True,
        )
    print(f"round {number + 1} p99 ratio {r['p99_ratio']:.2f}", file=sys.stderr, flush=True)
