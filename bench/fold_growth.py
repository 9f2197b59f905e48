"""CPU per event of each part of the embedded process, as games grow.

In one process, on the embedded parts (``build`` over a fresh data directory, no
server, no threads of its own): G simulated games of N events each, recorded one
event at a time, one event of each game in turn, and after each event every read
model folds it at once (batches of one event: the live worst case). Reports the
calling thread's CPU time per event of each part, by fifth of the games' length: a
part whose cost grows with a game's length shows it here, where a 30-second latency
run (about 60 events a game) barely does.

    .venv/bin/python -m bench.fold_growth [--games 8] [--events 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from adapters.native_format import parse
from bench.traffic import live_games
from entrypoints.composition import build
from entrypoints.settings import Settings
from entrypoints.web.update_messages import encode_update

PARTS = ("record", "game_state", "encode", "standings+player_stats", "notifier")


def measure(games: int, events: int) -> dict[str, list[float]]:
    """Part -> µs of CPU per event in each fifth of the games."""
    found = live_games(games, events, seed=3)
    with tempfile.TemporaryDirectory() as directory:
        services = build(Settings(data_dir=Path(directory)))
        try:
            services.scorekeeper.become_sole_writer()
            parsed = {
                g.game_id: parse(json.dumps(g.events).encode(), provider="bench") for g in found
            }
            off_path = [f for _, f, _ in services.read_models]
            notifier = services.notifications.followers() if services.notifications else []
            fifth = max(1, events // 5)
            spent = {part: [0.0] * 5 for part in PARTS}
            for index in range(events):
                slot = min(4, index // fifth)
                for game in found:
                    t0 = time.thread_time()
                    services.scorekeeper.record([parsed[game.game_id][index]])
                    t1 = time.thread_time()
                    services.follower.fold_now()
                    t2 = time.thread_time()
                    while services.follower._folded:
                        for u in services.follower._folded.popleft():
                            encode_update(u.game_id, u.version, u.event, u.state)
                    t3 = time.thread_time()
                    for follower in off_path:
                        follower.fold_now()
                    t4 = time.thread_time()
                    for follower in notifier:
                        follower.fold_now()
                    t5 = time.thread_time()
                    for part, seconds in zip(
                        PARTS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True
                    ):
                        spent[part][slot] += seconds
        finally:
            services.close()
    per_slot = [games * fifth] * 4 + [games * (events - 4 * fifth)]
    return {
        part: [1e6 * s / n for s, n in zip(values, per_slot, strict=True)]
        for part, values in spent.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fold_growth", description=__doc__)
    p.add_argument("--games", type=int, default=8)
    p.add_argument("--events", type=int, default=300)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.events < 5:
        p.error("--events must be at least 5 (five fifths)")
    figures = measure(args.games, args.events)
    print(f"µs of CPU per event, by fifth of {args.games} games of {args.events} events:")
    for part, values in figures.items():
        last_over_first = values[-1] / values[0] if values[0] else float("nan")
        cells = "  ".join(f"{v:7.0f}" for v in values)
        print(f"{part:24s} {cells}   last/first {last_over_first:4.2f}")
    if args.json:
        print(json.dumps({"benchmark": "fold_growth", "settings": vars(args), "us": figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
