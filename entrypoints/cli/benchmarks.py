"""``scoreline bench ...``: the load benchmarks of ``bench/``, run from a checkout.

Each benchmark module in ``bench/`` registers its own subcommand here; the modules are
imported only when their command runs (they pull in load generators and peers that the
service itself never needs).
"""

from __future__ import annotations

import argparse
import importlib

from entrypoints.cli.options import Commands

BENCHMARKS: dict[str, tuple[str, str]] = {
    # name: (module with ``add_arguments(parser)`` and ``run(args) -> int``, help)
    "fanout": ("bench.fanout", "N SSE subscribers of one game on one gateway, beside Nchan"),
    "poll": ("bench.poll", "wrk on the state endpoint's 200 and 304, beside nginx and Redis GET"),
    "spike": ("bench.spike", "a goal's 50x poll spike through Varnish: origin load, staleness"),
    "rebuild": ("bench.rebuild", "rebuild of every read model over 1M events, beside a raw read"),
    "leaderboards": ("bench.leaderboards", "leaderboard reads via the PER cache, beside uncached"),
    "notify": ("bench.notify", "a goal pushed to N devices via APNs/FCM, SSE p99 beside it"),
}


def add_bench_commands(commands: Commands) -> None:
    bench = commands.add_parser("bench", help="load benchmarks against same-run peers")
    names = bench.add_subparsers(title="benchmarks")
    for name, (module_name, help_text) in BENCHMARKS.items():
        parser = names.add_parser(name, help=help_text)
        module = importlib.import_module(module_name)
        module.add_arguments(parser)
        parser.set_defaults(run=_runner(module_name))


def _runner(module_name: str) -> object:
    def run(args: argparse.Namespace) -> int:
        result: int = importlib.import_module(module_name).run(args)
        return result

    return run
