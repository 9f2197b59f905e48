"""``scoreline bench leaderboards [--rounds 3] [--seconds 8] [--connections 64] [--json]``

wrk against ``GET /leaderboards/{league}/{season}/points?limit=10`` on one gateway
process (``scoreline serve``, embedded: SQLite read models), whose answers come through
the early-expiration (PER) cache with a 60 s TTL, beside, in the same run, with the same
wrk settings and on the same read models:

- ``uncached``: the same endpoint code with a pass-through cache (``bench.leaderboard_peer``):
  every request reads the leaderboard table in a worker thread, what the cache saves;
- ``standings``: the gateway's ``/standings`` (served from a memory mirror, no I/O), the
  near-limit of a JSON answer with an ETag on this gateway.

A season of ``--games`` basketball games between ``--teams`` teams of 12 players is
pushed first through the signed provider API (every made shot names its player). Each
round measures every target's 200 and 304 paths in a shuffled order; figures are medians
over the rounds with their range, ratios taken within a round. Target: the cached 200
path at least 5x the uncached one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx

from bench.poll_peers import Gateway, gateway, wrk
from bench.report import CpuWindow, emit_json, machine_facts, spread, table
from bench.services import free_port, wait_reachable

TARGET_VS_UNCACHED = 5.0
LEAGUE, SEASON = "bench-league", "2026"
KINDS = ("FREE_THROW", "TWO_POINTER", "THREE_POINTER")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--games", type=int, default=120)
    parser.add_argument("--teams", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")


def run(args: argparse.Namespace) -> int:
    result = measure(args)
    print(report(result))
    if args.json:
        emit_json(result)
    return 0


def season(running: Gateway, games: int, teams: int, rng: random.Random) -> int:
    """Push ``games`` FINAL games; the number of players with points."""
    scorers: set[str] = set()
    for n in range(games):
        home, away = rng.sample(range(teams), 2)
        game_id = f"lb-{n}"
        schedule = {"home_team_id": f"t{home}", "away_team_id": f"t{away}",
                    "league": LEAGUE, "season": SEASON}  # fmt: skip
        events: list[dict[str, Any]] = [
            _event(game_id, 1, "GAME_SCHEDULED", schedule=schedule),
            _event(game_id, 2, "GAME_STARTED"),
        ]
        for seq in range(3, 123):
            team = rng.choice((home, away))
            player = f"t{team}-p{rng.randrange(12)}"
            scorers.add(player)
            events.append(
                _event(game_id, seq, rng.choice(KINDS), team_id=f"t{team}", player_id=player,
                       period=1 + (seq - 3) // 30)
            )  # fmt: skip
        events.append(_event(game_id, 123, "GAME_FINAL", period=4))
        running.push(events)
    return len(scorers)


def _event(game_id: str, seq: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": f"{game_id}-e{seq}", "game_id": game_id, "sport": "basketball",
            "sequence_number": seq, "event_type": kind, **fields}  # fmt: skip


@contextlib.contextmanager
def uncached_peer(data_dir: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "PEER_DATA_DIR": data_dir}
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.leaderboard_peer:create"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_reachable("127.0.0.1", port, "the uncached leaderboard peer", 30)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(10)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    board = f"/leaderboards/{LEAGUE}/{SEASON}/points?limit=10"
    paths = {"cached": board, "uncached": board, "standings": f"/standings/{LEAGUE}/{SEASON}"}
    with contextlib.ExitStack() as stack:
        running = stack.enter_context(gateway(0))
        players = season(running, args.games, args.teams, random.Random(2026))
        deadline = time.monotonic() + 120
        while True:  # every game projected, before the first (cached) leaderboard read
            table_now = httpx.get(running.base_url + paths["standings"], timeout=10)
            if (
                table_now.status_code == 200
                and sum(r["played"] for r in table_now.json()["rows"]) == 2 * args.games
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the season was never projected")
            time.sleep(0.2)
        peer_url, peer_pid = stack.enter_context(uncached_peer(str(running.data_dir / "data")))
        bases = {"cached": (running.base_url, running.pid), "standings": (running.base_url,
                 running.pid), "uncached": (peer_url, peer_pid)}  # fmt: skip
        tags = {}
        for name, (base, _) in bases.items():
            answer = httpx.get(base + paths[name], timeout=10)
            answer.raise_for_status()
            tags[name] = answer.headers["etag"]
        if httpx.get(peer_url + board).content != httpx.get(running.base_url + board).content:
            raise RuntimeError("the cached and uncached leaderboards differ")
        rates: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            runs = [(name, kind) for name in bases for kind in ("200", "304")]
            random.shuffle(runs)
            for name, kind in runs:
                base, pid = bases[name]
                headers = {"If-None-Match": tags[name]} if kind == "304" else {}
                window = CpuWindow({"server": [pid]}).start()
                rate = wrk(base + paths[name], seconds=args.seconds,
                           connections=args.connections, headers=headers)  # fmt: skip
                used = window.stop()
                rates.setdefault(f"{name}_{kind}", []).append(rate)
                cpu.setdefault(f"{name}_{kind}", []).append(used["server"])
                cpu.setdefault(f"{name}_{kind}_others", []).append(used["others"])
    ratios = {
        f"cached_{k}_vs_{peer}_{k}": [
            a / b for a, b in zip(rates[f"cached_{k}"], rates[f"{peer}_{k}"], strict=True)
        ]
        for k in ("200", "304")
        for peer in ("uncached", "standings")
    }
    medians = {k: statistics.median(v) for k, v in ratios.items()}
    return {
        "benchmark": "leaderboards",
        "rounds": args.rounds,
        "seconds": args.seconds,
        "connections": args.connections,
        "games": args.games,
        "players": players,
        "target": {"cached_200_vs_uncached_200": TARGET_VS_UNCACHED},
        "met": medians["cached_200_vs_uncached_200"] >= TARGET_VS_UNCACHED,
        "rates": {k: spread(v) for k, v in rates.items()},
        "ratios": {k: spread(v) for k, v in ratios.items()},
        "server_cores": {k: spread(v) for k, v in cpu.items()},
        "machine": machine_facts(),
    }


def report(result: dict[str, Any]) -> str:
    rows = []
    for name in ("cached", "uncached", "standings"):
        line: list[Any] = [name]
        for kind in ("200", "304"):
            r = result["rates"][f"{name}_{kind}"]
            line.append(f"{r['median']:,.0f} ({r['min']:,.0f}-{r['max']:,.0f})")
            line.append(f"{result['server_cores'][f'{name}_{kind}']['median']:.2f}")
            line.append(f"{result['server_cores'][f'{name}_{kind}_others']['median']:.2f}")
        rows.append(line)
    headers = ["target", "200 req/s", "cores", "others", "304 req/s", "cores", "others"]
    lines = [
        f"leaderboards: {result['rounds']} rounds of {result['seconds']:.0f} s,"
        f" {result['connections']} connections, wrk -t1; {result['games']} games,"
        f" {result['players']} players",
        table(headers, rows),
        "",
    ]
    for name, s in result["ratios"].items():
        lines.append(f"{name}: {s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f}) median (range)")
    lines.append(f"target: {result['target']} met: {result['met']}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    raise SystemExit(run(parser.parse_args()))
