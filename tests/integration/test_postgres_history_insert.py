"""PostgresHistory.save inserts a batch as column arrays (one statement): for any rows,
repeated keys and rows already stored among them, it stores what one INSERT per row,
in order, stores (the first row of a key kept, the others skipped)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.sql import SQL, Identifier

from adapters.postgres_history import COLUMNS, PostgresHistory, open_postgres_history, row_values
from projections.history import HistoryRow
from tests.integration.test_history_copy import clear, history_rows, stored

ONE_ROW = (
    "INSERT INTO {schema}.game_events (" + COLUMNS + ")"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (game_id, version, recorded_at) DO NOTHING"
)


@pytest.fixture
def stores(postgres_url: str) -> Iterator[tuple[PostgresHistory, PostgresHistory]]:
    pair = tuple(
        open_postgres_history(postgres_url, schema=f"hist_{uuid.uuid4().hex[:10]}")
        for _ in range(2)
    )
    yield pair[0], pair[1]
    for store in pair:
        with store.datastore.transaction(commit=True) as c:
            c.execute(f'DROP SCHEMA "{store.datastore.schema}" CASCADE')
        store.datastore.close()


def insert_one_by_one(store: PostgresHistory, rows: list[HistoryRow]) -> None:
    statement = SQL(ONE_ROW).format(schema=Identifier(store.datastore.schema))
    with store.datastore.transaction(commit=True) as c:
        for row in rows:
            c.execute(statement, row_values(row))


@st.composite
def batches_with_repeats(draw: Any) -> tuple[list[HistoryRow], list[HistoryRow]]:
    """A first batch, and a second holding new rows, rows of the first, and rows that
    repeat a key of either with other content."""
    first, fresh = draw(history_rows()), draw(history_rows())
    fresh = [replace(r, version=r.version + 2**62) for r in fresh]  # keys unlike first's
    again = draw(st.lists(st.sampled_from(first + fresh), max_size=4))
    changed = [replace(r, event={"other": True}, provider="other") for r in again]
    second = draw(st.permutations([*fresh, *again, *changed]))
    return first, list(second)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=batches_with_repeats())
def test_a_batch_stores_what_one_insert_per_row_stores(
    stores: tuple[PostgresHistory, PostgresHistory],
    batches: tuple[list[HistoryRow], list[HistoryRow]],
) -> None:
    saved, reference = stores
    for store in stores:
        clear(store)
    first, second = batches
    saved.save(first, Tracking("up", 1))
    saved.save(second, Tracking("up", 2))
    insert_one_by_one(reference, first)
    insert_one_by_one(reference, second)
    assert sorted(stored(saved), key=repr) == sorted(stored(reference), key=repr)
    assert saved.max_tracking_id("up") == 2
