"""A live game's board saves into the PostgreSQL game-state view: text against jsonb.

One simulated game per sport, ``--events`` events each, folded in memory; after each
event its board is saved with ``PostgresGameStateView.save`` (one event a batch: a live
provider's pace), into a fresh schema of each layout, one after the other in
alternating rounds:

- ``text``: the view as it is (board column ``text``, the read models' connection
  settings, lz4 where the server has it);
- ``jsonb`` (the peer): the same view with its board column ``jsonb`` and the server's
  default compression (pglz), as before ``adapters/postgres_board_column.py``.

Reported per save, by fifth of the game (a cost growing with the game shows there):
the server's CPU (the backend process serving the view's one connection) and the
client's (this process).

    .venv/bin/python -m bench.board_save [--events 600] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import Tracking

from adapters.native_format import parse
from adapters.postgres_game_state_view import PostgresGameStateView
from adapters.postgres_schema import ensure_schema, postgres_datastore
from bench.report import spread
from bench.services import postgres_database, process_cpu_seconds
from bench.traffic import live_games
from domain.scoreboard import Scoreboard

LAYOUTS = ("text", "jsonb")
FIFTHS = 5


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.board_save", description=__doc__)
    p.add_argument("--events", type=int, default=600, help="events a game")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


def boards_as_played(events_per_game: int) -> list[list[Scoreboard]]:
    """Per game, its board after each event (copies, in order)."""
    found = []
    for game in live_games(4, events_per_game):
        events = parse(json.dumps(game.events).encode(), provider="bench")
        board = Scoreboard.scheduled(events[0])
        after = []
        for version, event in enumerate(events, start=1):
            board.apply(event, version)
            after.append(board.copy())
        found.append(after)
    return found


def open_view(url: str, layout: str) -> tuple[PostgresGameStateView, int]:
    """A fresh view of the layout, its one connection open; and that backend's pid."""
    datastore = postgres_datastore(  # one connection: its backend's CPU is the view's
        f"{url}?max_overflow=0",
        schema=f"boards_{layout}_{uuid.uuid4().hex[:6]}",
        pool_size=1,
        durable_commits=False,
    )
    ensure_schema(datastore)
    view = PostgresGameStateView(datastore)
    view.create_table()
    with datastore.transaction(commit=True) as c:
        if layout == "jsonb":
            c.execute(
                f'ALTER TABLE "{datastore.schema}".game_states'
                " ALTER COLUMN board TYPE jsonb USING board::jsonb"
            )
            c.execute("SET default_toast_compression = pglz")  # the session's, kept
        pid = backend_pid(c)
    return view, pid


def backend_pid(cursor: Any) -> int:
    cursor.execute("SELECT pg_backend_pid() AS pid")
    row = cursor.fetchone()
    assert row is not None
    return int(row["pid"])


def save_all(url: str, layout: str, games: Sequence[Sequence[Scoreboard]]) -> dict[str, Any]:
    view, pid = open_view(url, layout)
    server = [0.0] * FIFTHS
    client = [0.0] * FIFTHS
    saves = [0] * FIFTHS
    try:
        position = 0
        for boards in games:
            for index, board in enumerate(boards):
                fifth = index * FIFTHS // len(boards)
                position += 1
                on_server, on_client = process_cpu_seconds(pid), time.process_time()
                view.save({board.game_id: board}, Tracking("bench", position))
                client[fifth] += time.process_time() - on_client
                server[fifth] += process_cpu_seconds(pid) - on_server
                saves[fifth] += 1
        with view.datastore.transaction(commit=False) as c:
            assert backend_pid(c) == pid, "the view's connection changed"
    finally:
        view.datastore.close()
    return {
        "server_us_per_save": [1e6 * t / n for t, n in zip(server, saves, strict=True)],
        "client_us_per_save": [1e6 * t / n for t, n in zip(client, saves, strict=True)],
        "server_us_per_save_all": 1e6 * sum(server) / sum(saves),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    games = boards_as_played(args.events)
    rounds: list[dict[str, Any]] = []
    with postgres_database("boards") as url:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
            ).fetchone()
        lz4 = row is not None and "lz4" in row[0]
        for number in range(1, args.rounds + 1):
            found: dict[str, Any] = {"round": number}
            for layout in LAYOUTS if number % 2 else reversed(LAYOUTS):
                found[layout] = save_all(url, layout, games)
            found["server_ratio"] = (
                found["text"]["server_us_per_save_all"] / found["jsonb"]["server_us_per_save_all"]
            )
            rounds.append(found)
    print(
        f"4 games of {args.events} events, a save after each, {args.rounds} rounds (text:"
        f" lz4 {'on' if lz4 else 'not built in: pglz'}); per save, median over rounds,"
        " by fifth of the game"
    )
    for layout in LAYOUTS:
        for figure in ("server_us_per_save", "client_us_per_save"):
            fifths = [
                spread([r[layout][figure][f] for r in rounds])["median"] for f in range(FIFTHS)
            ]
            print(f"{layout:5} {figure[:6]} CPU µs: " + ", ".join(f"{v:,.0f}" for v in fifths))
    ratio = spread([r["server_ratio"] for r in rounds])
    print(
        f"text / jsonb, server CPU per save over the game: {ratio['median']:.3f}"
        f" ({ratio['min']:.3f}-{ratio['max']:.3f})"
    )
    if args.json:
        print(json.dumps({"benchmark": "board_save", "settings": vars(args), "rounds": rounds}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
