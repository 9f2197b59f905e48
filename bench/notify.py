"""Push notifications to N devices off the score path: fan-out rate and SSE beside it.

``scoreline bench notify --devices 1000000 [--workers 2] [--subscribers 1000]
[--pace 0.1] [--calm 10] [--rounds 1] [--no-nice] [--json]``

Per round, on fresh services (PostgreSQL database, Redis prefix, Kafka broker, unique
event and fan-out topics) and a fresh push-servers process:

1. The local APNs and FCM servers (``bench.push_servers``, standing for Apple and
   Google) run in a process of their own under ``nice -n 10``, so they take only the
   CPU our processes leave. A fleet in the production topology: ingest, recorder,
   projector, gateway, notifier x1, notification-worker x N, with the push settings,
   ``SCORELINE_NOTIFY_HOLD_SECONDS=0`` (the hold would only add a constant). The
   workers run under ``nice -n 10`` too: in production they are on machines of their
   own, and on this 2-core box nice is the honest stand-in that keeps the gateway's
   fans their CPU (``--no-nice`` measures without it).
2. N devices (half APNs, half FCM, all following the home team) are registered
   straight into the fleet's PostgreSQL (``PostgresDeviceRegistry.register_many``,
   COPY): timed and reported apart.
3. A game is scheduled and started; ``--subscribers`` SSE fans hold the game's stream
   on the gateway, in a process of their own (bench/notify_fans.py, raw connections;
   ``--fans httpx``: bench/fans.py, which cannot keep up with 10,000 frames/s here);
   a provider POSTs a FOUL (not notified) every ``--pace`` s throughout. SSE latency =
   the 202 of the provider's POST -> the fan's receipt (time.monotonic(), one clock
   for the machine); also given from just before the POST. Phase 1 (``--calm`` s):
   without a fan-out. Then the goal; phase 2: while the fan-out runs, until both
   servers' ``/_stats`` count N accepted. Time to the last notification = that poll
   (every 50 ms) - the goal's 202.
4. Peer, same round, same servers: bare senders (bench/notify_peer.py): as many
   processes as workers, same nice and concurrency, the same N devices, no queue,
   ledger or registry. Its order against the fleet alternates by round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bench.fans import Fans, Spec
from bench.fleet import PROVIDER, Fleet, running_fleet, scrape
from bench.notify_fans import RawFans
from bench.notify_load import Pacer, register_devices, start_game
from bench.notify_peer import run_peer
from bench.notify_providers import PushServersProcess, PushStats, push_servers, wait_accepted
from bench.notify_report import fleet_figures, print_report, report_json
from bench.report import CpuWindow, emit_json
from bench.traffic import webhook

NICE = 10
WARMUP = 2.0  # seconds of paced events before phase 1 (connections, caches)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--devices", type=int, default=1_000_000)
    p.add_argument("--workers", type=int, default=2, help="notification-worker processes")
    p.add_argument("--concurrency", type=int, default=200, help="sends in flight per worker")
    p.add_argument("--subscribers", type=int, default=1000, help="SSE fans of the game")
    p.add_argument("--pace", type=float, default=0.1, help="seconds between paced events")
    p.add_argument("--calm", type=float, default=10.0, help="seconds of phase 1 (no fan-out)")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--timeout", type=float, help="seconds to wait for the fan-out")
    p.add_argument("--no-nice", action="store_true", help="workers at normal priority")
    p.add_argument("--no-peer", action="store_true")
    p.add_argument("--record", choices=["ids", "count"], default="ids", help="servers' mode")
    p.add_argument(
        "--fans", choices=["raw", "httpx"], default="raw", help="the SSE receiver (see SseFans)"
    )
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    rounds = []
    for number in range(1, args.rounds + 1):
        rounds.append(one_round(number, args))
        r = rounds[-1]
        print(
            f"round {number}: {r['notifications_per_s']:,.0f} notifications/s, "
            f"peer {r.get('peer_per_s', float('nan')):,.0f}/s; SSE p99 "
            f"{r['sse_p99_ms_without']:.1f} -> {r['sse_p99_ms_during']:.1f} ms",
            file=sys.stderr,
            flush=True,
        )
    print_report(rounds, args)
    if args.json:
        given = list(getattr(args, "argv", None) or sys.argv[1:])
        emit_json(report_json(rounds, args, " ".join(["scoreline", *given])))
    return 0


def one_round(number: int, args: argparse.Namespace) -> dict[str, Any]:
    workers_nice = 0 if args.no_nice else NICE
    result: dict[str, Any] = {"round": number, "load_average_start": os.getloadavg()}
    with push_servers(NICE, args.record) as servers:
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("fleet", lambda: measure_fleet(args, servers))
        ]
        if not args.no_peer:
            steps.append(("peer", lambda: _peer(args, servers, workers_nice)))
        if number % 2 == 0:
            steps.reverse()
        for name, step in steps:
            result[name] = step()
            result[f"load_average_after_{name}"] = os.getloadavg()
    result.update(fleet_figures(result, args))
    return result


def _peer(args: argparse.Namespace, servers: PushServersProcess, nice: int) -> dict[str, Any]:
    found = run_peer(
        servers.env,
        args.devices,
        concurrency=args.concurrency,
        processes=args.workers,
        nice=nice,
        cpu_pids={"push servers": [servers.pid], "bench": [os.getpid()]},
    )
    return found


def measure_fleet(args: argparse.Namespace, servers: PushServersProcess) -> dict[str, Any]:
    env = {
        **servers.env,
        "SCORELINE_NOTIFY_HOLD_SECONDS": "0",
        "SCORELINE_NOTIFICATIONS_TOPIC": f"notifications-{uuid.uuid4().hex[:8]}",
        "SCORELINE_NOTIFY_WORKER_CONCURRENCY": str(args.concurrency),
    }
    roles = {"ingest": 1, "recorder": 1, "projector": 1, "gateway": 1, "notifier": 1}
    roles["notification-worker"] = args.workers
    nice = {} if args.no_nice else {"notification-worker": NICE}
    with running_fleet(roles, env=env, nice=nice) as fleet:
        registration_s = register_devices(fleet.env["SCORELINE_DATABASE_URL"], args.devices)
        ingest, gateway = fleet.of("ingest")[0].url, fleet.of("gateway")[0].url
        game_id = f"notify-{uuid.uuid4().hex[:8]}"
        sequence = asyncio.run(start_game(ingest, gateway, game_id))
        fans = SseFans(args.fans, f"{gateway}/games/{game_id}/stream", args.subscribers)
        pids: dict[str, list[int]] = {"bench (pacer, stats)": [os.getpid()], "fans": [fans.pid]}
        pids.update(fleet.pids())
        pids["push servers"] = [servers.pid]
        pacer = Pacer(webhook(ingest, PROVIDER), game_id, args.pace, sequence)
        try:
            found = asyncio.run(_fan_out(args, servers, pids, pacer))
        finally:
            receipts = fans.finish(game_id)
        found["pipeline"] = _pipeline_counts(fleet)
        found["fan_reconnects"] = fans.reconnects
    found.update(registration_s=registration_s, receipts=receipts, pacer=pacer)
    found["nice"] = {"notification-worker": nice.get("notification-worker", 0)}
    return found


async def _fan_out(
    args: argparse.Namespace,
    servers: PushServersProcess,
    pids: Mapping[str, Sequence[int]],
    pacer: Pacer,
) -> dict[str, Any]:
    stats = PushStats(servers)
    before = await stats.read()
    stop = asyncio.Event()
    task = asyncio.create_task(pacer.run(stop))
    timeout = args.timeout or 60 + args.devices / 200  # 1M: 5,060 s (586/s took 1,708)
    try:
        await asyncio.sleep(WARMUP)
        pacer.phase = "calm"
        calm = CpuWindow(pids).start()
        await asyncio.sleep(args.calm)
        calm_cpu, load_calm = calm.stop(), os.getloadavg()
        window = CpuWindow(pids).start()
        goal_at = await pacer.score()
        pacer.phase = "during"
        target = before["accepted"] + args.devices
        last_at, timeline, after = await wait_accepted(stats, target, timeout)
        pacer.phase = "after"
        cpu, wall = window.stop(), time.monotonic() - window.started
    finally:
        stop.set()
        await task
        await stats.close()
    return {
        "goal_at": goal_at,
        "last_at": last_at,
        "timeline": [(t - goal_at, n - before["accepted"]) for t, n in timeline],
        "accepted": after["accepted"] - before["accepted"],
        "duplicates": after["duplicates"] - before["duplicates"],
        "requests": after["requests"] - before["requests"],
        "cpu_cores_calm": calm_cpu,
        "cpu_cores": cpu,
        "cpu_wall_s": wall,
        "load_average_calm": load_calm,
        "load_average_during": os.getloadavg(),
    }


def _pipeline_counts(fleet: Fleet) -> dict[str, float]:
    """The notifier's release counts and the workers' outcomes, from their /metrics."""
    counts: dict[str, float] = {}
    for member in fleet.of("notifier") + fleet.of("notification-worker"):
        for name, value in scrape(member.url).items():
            if name.startswith(("scoreline_notifications_released", "scoreline_push_targets")):
                counts[name] = counts.get(name, 0.0) + value
    return {k: v for k, v in counts.items() if v}


class SseFans:
    """The game's SSE fans in a process of their own: ``raw`` (bench/notify_fans.py) or
    ``httpx`` (bench/fans.py, which at 1,000 fans x 10 events/s on 2 cores falls behind
    and measures itself: kept for comparison)."""

    def __init__(self, kind: str, url: str, count: int) -> None:
        self._fans: Fans | RawFans
        if kind == "httpx":
            self._fans = Fans(Spec("sse", [url] * count, 10**12)).start()
        else:
            self._fans = RawFans(url, count)
        self.pid = self._fans.pid
        self.reconnects = 0  # streams the gateway ended (a fan too far behind) and resumed

    def finish(self, game_id: str) -> dict[str, list[float]]:
        """{event id: receipt times}, after a last 2 s for frames in flight."""
        if isinstance(self._fans, Fans):
            receipts, _ = self._fans.finish(grace=2)
            return receipts
        time.sleep(2)
        raw = self._fans.finish()
        self.reconnects = self._fans.reconnects
        return {f"{game_id}-{sequence}": times for sequence, times in raw.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notify", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.argv = ["bench", "notify", *(sys.argv[1:] if argv is None else argv)]
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
