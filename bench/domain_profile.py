"""Where the command side's CPU goes: cProfile of ``Scorekeeper.record`` on the POPO store.

No I/O: the simulator's events for G games, recorded in batches of 500 (the
RecordingWorker's batch size) by a Scorekeeper in memory; prints the events/s, the
functions with the most cumulative time, and the call counts per event that matter.
A profile, not a benchmark figure (cProfile slows everything down).

    .venv/bin/python -m bench.domain_profile [--games 100] [--events-per-game 200] [--top 30]
        [--shared]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Sequence

from bench.store_peer import ordered_events
from bench.traffic import live_games
from domain.scorekeeper import Scorekeeper

WATCH = ("to_dict", "fingerprint", "mutate", "_get_protocol_attrs", "get", "from_dict")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.domain_profile")
    parser.add_argument("--games", type=int, default=100)
    parser.add_argument("--events-per-game", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--shared",
        action="store_true",
        help="fast-forward cached games from the store (as ingest does), instead of"
        " trusting the cache as the recorder, sole writer of its games, does",
    )
    args = parser.parse_args(argv)
    events = ordered_events(live_games(args.games, args.events_per_game))
    keeper = Scorekeeper(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.popo",
            "AGGREGATE_CACHE_FASTFORWARD": "y" if args.shared else "n",
        }
    )
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for start in range(0, len(events), args.batch):
        keeper.record(events[start : start + args.batch])
    profile.disable()
    seconds = time.perf_counter() - started
    print(
        f"{len(events)} events in {seconds:.1f} s under cProfile ({len(events) / seconds:,.0f}/s)"
    )
    stats = pstats.Stats(profile)
    print("\ncalls per event of:")
    for (path, line, name), (_, calls, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if name in WATCH and calls >= len(events) // 2:
            where = path.rsplit("/", 2)[-2:]
            print(
                f"  {name:22s} {calls / len(events):5.1f}  cumulative {cumulative:6.2f} s"
                f"  ({'/'.join(where)}:{line})"
            )
    print()
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
