"""Provider-to-fan latency at a live provider's pace: POST one event -> SSE frame.

One round, on fresh services: G live games scheduled (one batch), one SSE fan per
game per gateway (``--fans-per-game`` more) in a process of their own, then a paced
provider POSTs single events (one of each game in turn) at R events/s for D seconds.
Latency = the fan's receipt time minus the time just before the provider's POST
(time.monotonic() in both processes: CLOCK_MONOTONIC, one clock for the machine).

Systems: the fleet (ingest, recorder, projector, gateway x1 by default: webhook ->
Kafka -> recorder -> PostgreSQL -> projector -> Redis pub/sub -> gateway -> SSE) and
the embedded single process (``scoreline serve``, no services).
Peers, same round, same pace and same receiving process: Redis PUBLISH -> SUBSCRIBE
through the fleet's Redis (G channels, payloads the size of a gateway message), and
a Kafka produce (acks=all, idempotent, like ingest) -> consume (the recorder's fetch
settings) round trip on the fleet's broker: the infrastructure floor.

    .venv/bin/python -m bench.fleet_latency [--rate 200] [--duration 30] [--games 100]
        [--rounds 3] [--gateways 1] [--fans-per-game 1] [--split-read-models]
        [--no-embedded] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.fans import Fans, Spec
from bench.fleet import (
    PROVIDER,
    SPLIT_PROJECTORS,
    Fleet,
    running_embedded,
    running_fleet,
    scrape,
)
from bench.latency_peers import figures, latencies, measure_peer
from bench.profiling import profiled
from bench.pushing import PacedPush, post_once
from bench.report import (
    CpuWindow,
    busiest_tables,
    emit_json,
    figure,
    machine_facts,
    per_event,
    pg_counters,
    spread,
    table,
)
from bench.stages import stages
from bench.traffic import LiveGame, live_games, round_robin, webhook

TARGETS = {"fleet": "p99 < 50 ms", "embedded": "p99 < 30 ms"}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.fleet_latency", description=__doc__)
    p.add_argument("--rate", type=float, default=200, help="events a second")
    p.add_argument("--duration", type=float, default=30, help="seconds of load")
    p.add_argument("--games", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--ingest", type=int, default=1, help="ingest nodes (requests spread)")
    p.add_argument("--gateways", type=int, default=1)
    p.add_argument("--connections", type=int, default=16, help="the provider's HTTP pool")
    p.add_argument("--fans-per-game", type=int, default=1)
    p.add_argument(
        "--split-read-models",
        action="store_true",
        help="two projectors: the game states in one, the other read models in the other",
    )
    p.add_argument("--no-embedded", action="store_true")
    p.add_argument("--no-kafka-peer", action="store_true")
    p.add_argument("--no-redis-peer", action="store_true")
    p.add_argument("--only-embedded", action="store_true", help="skip the fleet and peers")
    p.add_argument("--profile", type=Path, help="py-spy every service process into DIR")
    p.add_argument(
        "--timeline",
        type=Path,
        help="write each event's POST, 202 and fan receipts (monotonic seconds) to"
        " DIR/<system>-round-N.json, to see when the slow ones were sent",
    )
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


async def schedule(games: Sequence[LiveGame], ingest: str, gateways: Sequence[str]) -> None:
    """Every game's GAME_SCHEDULED in one delivery; wait until every gateway lists them."""
    await post_once(webhook(ingest, PROVIDER), [g.events[0] for g in games])
    async with httpx.AsyncClient(timeout=30) as http:
        deadline = time.monotonic() + 60
        for gateway in gateways:
            while len((await http.get(f"{gateway}/games")).json()["games"]) < len(games):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the schedules never reached {gateway}")
                await asyncio.sleep(0.1)


