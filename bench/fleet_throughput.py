"""Sustained recorded events/s: webhook -> Kafka -> recorders -> PostgreSQL -> projector.

One round: a fresh fleet (ingest x2, recorder x2, projector x1 by default) on a fresh
database, topic and Redis prefix; the consumer group formed and every process warmed
by one event per ingest node; then E events of G live games pushed as fast as the
service takes them (batches of B, W concurrent senders, each owning its games so a
game's events stay in order, spread over the ingest nodes). Measured from the first
POST to the moment the projector's game states hold every event (its /metrics count
of projected events), polled every 0.1 s; and on to the moment every read model of
every projector is at the head of the log (each projector's ``scoreline_projector_lag``,
its slowest read model, at 0). ``--split-read-models``: two projectors, one writing the
game states, the other the history, standings and player stats (``--read-models``),
instead of ``--projectors`` projectors writing all four.

Peer, same round: the same events as the Scorekeeper's stored events, inserted by
eventsourcing's PostgreSQL recorder in batches of the recorder's batch size (500)
with a tracking row each, from as many threads as there are recorders, into a fresh
database: the raw ceiling of the store (bench/store_peer.py). Optionally also the
Scorekeeper writing directly (the domain's cost without any transport).

    .venv/bin/python -m bench.fleet_throughput [--events 60000] [--games 100] [--rounds 3]
        [--batch 100] [--workers 8] [--target fleet|embedded] [--split-read-models]
        [--direct] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.fleet import (
    PROVIDER,
    SPLIT_PROJECTORS,
    Fleet,
    metric,
    running_embedded,
    running_fleet,
)
from bench.profiling import profiled
from bench.pushing import BatchPush, post_once
from bench.report import CpuWindow, emit_json, machine_facts, per_event, pg_counters
from bench.store_peer import ordered_events, raw_insert, scorekeeper_direct, stored_events
from bench.throughput_report import print_report, summarise
from bench.traffic import LiveGame, live_games, webhook

RECORDER_BATCH = 500  # RecordingWorker's default batch_size (domain/recording.py)
POLL = 0.1


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.fleet_throughput", description=__doc__)
    p.add_argument("--events", type=int, default=60_000)
    p.add_argument("--games", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch", type=int, default=100, help="events per webhook request")
    p.add_argument("--workers", type=int, default=8, help="concurrent senders")
    p.add_argument("--ingest", type=int, default=2)
    p.add_argument("--recorders", type=int, default=2)
    p.add_argument("--projectors", type=int, default=1)
    p.add_argument(
        "--split-read-models",
        action="store_true",
        help="two projectors: the game states in one, the other read models in the other",
    )
    p.add_argument("--partitions", type=int, default=12)
    p.add_argument("--target", choices=("fleet", "embedded"), default="fleet")
    p.add_argument("--direct", action="store_true", help="also time Scorekeeper.record")
    p.add_argument("--timeout", type=float, default=600, help="seconds a round may take")
    p.add_argument("--profile", type=Path, help="py-spy every service process into DIR")
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


@contextlib.contextmanager
def target(args: argparse.Namespace) -> Iterator[tuple[Fleet, list[str], list[str], str]]:
    """The system under test: (fleet, ingest urls, recorder urls, projector url)."""
    if args.target == "embedded":
        with running_embedded() as fleet:
            url = fleet.members[0].url
            yield fleet, [url], [url], url
        return
    roles = {"ingest": args.ingest, "recorder": args.recorders, "projector": args.projectors}
    if args.split_read_models:
        roles["projector"] = 0
    extra = SPLIT_PROJECTORS if args.split_read_models else ()
    with running_fleet(roles, args.partitions, extra=extra) as fleet:
        projector = fleet.of("projector")[0].url
        yield (
            fleet,
            [m.url for m in fleet.of("ingest")],
            [m.url for m in fleet.of("recorder")],
            projector,
        )


async def samples(http: httpx.AsyncClient, urls: Sequence[str], name: str) -> float:
    found = await asyncio.gather(*(http.get(f"{u}/metrics") for u in urls))
    total = 0.0
    for response in found:
        lines = (line.rpartition(" ") for line in response.text.splitlines() if line[:1] != "#")
        total += metric({k: float(v) for k, _, v in lines}, name)
    return total


async def owned_partitions(http: httpx.AsyncClient, url: str) -> set[str]:
    text = (await http.get(f"{url}/metrics")).text
    return {
        line.split('partition="', 1)[1].split('"', 1)[0]
        for line in text.splitlines()
        if line.startswith("scoreline_consumer_lag{")
    }


async def warm_up(
    http: httpx.AsyncClient, ingest: Sequence[str], recorders: Sequence[str], args: Any
) -> None:
    """Wait for the consumer group to cover every partition, then send one event through
    each ingest node and wait until it is projected (connections, producers, caches)."""
    deadline = time.monotonic() + 120
    if args.target == "fleet":
        while True:
            owned = [await owned_partitions(http, r) for r in recorders]
            if all(owned) and len(set().union(*owned)) == args.partitions:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the consumer group never formed: {owned}")
            await asyncio.sleep(0.5)
    for n, (url, game) in enumerate(
        zip(ingest, live_games(len(ingest), 1, prefix="warm"), strict=True)
    ):
        await post_once(webhook(url, PROVIDER), game.events)
        while await samples(http, recorders, "scoreline_events_recorded_total") < n + 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the warm-up event was never recorded")
            await asyncio.sleep(POLL)


async def measure(
    fleet: Fleet, urls: tuple[list[str], list[str], str], games: Sequence[LiveGame], args: Any
) -> dict[str, Any]:
    ingest, recorders, projector = urls
    # Every projector's url (embedded: the one process's).
    projectors = [m.url for m in fleet.of("projector") or fleet.members[:1]]
    async with httpx.AsyncClient(timeout=30) as http:
        await warm_up(http, ingest, recorders, args)
        base_recorded = await samples(http, recorders, "scoreline_events_recorded_total")
        base_projected = await samples(http, [projector], "scoreline_events_projected_total")
        while base_projected < base_recorded:
            await asyncio.sleep(POLL)
            base_projected = await samples(http, [projector], "scoreline_events_projected_total")
        profile = args.profile / f"round-{args.round}" if args.profile else None
        window = CpuWindow({"generator": [os.getpid()], **fleet.pids()})
        total = sum(len(g.events) for g in games)
        push = BatchPush(games, ingest, batch=args.batch, workers=args.workers)
        recorded_at = projected_at = None
        trace: list[tuple[float, float]] = []
        database = fleet.env.get("SCORELINE_DATABASE_URL")
        before = pg_counters(database) if database else {}
        with profiled(fleet.pids(), profile):
            window.start()
            window_started = time.time()
            pushing = asyncio.create_task(push.run())
            deadline = time.monotonic() + args.timeout
            while projected_at is None and time.monotonic() < deadline:
                await asyncio.sleep(POLL)
                now = time.time()
                recorded = await samples(http, recorders, "scoreline_events_recorded_total")
                projected = await samples(http, [projector], "scoreline_events_projected_total")
                trace.append((now, recorded - base_recorded))
                if recorded_at is None and recorded - base_recorded >= total:
                    recorded_at = now
                if projected - base_projected >= total:
                    projected_at = now
            every_model_at = None
            while projected_at is not None and time.monotonic() < deadline:
                lag = await samples(http, projectors, "scoreline_projector_lag")
                if lag == 0:
                    every_model_at = time.time()
                    break
                await asyncio.sleep(POLL)
            cpu = window.stop()
        if (
            projected_at is None
            or recorded_at is None
            or every_model_at is None
            or not pushing.done()
        ):
            pushing.cancel()
            raise RuntimeError(f"not caught up after {args.timeout:.0f} s: {trace[-1:]}")
        pushed_at = await pushing
        await asyncio.sleep(1.5)  # PostgreSQL flushes its counters within about a second
        work = per_event(before, pg_counters(database), total) if database else {}
    start = push.first_post
    seconds = projected_at - start
    window_seconds = projected_at - window_started
    service = {k: v for k, v in cpu.items() if k not in ("generator", "machine", "others")}
    return {
        "events": total,
        "accepted": push.accepted,
        "requests": push.requests,
        "seconds": seconds,
        "events_per_s": total / seconds,
        "every_read_model_per_s": total / (every_model_at - start),
        "accepted_per_s": total / (pushed_at - start),
        "recorded_per_s": total / (recorded_at - start),
        "steady_recorded_per_s": steady_rate(trace, total),
        "cpu_cores": cpu,
        # CPU of the service and its servers per event (ms), whole window: what bounds
        # the rate on this machine (2 cores -> at most 2000 / this events/s).
        "cpu_ms_per_event": {
            **{k: 1000 * v * window_seconds / total for k, v in service.items()},
            "total": 1000 * sum(service.values()) * window_seconds / total,
        },
        "postgres_per_event": work,
    }


def steady_rate(trace: Sequence[tuple[float, float]], total: int) -> float:
    """Events/s recorded between 10 % and 90 % of the total (ramp and tail left out)."""
    low = next(t for t, n in trace if n >= 0.1 * total)
    high = next(t for t, n in trace if n >= 0.9 * total)
    return 0.8 * total / max(high - low, 1e-9)


def one_round(
    number: int, games: list[LiveGame], stored: Any, events: Any, args: Any
) -> dict[str, Any]:
    result: dict[str, Any] = {"round": number}

    def system() -> None:
        with target(args) as (fleet, ingest, recorders, projector):
            result["system"] = asyncio.run(
                measure(fleet, (ingest, recorders, projector), games, args)
            )

    def peer() -> None:
        result["peer"] = raw_insert(stored, RECORDER_BATCH, max(1, args.recorders))
        if args.direct:
            result["direct"] = scorekeeper_direct(events, RECORDER_BATCH)

    for step in (system, peer) if number % 2 else (peer, system):  # alternate the order
        step()
    result["ratio"] = result["system"]["events_per_s"] / result["peer"]["events_per_s"]
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    per_game = max(1, args.events // args.games)
    args.events = per_game * args.games
    games = live_games(args.games, per_game)
    events = ordered_events(games)
    stored = stored_events(events, RECORDER_BATCH)
    rounds = []
    for number in range(1, args.rounds + 1):
        args.round = number
        rounds.append(one_round(number, games, stored, events, args))
        r = rounds[-1]
        print(
            f"round {number}: {r['system']['events_per_s']:,.0f} events/s, peer "
            f"{r['peer']['events_per_s']:,.0f}, ratio {r['ratio']:.3f}",
            file=sys.stderr,
            flush=True,
        )
    print_report(rounds, args)
    if args.json:
        command = "python -m bench.fleet_throughput " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        emit_json(
            {
                "benchmark": "fleet_throughput",
                "command": command.strip(),
                "settings": vars(args),
                "machine": machine_facts(),
                "summary": summarise(rounds, args),
                "rounds": rounds,
            }
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
