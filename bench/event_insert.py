"""The event store's insert: the Scorekeeper's PostgreSQL recorder against the library's.

The same stored events (the Scorekeeper's own, of simulated games, decided in memory
beforehand, untimed) are inserted in batches of the RecordingWorker's size, each batch
with a tracking position, into a fresh table of each recorder, one after the other in
alternating rounds. Reported per batch: client CPU (this process) and wall time; the
peer is eventsourcing's ``PostgresProcessRecorder``, which sends a batch as one array of
its composite type (written as text, in Python), where the Scorekeeper's sends four
binary arrays (``adapters/postgres_partitioned_recorder.py``).

    .venv/bin/python -m bench.event_insert [--events 20000] [--batch 500] [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import ProcessRecorder, StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder

from adapters.postgres_partitioned_recorder import PostgresPartitionedProcessRecorder
from adapters.postgres_schema import postgres_datastore
from bench.report import spread
from bench.services import postgres_database
from bench.store_peer import ordered_events, stored_events
from bench.traffic import live_games

RECORDERS = {"scoreline": PostgresPartitionedProcessRecorder, "library": PostgresProcessRecorder}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.event_insert", description=__doc__)
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--games", type=int, default=100)
    p.add_argument("--batch", type=int, default=500, help="events per transaction")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


def insert_all(
    recorder: ProcessRecorder, batches: Sequence[Sequence[StoredEvent]]
) -> dict[str, float]:
    upstream = f"bench:{uuid.uuid4().hex[:8]}"
    cpu, wall = time.process_time(), time.perf_counter()
    for position, batch in enumerate(batches, start=1):
        recorder.insert_events(batch, tracking=Tracking(upstream, position))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "cpu_ms_per_batch": 1000 * cpu / len(batches),
        "wall_ms_per_batch": 1000 * wall / len(batches),
    }


def measure(
    url: str, batches: Sequence[Sequence[StoredEvent]], rounds: int
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for number in range(1, rounds + 1):
        result: dict[str, Any] = {"round": number}
        for name, recorder_class in RECORDERS.items():
            schema = f"insert_{name}_{uuid.uuid4().hex[:6]}"
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            datastore = postgres_datastore(url, schema=schema)
            try:
                recorder = recorder_class(datastore)
                recorder.create_table()
                recorder.max_notification_id()  # the pool open, the types registered
                result[name] = insert_all(recorder, batches)
            finally:
                datastore.close()
        result["cpu_ratio"] = (
            result["scoreline"]["cpu_ms_per_batch"] / result["library"]["cpu_ms_per_batch"]
        )
        result["wall_ratio"] = (
            result["scoreline"]["wall_ms_per_batch"] / result["library"]["wall_ms_per_batch"]
        )
        found.append(result)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    games = live_games(args.games, max(1, args.events // args.games))
    stored = stored_events(ordered_events(games), args.batch)
    batches = [stored[i : i + args.batch] for i in range(0, len(stored), args.batch)]
    with postgres_database("insert") as url:
        rounds = measure(url, batches, args.rounds)
    summary = {
        f"{name}_{figure}": spread([r[name][figure] for r in rounds])
        for name in RECORDERS
        for figure in ("cpu_ms_per_batch", "wall_ms_per_batch")
    }
    summary["cpu_ratio"] = spread([r["cpu_ratio"] for r in rounds])
    summary["wall_ratio"] = spread([r["wall_ratio"] for r in rounds])
    size = sum(len(e.state) for e in stored) / len(stored)
    print(
        f"{len(stored)} stored events ({size:.0f} bytes of state on average), batches of"
        f" {args.batch}, {args.rounds} rounds: median (min-max) per batch"
    )
    for name in RECORDERS:
        cpu, wall = summary[f"{name}_cpu_ms_per_batch"], summary[f"{name}_wall_ms_per_batch"]
        print(
            f"{name:9}  client CPU {cpu['median']:.2f} ms ({cpu['min']:.2f}-{cpu['max']:.2f})"
            f"  wall {wall['median']:.2f} ms ({wall['min']:.2f}-{wall['max']:.2f})"
        )
    for figure in ("cpu_ratio", "wall_ratio"):
        s = summary[figure]
        print(
            f"scoreline / library {figure[:-6]}: {s['median']:.3f} ({s['min']:.3f}-{s['max']:.3f})"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "event_insert",
                    "settings": vars(args),
                    "summary": summary,
                    "rounds": rounds,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
