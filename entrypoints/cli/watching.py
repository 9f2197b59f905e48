"""``scoreline watch GAME_ID --url URL``: follow one game live, one line per update.

Streams with resume, falls back to polling (ETag, 0-2 s jitter) when the stream fails
or is refused, and streams again when it can (:class:`entrypoints.watch_client.GameWatcher`).
Each new version is one line on stdout, flushed as it comes; switches between streaming
and polling are noted on stderr. Exit 0 after ``--count`` updates or a FINAL state with
``--until-final``, 1 when the game is unknown or the service unreachable, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from entrypoints.cli.options import Commands


def add_watch_command(commands: Commands) -> None:
    watch = commands.add_parser("watch", help="follow a game live (stream, else poll)")
    watch.add_argument("game_id", help="the game to follow")
    watch.add_argument("--url", default="http://127.0.0.1:8000", help="the service")
    watch.add_argument("--json", action="store_true", help="print each update as JSON")
    watch.add_argument("--count", type=int, help="stop after this many updates")
    watch.add_argument("--until-final", action="store_true", help="stop once the game is FINAL")
    watch.add_argument(
        "--stream-retry",
        type=float,
        default=20.0,
        help="seconds of polling before trying the stream again (default 20)",
    )
    watch.set_defaults(run=run_watch)


def run_watch(args: argparse.Namespace) -> int:
    return watch_game(
        args.url,
        args.game_id,
        as_json=args.json,
        count=args.count,
        until_final=args.until_final,
        stream_retry=args.stream_retry,
    )


def watch_game(
    url: str,
    game_id: str,
    *,
    as_json: bool = False,
    count: int | None = None,
    until_final: bool = False,
    stream_retry: float = 20.0,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    from entrypoints.replay_client import score
    from entrypoints.watch_client import GameWatcher, WatchError

    def note(mode: str, reason: str) -> None:
        err.write(f"scoreline watch: {reason}\n")
        err.flush()

    watcher = GameWatcher(url, game_id, stream_retry=stream_retry, on_mode=note)
    shown = 0
    try:
        for update in watcher.updates():
            if as_json:
                line = json.dumps(
                    {"version": update.version, "via": update.via, "state": update.state,
                     "event": update.event}
                )  # fmt: skip
            else:
                event = (update.event or {}).get("event_type", "")
                state = update.state
                line = f"v{update.version:<4} {state['status']:<9} {score(state)}  {event}".rstrip()
                line += f"  ({update.via})"
            out.write(line + "\n")
            out.flush()
            shown += 1
            if (count is not None and shown >= count) or (
                until_final and update.state.get("status") == "FINAL"
            ):
                return 0
    except WatchError as error:
        err.write(f"scoreline watch: {error}\n")
        return 1
    finally:
        watcher.close()
    return 0
