"""The projector's fan-out alone: ``RedisStateCache.put_and_publish`` of one batch.

Each round sends ``--batches`` pipelines of ``--messages`` PUBLISHes (and a state put
per game) to the Redis the tests use, under a key prefix of its own, and reports this
process's CPU per message. CPU time moves with the machine's other tenants; for a
figure that does not, count instructions, the second run minus the first:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python -m bench.publish_pipeline --rounds 1 --batches 1
    (then --batches 4; the difference over 3 batches is the cost of one)

    .venv/bin/python -m bench.publish_pipeline [--messages 2000] [--batches 10] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence

import redis.utils

from adapters.redis_state_cache import RedisStateCache
from bench.services import REDIS_URL, redis_prefix
from entrypoints.web.update_messages import encode_update


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.publish_pipeline", description=__doc__)
    p.add_argument("--messages", type=int, default=2000, help="PUBLISHes per pipeline")
    p.add_argument("--games", type=int, default=100)
    p.add_argument("--batches", type=int, default=10, help="pipelines per round")
    p.add_argument("--rounds", type=int, default=5)
    return p.parse_args(argv)


async def measure(args: argparse.Namespace, prefix: str) -> list[float]:
    cache = RedisStateCache(REDIS_URL, prefix=prefix)
    states = [
        (f"g{n}", {"game_id": f"g{n}", "version": 1, "status": "LIVE"}, False)
        for n in range(args.games)
    ]
    event = {"event_type": "CLOCK_UPDATE", "sequence_number": 1, "clock": "12:00"}
    messages = [
        (f"game:g{n % args.games}:updates", encode_update(f"g{n % args.games}", 1, event, state))
        for n in range(args.messages)
        for _, state, _ in [states[n % args.games]]
    ]
    per_message: list[float] = []
    try:
        await cache.put_and_publish(states, messages)  # connected, scripts loaded
        for _ in range(args.rounds):
            cpu = time.process_time()
            for _ in range(args.batches):
                await cache.put_and_publish(states, messages)
            cpu = time.process_time() - cpu
            per_message.append(1e6 * cpu / (args.batches * args.messages))
    finally:
        await cache.close()
    return per_message


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with redis_prefix("publish") as prefix:
        found = asyncio.run(measure(args, prefix))
    print(
        f"hiredis {redis.utils.HIREDIS_AVAILABLE}: {statistics.median(found):.1f} us of CPU"
        f" per message (rounds {', '.join(f'{v:.1f}' for v in found)}), pipelines of"
        f" {args.messages} PUBLISHes and {args.games} state puts"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