def measure_scoreline(fleet: Fleet, games: list[LiveGame], args: Any) -> dict[str, Any]:
    """The paced provider against a running fleet (or the embedded process)."""
    ingest = [m.url for m in fleet.of("ingest") or fleet.of("all")]
    gateways = [m.url for m in fleet.of("gateway") or fleet.of("all")]
    asyncio.run(schedule(games, ingest[0], gateways))
    events = list(round_robin(games, skip=1))[: int(args.rate * args.duration)]
    streams = [
        f"{gw}/games/{g.game_id}/stream"
        for gw in gateways
        for g in games
        for _ in range(args.fans_per_game)
    ]
    expected = len(events) * len(gateways) * args.fans_per_game
    fans = Fans(Spec("sse", streams, expected)).start()
    window = CpuWindow({"pusher": [os.getpid()], "fans": [fans.pid], **fleet.pids()})
    urls = [webhook(u, PROVIDER) for u in ingest]
    push = PacedPush(events, urls, args.rate, connections=args.connections)
    label = "all" if fleet.of("all") else "fleet"
    profile = args.profile / f"{label}-round-{args.round}" if args.profile else None
    offset = time.time() - time.monotonic()
    database = fleet.env.get("SCORELINE_DATABASE_URL")
    before = pg_counters(database) if database else {}
    threads_before = fleet_thread_seconds(fleet)  # where each process's CPU goes
    with profiled(fleet.pids(), profile):
        window.start()
        asyncio.run(push.run())
        cpu = window.stop()
    threads = thread_cores(threads_before, fleet_thread_seconds(fleet), push.seconds)
    receipts, _ = fans.finish(grace=20)
    if push.failures:
        raise RuntimeError(f"{len(push.failures)} deliveries failed: {push.failures[0]}")
    if args.timeline:
        write_timeline(args.timeline / f"{label}-round-{args.round}.json", push, receipts)
    breakdown = stages(
        gateways[0], [g.game_id for g in games], push.sent, push.answered, receipts, offset
    )
    database_work = per_event(before, pg_counters(database), len(events)) if database else {}
    return figures(
        latencies(push.sent, receipts),
        expected,
        rate=len(events) / push.seconds,
        late_sends=push.late,
        provider_backlog=push.backlog,
        cpu_cores=cpu,
        stages=breakdown,
        postgres_per_event=database_work,
        thread_cores=threads,
    )


