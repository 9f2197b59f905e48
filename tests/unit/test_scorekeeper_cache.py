"""The command side's caches: what is remembered must never change what is decided.

- GameEvent.to_dict / fingerprint are built once per event: equal to the plain
  dataclass rendering, and every caller gets its own dict.
- A Scorekeeper that trusts its cache (``AGGREGATE_CACHE_FASTFORWARD=n``, the
  recorder's) decides exactly as one that reads every game back from the store, for
  any game, any batching and any duplicates, with one provider or two.
- When another writer moved a game on, ``forget`` (or the failed commit itself)
  brings the trusting Scorekeeper back to the store's truth.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import RecordConflictError
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import GameEvent, Verdict
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType, Sport
from tests.game_events import GameScript
from tests.unit.test_game_properties import games


def plain_dict(event: GameEvent) -> dict[str, Any]:
    """The rendering GameEvent.to_dict had before it was cached (the reference)."""
    data: dict[str, Any] = {}
    for f in fields(event):
        value = getattr(event, f.name)
        if f.name in ("schedule", "correction"):
            if value is not None:
                data[f.name] = {
                    k: v.value if isinstance(v, EventType) else v for k, v in asdict(value).items()
                }
                if f.name == "correction":  # its assists and name only when given
                    given = data[f.name].pop("assists")
                    if given is not None:
                        data[f.name]["assists"] = list(given)
                    name = data[f.name].pop("player_name")
                    if name is not None:
                        data[f.name]["player_name"] = name
            continue
        if f.name == "assists":  # only when there are some (what events had before them)
            if value:
                data[f.name] = list(value)
            continue
        if f.name == "player_name":  # only when given (what events had before names)
            if value is not None:
                data[f.name] = value
            continue
        data[f.name] = value.value if isinstance(value, (Sport, EventType)) else value
    return data


def reference_fingerprint(event: GameEvent) -> str:
    content = plain_dict(event)
    content.pop("provider", None)
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


def keeper(trusting: bool, path: Path | None = None) -> Scorekeeper:
    env = {"AGGREGATE_CACHE_FASTFORWARD": "n" if trusting else "y"}
    if path is None:
        env["PERSISTENCE_MODULE"] = "eventsourcing.popo"
    else:
        env |= {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    return Scorekeeper(env=env)


def outcomes(verdicts: list[Verdict]) -> list[tuple[str, str, int | None]]:
    return [(v.event_id, v.outcome, v.version) for v in verdicts]


@settings(max_examples=60, deadline=None)
@given(games())
def test_to_dict_and_fingerprint_are_the_plain_rendering_and_each_dict_is_the_callers(
    game: GameScript,
) -> None:
    for event in game.events:
        expected = plain_dict(event)
        first = event.to_dict()
        assert first == expected
        assert list(first) == list(expected)
        first["event_id"] = "changed"
        for nested in ("schedule", "correction"):
            if nested in first:
                first[nested]["changed"] = True
        assert event.to_dict() == expected, "a caller's changes never reach the event"
        assert event.fingerprint() == event.fingerprint() == reference_fingerprint(event)
        assert GameEvent.from_dict(event.to_dict()) == event


@settings(max_examples=60, deadline=None)
@given(games(), st.data())
def test_a_trusting_scorekeeper_decides_as_one_reading_the_store(
    game: GameScript, data: st.DataObject
) -> None:
    deliveries = [*game.events, *data.draw(st.lists(st.sampled_from(game.events), max_size=8))]
    backup = data.draw(st.booleans())
    if backup:  # the same plays from a second provider, under its own ids
        deliveries += [
            replace(e, provider="backup", event_id=f"bk-{e.event_id}")
            for e in data.draw(st.lists(st.sampled_from(game.events), max_size=8))
            if e.references_event_id is None
        ]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(deliveries)), max_size=6)))
    batches = [deliveries[a:b] for a, b in zip([0, *cuts], [*cuts, len(deliveries)], strict=True)]
    reading, trusting = keeper(trusting=False), keeper(trusting=True)
    for batch in batches:
        assert outcomes(trusting.record(batch)) == outcomes(reading.record(batch))
        assert trusting.classify(batch) == reading.classify(batch)
    want, got = reading.scoreboard(game.game_id), trusting.scoreboard(game.game_id)
    assert want is not None and got is not None
    assert got.public() == want.public()


def three_plays() -> GameScript:
    game = GameScript()
    game.schedule()
    game.start()
    return game


def test_forget_reads_what_another_writer_recorded(tmp_path: Path) -> None:
    store = tmp_path / "events.sqlite"
    game = three_plays()
    owner, other = keeper(True, store), keeper(True, store)
    assert [v.outcome for v in owner.record(game.events)] == ["recorded", "recorded"]
    moved = game.score(EventType.GOAL)
    assert other.record([moved])[0].version == 3  # the partition moved to ``other``
    owner.forget()  # ... and back: the owner was assigned it again
    assert owner.record([moved])[0].outcome == "duplicate"
    assert owner.record([game.score(EventType.GOAL)])[0].version == 4


def test_a_commit_refused_by_the_store_forgets_what_it_cached(tmp_path: Path) -> None:
    store = tmp_path / "events.sqlite"
    game = three_plays()
    owner, other = keeper(True, store), keeper(True, store)
    owner.record(game.events)
    moved = game.score(EventType.GOAL)
    other.record([moved])
    with pytest.raises(RecordConflictError):  # decided on a stale game: version 3 is taken
        owner.record([game.score(EventType.GOAL, event_id="late")])
    verdicts = owner.record([moved, game.events[1], game.events[-1]])
    assert [(v.outcome, v.version) for v in verdicts] == [
        ("duplicate", None),
        ("duplicate", None),
        ("recorded", 4),
    ]
