"""Rebuild speed: ``scoreline rebuild`` over a large log, beside a raw read of that log.

Per backend (SQLite embedded in ``--data-dir``, PostgreSQL in a fresh database), one
store is filled with at least ``--events`` stored events of simulated whole games of the
four sports (bench/rebuild_log.py: inserted by eventsourcing's recorder in big batches,
untimed) and the live read models are marked at the log's head (their tracking rows
set, their rows empty: what the rebuild replaces). Then, each ``--rounds`` times:

- peer: the raw read of the whole log, as the rebuild reads it: eventsourcing's
  recorder ``select_notifications`` pages of ``--page`` notifications, each decoded
  into its domain event by the store's mapper (transcoder included), nothing projected
  (bench/rebuild_peer.py, a process of its own, timed inside it);
- ``scoreline rebuild --projection all``, the command itself in a process of its own,
  timed from its start to its exit (interpreter start, swaps and all);
- with ``--per-projection``, ``rebuild --projection NAME`` for each read model.

Both run in fresh processes so that neither carries this process's heap (the log's
million stored events would slow every garbage collection). events/s is the log's
events over the wall time; the ratio is that over the same round's peer. The
progress bar's own last figures (its events/s) are reported beside it.

    .venv/bin/python -m bench.rebuild [--events 1000000] [--backend sqlite|postgres|both]
        [--rounds 2] [--per-projection] [--data-dir D] [--profile DIR] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg

from adapters.postgres_schema import postgres_env, upgrade
from bench.rebuild_log import EventLog, benchmark_log, fill
from bench.report import CpuWindow, emit_json, figure, machine_facts, table
from bench.services import postgres_database
from domain.scorekeeper import Scorekeeper
from entrypoints import read_model_commands, read_model_registry
from entrypoints.settings import Settings

PAGE = 10_000  # notifications per peer page
BAR = re.compile(r"(\w+): ([\d,]+)/([\d,]+) events\s+([\d,]+) events/s")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--events", type=int, default=1_000_000, help="stored events, at least")
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--per-projection", action="store_true", help="also rebuild each model alone")
    p.add_argument("--page", type=int, default=PAGE, help="notifications per peer page")
    p.add_argument("--data-dir", type=Path, help="SQLite data directory (default: a temp dir)")
    p.add_argument("--profile", type=Path, help="cProfile each rebuild into DIR/<run>/rebuild.prof")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    log = benchmark_log(args.events)
    say(f"log: {len(log.events):,} stored events of {log.games:,} games ({log.seconds:.0f} s)")
    results: dict[str, Any] = {"events": len(log.events), "games": log.games}
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    for backend in backends:
        with _store(backend, args.data_dir) as (settings, keeper):
            results[backend] = measure(settings, keeper, log, args)
        print_backend(backend, results[backend])
    results["machine"] = machine_facts()
    if args.json:
        emit_json(results)
    return 0


@contextlib.contextmanager
def _store(backend: str, data_dir: Path | None) -> Iterator[tuple[Settings, Scorekeeper]]:
    """A fresh event store (and where its read models live): the settings and its keeper."""
    if backend == "postgres":
        with postgres_database("rebuild") as url:
            upgrade(url)
            keeper = Scorekeeper(env=postgres_env(url, create_table=False))
            try:
                yield Settings(data_dir=Path(tempfile.gettempdir()), database_url=url), keeper
            finally:
                keeper.close()
        return
    with contextlib.ExitStack() as stack:
        directory = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        directory.mkdir(parents=True, exist_ok=True)
        events = directory / "events.sqlite"
        if events.exists():
            raise SystemExit(f"{events} exists: the benchmark needs a fresh data directory")
        keeper = Scorekeeper(
            env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(events)}
        )
        stack.callback(keeper.close)
        yield Settings(data_dir=directory), keeper


def measure(
    settings: Settings, keeper: Scorekeeper, log: EventLog, args: argparse.Namespace
) -> dict[str, Any]:
    filled = fill(keeper, log.events)
    head = keeper.recorder.max_notification_id() or 0
    say(f"filled {head:,} events in {filled:.0f} s ({head / filled:,.0f} events/s)")
    names = read_model_commands.read_model_names(settings)
    mark_live_at(settings, names, keeper.name, head)
    runs: dict[str, list[dict[str, Any]]] = {"peer": [], "all": []}
    for name in names if args.per_projection else []:
        runs[name] = []
    for round_number in range(1, args.rounds + 1):
        runs["peer"].append(raw_read(settings, args.page))
        say(f"round {round_number} peer: {runs['peer'][-1]['events_per_s']:,.0f} events/s")
        for projection in [p for p in runs if p != "peer"]:
            profile = args.profile / f"{projection}-{round_number}" if args.profile else None
            found = time_rebuild(settings, projection, head, profile)
            found["ratio"] = found["events_per_s"] / runs["peer"][-1]["events_per_s"]
            runs[projection].append(found)
            say(
                f"round {round_number} {projection}: {found['events_per_s']:,.0f} events/s"
                f" ({found['ratio']:.2f} of the peer)"
            )
    return {"events": head, "fill_seconds": filled, "read_models": names, "runs": runs}


def mark_live_at(settings: Settings, names: Sequence[str], upstream: str, head: int) -> None:
    """Give each live read model a tracking row at ``head`` (and no rows): the rebuild
    replays the log up to there and swaps its copy in."""
    if settings.database_url:
        with psycopg.connect(settings.database_url.split("?")[0], autocommit=True) as conn:
            for name in names:
                table = read_model_registry.POSTGRES_READ_MODELS[name].tracking_table
                conn.execute(
                    f"INSERT INTO {table} (application_name, notification_id) VALUES (%s, %s)",
                    (upstream, head),
                )
        return
    for name in names:
        model = read_model_registry.SQLITE_READ_MODELS[name]
        path = settings.data_dir / model.file_name
        model.open(str(path)).datastore.close()  # its tables, as the service makes them
        with contextlib.closing(sqlite3.connect(path)) as db, db:
            db.execute(
                "INSERT INTO tracking (application_name, notification_id) VALUES (?, ?)",
                (upstream, head),
            )


def _command(settings: Settings) -> list[str]:
    if settings.database_url:
        return ["--database-url", settings.database_url]
    return ["--data-dir", str(settings.data_dir)]


def _child(args: list[str]) -> tuple[str, float, float]:
    """Run ``python -m ARGS`` to its end: (stdout, wall seconds, its CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout, seconds, cpu


def raw_read(settings: Settings, page: int) -> dict[str, Any]:
    """The peer, in a process of its own (bench/rebuild_peer.py)."""
    window = CpuWindow({}).start()
    out, _, cpu = _child(["bench.rebuild_peer", *_command(settings), "--page", str(page)])
    found: dict[str, Any] = json.loads(out.strip().split("\n")[-1])
    found["cpu"] = {**window.stop(), "bench": cpu / found["seconds"]}
    return found


def time_rebuild(
    settings: Settings, projection: str, head: int, profile: Path | None
) -> dict[str, Any]:
    """``scoreline rebuild --projection P`` as a command of its own, timed from start
    to exit (interpreter start and swap included); its progress lines."""
    command = ["entrypoints.cli", "rebuild", "--projection", projection, *_command(settings)]
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        command = ["cProfile", "-o", str(profile / "rebuild.prof"), "-m", *command]
    window = CpuWindow({}).start()
    text, seconds, cpu = _child(command)
    machine = window.stop()
    bars = {}
    for line in text.split("\n"):
        frames = [BAR.search(f) for f in line.split("\r")]
        for found in filter(None, frames[-1:]):
            name, done, target, rate = found.groups()
            bars[name] = {
                "done": _int(done),
                "target": _int(target),
                "events_per_s": _int(rate),
            }
    return {
        "seconds": seconds,
        "events_per_s": head / seconds,
        "progress": bars,
        "cpu": {**machine, "bench": cpu / seconds},
    }


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def print_backend(backend: str, found: dict[str, Any]) -> None:
    runs = found["runs"]
    rows = []
    for name, values in runs.items():
        rates = [v["events_per_s"] for v in values]
        ratio = [v.get("ratio", 1.0) for v in values]
        seconds = [v["seconds"] for v in values]
        cores = [v["cpu"].get("bench", 0.0) for v in values]
        label = "peer: raw read + decode" if name == "peer" else f"rebuild --projection {name}"
        rows.append([label, figure(rates), figure(ratio, 2), figure(seconds, 1), figure(cores, 2)])
    print(f"\n{backend}: {found['events']:,} events; read models {', '.join(found['read_models'])}")
    headers = ["what", "events/s median (range)", "of the peer", "seconds", "bench cores"]
    print(table(headers, rows))
    for name, values in runs.items():
        for number, value in enumerate(values, start=1):
            for model, bar in value.get("progress", {}).items():
                print(
                    f"  round {number} {name}: bar {model} {bar['done']:,}/{bar['target']:,}"
                    f" at {bar['events_per_s']:,} events/s"
                )


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