def write_timeline(path: Path, push: PacedPush, receipts: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    timeline = {
        "sent": push.sent,
        "answered": push.answered,
        "receipts": {k: list(v) for k, v in receipts.items()},
    }
    path.write_text(json.dumps(timeline))


THREAD_CPU = "scoreline_thread_cpu_seconds_total"


def thread_seconds(url: str) -> dict[str, float]:
    """Each thread's CPU seconds so far in a process, from its /metrics."""
    prefix = THREAD_CPU + '{thread="'
    return {
        name[len(prefix) : -2]: value
        for name, value in scrape(url).items()
        if name.startswith(prefix)
    }


def fleet_thread_seconds(fleet: Fleet) -> dict[str, float]:
    """Every member's threads, named ``role-port:thread`` (just ``thread`` embedded)."""
    seconds: dict[str, float] = {}
    for m in fleet.members:
        prefix = "" if m.role == "all" else f"{m.role}-{m.port}:"
        seconds.update({prefix + n: v for n, v in thread_seconds(m.url).items()})
    return seconds


def thread_cores(
    before: dict[str, float], after: dict[str, float], seconds: float
) -> dict[str, float]:
    """Cores busy per thread over the load, busiest first (threads under 0.5 % left out)."""
    cores = {n: (v - before.get(n, 0.0)) / max(seconds, 1e-9) for n, v in after.items()}
    return dict(sorted(((n, c) for n, c in cores.items() if c >= 0.005), key=lambda i: -i[1]))


def one_round(number: int, games: list[LiveGame], args: Any) -> dict[str, Any]:
    """Fleet, Redis peer and Kafka peer on one set of services (their order rotated
    each round), then the embedded process."""
    result: dict[str, Any] = {"round": number}
    args.round = number
    if args.only_embedded:  # no fleet services, no peers
        with running_embedded() as embedded:
            result["embedded"] = measure_scoreline(embedded, games, args)
        return result
    roles = {"ingest": args.ingest, "recorder": 1, "projector": 1, "gateway": args.gateways}
    if args.split_read_models:
        roles["projector"] = 0
    with running_fleet(roles, extra=SPLIT_PROJECTORS if args.split_read_models else ()) as fleet:
        steps: list[tuple[str, Any]] = []
        if not args.only_embedded:
            steps.append(("fleet", lambda: measure_scoreline(fleet, games, args)))
        if not args.no_redis_peer:
            steps.append(("redis_peer", lambda: measure_peer("redis", fleet, games, args)))
        if not args.no_kafka_peer:
            steps.append(("kafka_peer", lambda: measure_peer("kafka", fleet, games, args)))
            steps.append(("kafka_peer_10ms", lambda: measure_peer("kafka", fleet, games, args, 10)))
        shift = (number - 1) % max(1, len(steps))
        for name, step in steps[shift:] + steps[:shift]:
            result[name] = step()
    if not args.no_embedded:
        with running_embedded() as embedded:
            result["embedded"] = measure_scoreline(embedded, games, args)
    for name in ("fleet", "embedded"):
        if name in result and "redis_peer" in result:
            for q in ("p50_ms", "p99_ms"):
                result[name][f"{q}_ratio"] = result[name][q] / result["redis_peer"][q]
    return result


SYSTEMS = ("fleet", "embedded", "redis_peer", "kafka_peer", "kafka_peer_10ms")


def summarise(rounds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name in SYSTEMS:
        if name not in rounds[0]:
            continue
        keys = [k for k, v in rounds[0][name].items() if isinstance(v, int | float)]
        summary[name] = {k: spread([r[name][k] for r in rounds]) for k in keys}
        summary[name]["cpu_cores"] = {
            k: spread([r[name]["cpu_cores"][k] for r in rounds])
            for k in rounds[0][name]["cpu_cores"]
        }
    return summary


def print_report(rounds: Sequence[dict[str, Any]], args: Any) -> None:
    def col(name: str, key: str, digits: int = 1) -> str:
        return figure([r[name][key] for r in rounds], digits)

    rows = []
    for name in SYSTEMS:
        if name in rounds[0]:
            ratio = name in ("fleet", "embedded")
            rows.append(
                [
                    name,
                    col(name, "p50_ms"),
                    col(name, "p99_ms"),
                    col(name, "p99_ms_ratio", 1) if ratio and "redis_peer" in rounds[0] else "",
                    col(name, "max_ms", 0),
                    f"{sum(r[name]['received'] for r in rounds)}"
                    f"/{sum(r[name]['expected'] for r in rounds)}",
                    col(name, "rate", 0),
                    col(name, "provider_backlog", 0) if name in ("fleet", "embedded") else "",
                    TARGETS.get(name, ""),
                ]
            )
    print(
        f"\n{args.rate:g} events/s for {args.duration:g} s over {args.games} games, "
        f"{args.gateways} gateway(s), {args.fans_per_game} fan(s) per game per gateway, "
        f"{len(rounds)} rounds: median (min-max)"
    )
    headers = ["system", "p50 ms", "p99 ms", "p99 / redis p99", "max ms", "received"]
    print(table([*headers, "events/s", "provider queue max", "target"], rows))
    print("\nWhere the time goes (per event, ms): median over rounds of each round's p50 / p99")
    for name in ("fleet", "embedded"):
        if name in rounds[0]:
            cells = []
            for stage in rounds[0][name]["stages"]:
                p50 = spread([r[name]["stages"][stage]["p50_ms"] for r in rounds])["median"]
                p99 = spread([r[name]["stages"][stage]["p99_ms"] for r in rounds])["median"]
                cells.append(f"{stage} {p50:.1f} / {p99:.1f}")
            print(f"{name}: " + ", ".join(cells))
    if "fleet" in rounds[0]:
        work = rounds[0]["fleet"]["postgres_per_event"]
        cells = [
            f"{k} {spread([r['fleet']['postgres_per_event'][k] for r in rounds])['median']:.1f}"
            for k in work
            if ":" not in k
        ]
        print("fleet PostgreSQL work per event (median): " + ", ".join(cells))
        print("  index scans per event by table (round 1): " + busiest_tables(work))
    print("\nCPU during each load, cores busy (1.00 = one core): median (min-max)")
    for name in SYSTEMS:
        if name in rounds[0]:
            cores = rounds[0][name]["cpu_cores"]
            cells = [f"{k} {figure([r[name]['cpu_cores'][k] for r in rounds], 2)}" for k in cores]
            print(f"{name}: " + ", ".join(cells))
    for name in ("fleet", "embedded"):
        if name in rounds[0] and rounds[0][name].get("thread_cores"):
            print(f"\n{name} by thread, cores busy (round 1, /metrics):")
            print(", ".join(f"{k} {v:.3f}" for k, v in rounds[0][name]["thread_cores"].items()))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    per_game = 1 + math.ceil(args.rate * args.duration / args.games)
    games = live_games(args.games, per_game)
    rounds = []
    for number in range(1, args.rounds + 1):
        rounds.append(one_round(number, games, args))
        line = ", ".join(
            f"{n} p50 {rounds[-1][n]['p50_ms']:.1f} p99 {rounds[-1][n]['p99_ms']:.1f} ms"
            for n in SYSTEMS
            if n in rounds[-1]
        )
        print(f"round {number}: {line}", file=sys.stderr, flush=True)
    print_report(rounds, args)
    if args.json:
        given = sys.argv[1:] if argv is None else list(argv)
        emit_json(
            {
                "benchmark": "fleet_latency",
                "command": " ".join(["python -m bench.fleet_latency", *given]),
                "settings": vars(args),
                "machine": machine_facts(),
                "summary": summarise(rounds),
                "rounds": rounds,
            }
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
