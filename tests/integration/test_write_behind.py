"""The write-behind buffers of a rebuild's shadow copies (projections/write_behind.py).

For any page size and any flush interval, a read model replayed through its buffer
and flushed holds exactly the rows (and position) of the same model replayed
straight into its store, on SQLite files; and a stale position is refused.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.read_model_rows import Rows
from adapters.simulator import simulate_game
from domain.events import GameEvent
from domain.scorekeeper import Scorekeeper
from domain.sports import Sport
from entrypoints.read_model_registry import SQLITE_READ_MODELS
from projections.buffered_stores import BufferedGameStateView
from projections.read_model_comparison import Row
from projections.replay import replay


@pytest.fixture(scope="module")
def keeper() -> Iterator[Scorekeeper]:
    """A log of whole simulated games of every sport, two of them interleaved."""
    with tempfile.TemporaryDirectory() as directory:
        keeper = Scorekeeper(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(Path(directory) / "events.sqlite"),
            }
        )
        games = []
        for n, sport in enumerate([*Sport, Sport.SOCCER]):
            script = simulate_game(sport, f"g{n}", seed=n, duration=60.0)
            events = [GameEvent.from_dict({**s.event, "provider": "p"}) for s in script]
            games.append(events)
        longest = max(len(g) for g in games)
        for start in range(0, longest, 7):
            for events in games:
                if events[start : start + 7]:
                    keeper.record(events[start : start + 7])
        yield keeper
        keeper.close()


def rows_of(path: Path, tables: tuple[Rows, ...]) -> list[Row]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        found: list[Row] = []
        for spec in tables:
            columns = ", ".join((*spec.key, *spec.values))
            query = f"SELECT {columns} FROM {spec.table} ORDER BY {', '.join(spec.key)}"
            found.extend(spec.row(row) for row in conn.execute(query))
        tracking = conn.execute("SELECT application_name, notification_id FROM tracking")
        found.append((("tracking",), repr(sorted(tuple(r) for r in tracking))))
    return found


@pytest.mark.parametrize("name", sorted(SQLITE_READ_MODELS))
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page=st.integers(1, 60), flush_every=st.integers(1, 400))
def test_a_buffered_replay_flushed_equals_a_direct_one(
    keeper: Scorekeeper, name: str, page: int, flush_every: int
) -> None:
    model = SQLITE_READ_MODELS[name]
    assert model.buffer is not None
    head = keeper.recorder.max_notification_id() or 0
    with tempfile.TemporaryDirectory() as directory:
        direct_path, buffered_path = Path(directory) / "a.sqlite", Path(directory) / "b.sqlite"
        direct, stored = model.open(str(direct_path)), model.open(str(buffered_path))
        buffer: Any = model.buffer
        buffered = buffer(stored, flush_every=flush_every)
        try:
            replay(keeper, model.projection(direct, keeper.name), stop=head, batch_size=page)
            projection = model.projection(buffered, keeper.name)
            assert replay(keeper, projection, stop=head, batch_size=page) == head
            assert projection.position() == head
            buffered.flush()
            assert stored.max_tracking_id(keeper.name) == head
            assert rows_of(buffered_path, model.tables) == rows_of(direct_path, model.tables)
        finally:
            direct.datastore.close()
            stored.datastore.close()


def test_a_stale_position_is_refused_and_reads_see_the_buffer(keeper: Scorekeeper) -> None:
    model = SQLITE_READ_MODELS["game_state"]
    with tempfile.TemporaryDirectory() as directory:
        store: Any = model.open(str(Path(directory) / "v.sqlite"))
        buffered = BufferedGameStateView(store, flush_every=1_000)
        try:
            projection = model.projection(buffered, keeper.name)
            replay(keeper, projection, stop=20, batch_size=10)
            assert store.max_tracking_id(keeper.name) is None  # nothing written yet
            assert buffered.max_tracking_id(keeper.name) == 20
            assert buffered.boards(["g0"])["g0"].version > 0
            with pytest.raises(IntegrityError):
                buffered.save({}, Tracking(keeper.name, 20))
            buffered.flush()
            assert store.max_tracking_id(keeper.name) == 20
            assert store.board("g0") == buffered.board("g0")
        finally:
            store.datastore.close()
