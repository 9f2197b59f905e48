"""``scoreline bench spike [--games 10] [--fans 4] [--surge 50] [--rounds 3] [--json]``

A goal's spike through the edge: Varnish (``deploy/varnish/default.vcl``) in front of one
gateway process (``scoreline serve``, embedded). Per round, ``--games`` live games each
have ``--fans`` pollers polling through the edge as the fan page does (``If-None-Match``,
every 1 s plus a 0-2 s jitter). Then every game scores, and within ``--ramp`` seconds
(5) each game's pollers jump to ``--surge`` times as many (50x); the spike is held for
``--hold`` seconds more.

Reported, per round and as medians over rounds with their range:
- the origin's requests per game per second during the spike (target: at most one per
  game per second per edge, over the spike), from the gateway's own count of state
  requests (its near-cache hits and misses), sampled every second; with the busiest
  3-second and 1-second windows beside it;
- the fans' staleness: for the pollers polling when the goal went in, how long until they
  saw it (from the provider's push being accepted); and over every answer in the spike,
  how long the state it showed had been superseded (0 for a current one);
- the answers per second the edge served, and the load generator's own CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import uvloop

from bench.edge import running_edge
from bench.http1 import Connection
from bench.poll_peers import Gateway, gateway
from bench.report import CpuWindow, emit_json, percentile, spread

TARGET_ORIGIN_PER_GAME_PER_SECOND = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--games", type=int, default=10)
    parser.add_argument("--fans", type=int, default=4, help="pollers per game before the goal")
    parser.add_argument("--surge", type=int, default=50, help="times as many after the goal")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds the surge takes")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds the spike is held")
    parser.add_argument("--calm", type=float, default=6.0, help="seconds before the goal")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")


@dataclass
class Round:
    goal_at: dict[str, float] = field(default_factory=dict)  # game -> push accepted
    goal_version: dict[str, int] = field(default_factory=dict)
    seen_goal: list[float] = field(default_factory=list)  # pollers present at the goal
    staleness: list[float] = field(default_factory=list)  # every answer in the spike
    answers: int = 0
    errors: int = 0
    origin_samples: list[tuple[float, float]] = field(default_factory=list)  # (requests, s)


def run(args: argparse.Namespace) -> int:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(measure(args))
    print(report(result))
    if args.json:
        emit_json(result)
    return 0


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    rounds: list[dict[str, Any]] = []
    with (
        gateway(args.games * args.rounds) as origin,
        running_edge(origin.port) as (edge_url, edge_pids),
    ):
        port = int(edge_url.rsplit(":", 1)[1])
        for number in range(args.rounds):
            games = origin.games[number * args.games : (number + 1) * args.games]
            pids = {"generator": [os.getpid()], "gateway": [origin.pid], "varnish": edge_pids}
            window = CpuWindow(pids).start()
            found = await _round(args, origin, port, games)
            rounds.append(_figures(args, found, window.stop()))
    return _summary(args, rounds)


async def _round(args: argparse.Namespace, origin: Gateway, port: int, games: list[str]) -> Round:
    state = Round()
    loop = asyncio.get_running_loop()
    started = loop.time()
    goal_time = started + args.calm
    end = goal_time + args.ramp + args.hold
    tasks = [
        asyncio.create_task(_poller(state, port, g, started, goal_time, end, present=True))
        for g in games
        for _ in range(args.fans)
    ]
    for g in games:
        for _ in range(args.fans * (args.surge - 1)):
            join = goal_time + random.uniform(0, args.ramp)
            tasks.append(
                asyncio.create_task(_poller(state, port, g, join, goal_time, end, present=False))
            )
    sampler = asyncio.create_task(_sample_origin(state, origin, len(games), goal_time, end))
    await asyncio.sleep(max(0.0, goal_time - loop.time()))
    for g in games:
        before = origin.seq[g]
        await asyncio.to_thread(origin.goal, g)
        state.goal_at[g] = loop.time()
        state.goal_version[g] = before + 1  # the goal is the game's next version
    await asyncio.gather(*tasks)
    await sampler
    return state


async def _poller(
    state: Round,
    port: int,
    game: str,
    start: float,
    goal_time: float,
    end: float,
    *,
    present: bool,
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start - loop.time()) + random.uniform(0, 2))
    conn = Connection("127.0.0.1", port)
    path = f"/games/{game}/state"
    etag: str | None = None
    seen_new = False
    try:
        while loop.time() < end:
            headers = {"If-None-Match": etag} if etag else {}
            try:
                answer = await conn.request("GET", path, headers=headers)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                state.errors += 1
                await asyncio.sleep(0.5)
                continue
            now = loop.time()
            if answer.status in (200, 304):
                etag = answer.headers.get("etag", etag)
                version = int((etag or '"v0"').strip('"W/v') or 0)
                goal_at = state.goal_at.get(game)
                if goal_at is not None:
                    state.answers += 1
                    current = version >= state.goal_version[game]
                    state.staleness.append(0.0 if current else now - goal_at)
                    if current and present and not seen_new:
                        seen_new = True
                        state.seen_goal.append(now - goal_at)
            else:
                state.errors += 1
            await asyncio.sleep(1.0 + random.uniform(0, 2))
    finally:
        conn.close()


async def _sample_origin(
    state: Round, origin: Gateway, games: int, goal_time: float, end: float
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, goal_time - loop.time()))
    last, at = await asyncio.to_thread(origin.state_requests), loop.time()
    while loop.time() < end:
        await asyncio.sleep(1.0)
        now_count, now = await asyncio.to_thread(origin.state_requests), loop.time()
        state.origin_samples.append(((now_count - last) / games, now - at))
        last, at = now_count, now


def _figures(args: argparse.Namespace, found: Round, cores: dict[str, float]) -> dict[str, Any]:
    spike_seconds = args.ramp + args.hold
    return {
        "origin_rps_per_game": _rate(found.origin_samples, len(found.origin_samples)),
        "origin_rps_per_game_max_1s": _rate(found.origin_samples, 1),
        "origin_rps_per_game_max_3s": _rate(found.origin_samples, 3),
        "edge_answers_per_second": found.answers / spike_seconds,
        "pollers_at_peak": args.games * args.fans * args.surge,
        "seen_goal_p50_s": percentile(found.seen_goal, 0.5),
        "seen_goal_p99_s": percentile(found.seen_goal, 0.99),
        "seen_goal_max_s": max(found.seen_goal, default=float("nan")),
        "stale_answer_share": sum(1 for s in found.staleness if s > 0) / max(1, found.answers),
        "staleness_p99_s": percentile(found.staleness, 0.99),
        "staleness_max_s": max(found.staleness, default=float("nan")),
        "errors": found.errors,
        "cores": cores,
    }


def _rate(samples: list[tuple[float, float]], width: int) -> float:
    """The highest request rate over ``width`` consecutive samples (all: the mean)."""
    if not samples:
        return float("nan")
    width = max(1, min(width, len(samples)))
    windows = [samples[i : i + width] for i in range(len(samples) - width + 1)]
    return max(sum(n for n, _ in w) / sum(t for _, t in w) for w in windows)


def _summary(args: argparse.Namespace, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k, v in rounds[0].items() if isinstance(v, int | float)]
    medians = {k: statistics.median(r[k] for r in rounds) for k in keys}
    return {
        "benchmark": "spike",
        "games": args.games,
        "fans_per_game": args.fans,
        "surge": args.surge,
        "ramp_s": args.ramp,
        "hold_s": args.hold,
        "rounds": args.rounds,
        **medians,
        "target_origin_rps_per_game": TARGET_ORIGIN_PER_GAME_PER_SECOND,
        "met": medians["origin_rps_per_game"] <= TARGET_ORIGIN_PER_GAME_PER_SECOND,
        "spread": {k: spread([r[k] for r in rounds]) for k in keys},
        "per_round": rounds,
        "generator_cores": spread([r["cores"]["generator"] for r in rounds]),
        "at": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def report(result: dict[str, Any]) -> str:
    s = result["spread"]

    def line(key: str, label: str, digits: int = 2) -> str:
        f = s[key]
        return (
            f"  {label:<44} {f['median']:.{digits}f} ({f['min']:.{digits}f}-{f['max']:.{digits}f})"
        )

    return "\n".join(
        [
            f"spike: {result['games']} games, {result['fans_per_game']} -> "
            f"{result['fans_per_game'] * result['surge']} pollers per game within "
            f"{result['ramp_s']:.0f} s of a goal, {result['rounds']} rounds (median, range)",
            line("origin_rps_per_game", "origin requests/game/s over the spike"),
            line("origin_rps_per_game_max_3s", "  busiest 3 s"),
            line("origin_rps_per_game_max_1s", "  busiest second (phase of the 1 s TTLs)"),
            line("edge_answers_per_second", "answers/s served by the edge", 0),
            line("seen_goal_p50_s", "fans polling at the goal: saw it after p50 (s)"),
            line("seen_goal_p99_s", "  p99 (s)"),
            line("seen_goal_max_s", "  max (s)"),
            line("stale_answer_share", "share of spike answers older than the goal"),
            line("staleness_max_s", "stalest answer (s since superseded)"),
            line("errors", "errors", 0),
            f"  target: origin <= {result['target_origin_rps_per_game']} per game per second"
            f" per edge; met: {result['met']}",
            f"  load generator cores: {result['generator_cores']}",
        ]
    )
