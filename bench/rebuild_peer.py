"""The peer of the rebuild benchmark, in a process of its own: the raw read of the log.

The whole notification log read as ``scoreline rebuild`` reads it, nothing projected:
eventsourcing's recorder ``select_notifications`` pages of ``--page`` notifications,
each notification decoded into its domain event by the store's mapper (the
transcoder included). Prints one JSON object: events, seconds, events_per_s, cpu_s.

    .venv/bin/python -m bench.rebuild_peer (--data-dir D | --database-url URL) [--page N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from entrypoints import read_model_commands
from entrypoints.settings import Settings

PAGE = 10_000


def raw_read(settings: Settings, page: int) -> dict[str, float]:
    keeper = read_model_commands._scorekeeper(settings, sys.stderr)
    if keeper is None:
        raise SystemExit(2)
    try:
        recorder, mapper = keeper.recorder, keeper.mapper
        recorder.max_notification_id()  # connected before timing
        started, cpu = time.perf_counter(), time.process_time()
        position = count = 0
        while True:
            notifications = recorder.select_notifications(position + 1, page)
            if not notifications:
                break
            for n in notifications:
                mapper.to_domain_event(n)
            position, count = notifications[-1].id, count + len(notifications)
        seconds = time.perf_counter() - started
        return {
            "events": count,
            "seconds": seconds,
            "events_per_s": count / seconds,
            "cpu_s": time.process_time() - cpu,
        }
    finally:
        keeper.close()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.rebuild_peer", description=__doc__)
    p.add_argument("--data-dir", type=Path, default=Path("scoreline-data"))
    p.add_argument("--database-url")
    p.add_argument("--page", type=int, default=PAGE)
    args = p.parse_args(argv)
    settings = Settings(data_dir=args.data_dir, database_url=args.database_url)
    print(json.dumps(raw_read(settings, args.page)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
