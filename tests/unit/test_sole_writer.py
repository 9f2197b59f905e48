"""A Scorekeeper that becomes the sole writer once built (the embedded process, on
starting its recorder) decides and classifies exactly as one reading every game back
from the store; ``has_cached`` says when classify needs nothing but memory."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.scorekeeper import Scorekeeper
from tests.game_events import GameScript
from tests.unit.test_game_properties import games
from tests.unit.test_scorekeeper_cache import keeper, outcomes


def embedded(path: Path | None = None) -> Scorekeeper:
    """Built as every role but the recorder is (fast-forwarding), then made sole writer."""
    scorekeeper = keeper(trusting=False, path=path)
    scorekeeper.become_sole_writer()
    return scorekeeper


@settings(max_examples=60, deadline=None)
@given(games(), st.data())
def test_a_sole_writer_decides_and_classifies_as_one_reading_the_store(
    game: GameScript, data: st.DataObject
) -> None:
    deliveries = [*game.events, *data.draw(st.lists(st.sampled_from(game.events), max_size=8))]
    if data.draw(st.booleans()):  # the same plays from a second provider, under its own ids
        deliveries += [
            replace(e, provider="backup", event_id=f"bk-{e.event_id}")
            for e in data.draw(st.lists(st.sampled_from(game.events), max_size=8))
            if e.references_event_id is None
        ]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(deliveries)), max_size=6)))
    batches = [deliveries[a:b] for a, b in zip([0, *cuts], [*cuts, len(deliveries)], strict=True)]
    reading, sole = keeper(trusting=False), embedded()
    assert sole.sole_writer and not reading.sole_writer
    for batch in batches:
        assert sole.classify(batch) == reading.classify(batch)
        assert outcomes(sole.record(batch)) == outcomes(reading.record(batch))
        assert sole.classify(batch) == reading.classify(batch)
    want, got = reading.scoreboard(game.game_id), sole.scoreboard(game.game_id)
    assert want is not None and got is not None
    assert got.public() == want.public()


@settings(max_examples=30, deadline=None)
@given(games(), st.booleans())
def test_has_cached_once_a_sole_writer_recorded_and_classified_the_game(
    game: GameScript, backup: bool
) -> None:
    sole = embedded()
    assert not sole.has_cached(game.events[:1])  # an unknown game must be looked up
    sole.record(game.events)
    later = game.events
    if backup:
        later = [replace(e, provider="backup", event_id=f"bk-{e.event_id}") for e in later]
    sole.classify(later)  # looks up what memory lacked (a game's aliases, or their absence)
    assert sole.has_cached(later)
    assert not keeper(trusting=False).has_cached(later)  # not a sole writer: never


def test_become_sole_writer_forgets_what_was_read_before(tmp_path: Path) -> None:
    store = tmp_path / "events.sqlite"
    game = GameScript()
    game.schedule()
    game.start()
    first = keeper(trusting=False, path=store)
    first.record(game.events[:1])
    assert first.scoreboard(game.game_id) is not None  # cached at version 1
    other = keeper(trusting=False, path=store)
    other.record(game.events[1:])  # another process moved the game on, before ...
    first.become_sole_writer()  # ... this one became the only writer
    assert first.game_version(game.game_id) == 2
    assert [v.outcome for v in first.record(game.events)] == ["duplicate", "duplicate"]
