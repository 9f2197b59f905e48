"""The shadow history's COPY (adapters/postgres_history_copy.py) writes exactly the rows
that PostgresHistory.save's INSERTs write, for any rows: text with COPY's special
characters, NULLs, any instant and offset, any JSON event."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.postgres_history import COLUMNS, PostgresHistory, open_postgres_history
from adapters.postgres_history_copy import ShadowPostgresHistory
from projections.history import HistoryRow

text = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=12)
nasty = st.one_of(text, st.sampled_from(["a\tb", "a\\b", "line\nnext", "cr\r", "\\N", "\\."]))
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | nasty
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(nasty, inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
instant = st.builds(
    lambda at, minutes: at.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)),
    st.integers(-12 * 60, 14 * 60),
)
small = st.integers(-(2**31), 2**31 - 1)


@st.composite
def history_rows(draw: Any) -> list[HistoryRow]:
    count = draw(st.integers(1, 8))
    return [
        HistoryRow(
            game_id=draw(nasty),
            sequence_number=n,
            version=draw(st.integers(0, 2**58)) * 8 + n,  # unique: a shadow's rows are
            event_id=draw(nasty),
            event_type=draw(nasty),
            team_id=draw(st.none() | nasty),
            player_id=draw(st.none() | nasty),
            period=draw(st.none() | small),
            clock_seconds=draw(st.none() | small),
            provider=draw(nasty),
            recorded_at=draw(instant),
            event=draw(st.dictionaries(nasty, json_value, max_size=4)),
        )
        for n in range(count)
    ]


@pytest.fixture
def stores(postgres_url: str) -> Iterator[tuple[PostgresHistory, PostgresHistory]]:
    inserted = open_postgres_history(postgres_url, schema=f"hist_{uuid.uuid4().hex[:10]}")
    shadow_schema = f"hist_{uuid.uuid4().hex[:10]}"
    plain = open_postgres_history(postgres_url, schema=shadow_schema)
    copied = ShadowPostgresHistory(plain.datastore)
    yield inserted, copied
    for store in (inserted, copied):
        with store.datastore.transaction(commit=True) as c:
            c.execute(f'DROP SCHEMA "{store.datastore.schema}" CASCADE')
        store.datastore.close()


def stored(store: PostgresHistory) -> list[tuple[Any, ...]]:
    with store.datastore.transaction(commit=False) as c:
        c.execute(
            f'SELECT {COLUMNS} FROM "{store.datastore.schema}".game_events ORDER BY sequence_number'
        )
        return [tuple(row.values()) for row in c.fetchall()]


def clear(store: PostgresHistory) -> None:
    with store.datastore.transaction(commit=True) as c:
        for table in ("game_events", "game_events_tracking"):
            c.execute(f'DELETE FROM "{store.datastore.schema}".{table}')


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=history_rows())
def test_copy_writes_the_rows_the_inserts_write(
    stores: tuple[PostgresHistory, PostgresHistory], rows: list[HistoryRow]
) -> None:
    inserted, copied = stores
    for store in stores:
        clear(store)
        store.save(rows, Tracking("up", 1))
    assert stored(copied) == stored(inserted)
    assert len(stored(copied)) == len(rows)
    assert copied.max_tracking_id("up") == 1


def test_a_copy_of_many_rows_is_written_in_pieces(
    stores: tuple[PostgresHistory, PostgresHistory],
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        HistoryRow("g", n, n, f"e{n}", "GOAL", None, "p\t1", 1, n, "x", at, {"n": n})
        for n in range(12_345)
    ]
    _, copied = stores
    copied.save(rows, Tracking("up", 7))
    found = stored(copied)
    assert len(found) == len(rows) and found[-1][0] == "g" and found[-1][6] == "p\t1"
