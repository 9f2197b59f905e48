"""``scoreline replay``: a finished game's events again, at a chosen speed."""

from __future__ import annotations

import argparse

from entrypoints.cli.options import Commands


def add_replay_command(commands: Commands) -> None:
    replay = commands.add_parser("replay", help="replay a finished game's events at a speed")
    replay.add_argument("game_id", help="the game to replay (it must be FINAL)")
    replay.add_argument(
        "--speed", type=float, default=1.0, help="times the original pace (default 1)"
    )
    replay.add_argument("--url", default="http://127.0.0.1:8000", help="the service")
    replay.set_defaults(run=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    from entrypoints.replay_client import replay_game

    return replay_game(args.url, args.game_id, speed=args.speed)
