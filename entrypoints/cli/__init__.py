"""The ``scoreline`` command line. Each command builds what it needs from the composition root."""

from __future__ import annotations

import argparse
import sys

from entrypoints.cli import benchmarks, feeds, history, operations, serving, watching
from entrypoints.settings import SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args)
        return result
    except SettingsError as error:
        print(f"scoreline: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scoreline", description="Live sports scores.")
    commands = parser.add_subparsers(title="commands")
    serving.add_serve_command(commands)
    operations.add_db_commands(commands)
    operations.add_cluster_command(commands)
    serving.add_demo_command(commands)
    feeds.add_feed_commands(commands)
    operations.add_rejected_commands(commands)
    operations.add_read_model_commands(commands)
    history.add_replay_command(commands)
    benchmarks.add_bench_commands(commands)
    watching.add_watch_command(commands)
    return parser
