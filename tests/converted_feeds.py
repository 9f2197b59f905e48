"""What the provider-format tests check of every converted feed, written once.

A converter turns a provider's file into native events; these check the invariants every
converter promises (:func:`check_converted_feed`) and replay the output into an
in-memory Scorekeeper one provider row at a time (:func:`replay_row_by_row`), so that a
test can compare the board after each row with the provider's own running score.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from domain.events import GameEvent
from domain.scoreboard import Scoreboard
from domain.scorekeeper import Scorekeeper


def memory_keeper() -> Scorekeeper:
    return Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def record_natives(keeper: Scorekeeper, natives: Sequence[Mapping[str, Any]]) -> list[str]:
    """Record ``natives``; the refusals as ``"event_id: outcome reason"`` (none: ``[]``)."""
    verdicts = keeper.record([GameEvent.from_dict(dict(e)) for e in natives])
    return [f"{v.event_id}: {v.outcome} {v.reason}" for v in verdicts if v.outcome != "recorded"]


def scoreboard_of(keeper: Scorekeeper, game_id: str) -> Scoreboard:
    board = keeper.scoreboard(game_id)
    assert board is not None, f"no game {game_id}"
    return board


def provider_row(native: Mapping[str, Any], kind: str) -> int | None:
    """The provider row an event came from (its id is ``GAME:kind:N``), or None."""
    parts = native["event_id"].split(":")
    return int(parts[2]) if len(parts) > 2 and parts[1] == kind else None


def check_converted_feed(natives: list[dict[str, Any]]) -> None:
    """The invariants every converter promises for every output."""
    assert [e["sequence_number"] for e in natives] == list(range(1, len(natives) + 1))
    ids = [e["event_id"] for e in natives]
    assert len(set(ids)) == len(ids)
    types = [e["event_type"] for e in natives]
    assert types[0] == "GAME_SCHEDULED"
    assert types.count("GAME_STARTED") <= 1 and types.count("GAME_FINAL") <= 1
    if "GAME_STARTED" in types:
        assert types.index("GAME_STARTED") == 1
    if "GAME_FINAL" in types:
        assert types[-1] == "GAME_FINAL"
    schedule = natives[0]["schedule"]
    for e in natives:
        assert e["team_id"] in (None, schedule["home_team_id"], schedule["away_team_id"])
        GameEvent.from_dict(e)


def replay_row_by_row(
    keeper: Scorekeeper, natives: list[dict[str, Any]], kind: str, rows: Iterable[int]
) -> Iterator[tuple[int, list[dict[str, Any]], Scoreboard]]:
    """Record the schedule, then each provider row's events in the order of ``rows``.

    Yields ``(row, its events, the board after them)``; an event with no row of its own
    (GAME_STARTED, say) goes with the row after it. Once exhausted, it has checked that
    nothing was refused and that row by row is the output's own order.
    """
    game_id = natives[0]["game_id"]
    by_row: dict[int, list[dict[str, Any]]] = {}
    pending: list[dict[str, Any]] = []
    for native in natives[1:]:
        number = provider_row(native, kind)
        if number is None:
            pending.append(native)
        else:
            by_row.setdefault(number, []).extend([*pending, native])
            pending = []
    assert pending == [], "events after the last provider row"
    assert record_natives(keeper, natives[:1]) == []
    replayed = natives[:1]
    for number in rows:
        batch = by_row.get(number, [])
        replayed += batch
        assert record_natives(keeper, batch) == [], number
        yield number, batch, scoreboard_of(keeper, game_id)
    assert replayed == natives


def score_of(keeper: Scorekeeper, game_id: str) -> tuple[int, int]:
    """The game's (home, away) score."""
    board = scoreboard_of(keeper, game_id)
    return board.home_score, board.away_score
