"""The rebuild's PostgreSQL page reader (projections/log_pages.py) reads exactly what
eventsourcing's ``select_notifications(start, limit, stop=stop)`` returns, for any
start, page size and upper bound: the same Notifications, values of the same types,
with or without gaps in the notification ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresApplicationRecorder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.postgres_schema import postgres_env, upgrade
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.log_pages import notification_reader
from tests.game_events import GameScript


@pytest.fixture(scope="module")
def keeper(postgres_url: str) -> Iterator[Scorekeeper]:
    """A store of three games' 36 events, a gap in its notification ids after the 12th."""
    schema = f"pages_{uuid.uuid4().hex[:10]}"
    url = f"{postgres_url}?schema={schema}"
    upgrade(url)
    keeper = Scorekeeper(env=postgres_env(url, create_table=False))
    assert isinstance(keeper.recorder, PostgresApplicationRecorder)
    datastore = keeper.recorder.datastore
    for number, game_id in enumerate(("g1", "g2", "g3")):
        game = GameScript(game_id)
        game.schedule()
        game.start()
        for _ in range(10):
            game.score(EventType.GOAL)
        keeper.record(game.events, Tracking("upstream", number + 1))
        if number == 0:  # ids a rolled-back transaction took: a gap in the log
            with datastore.transaction(commit=False) as c:
                c.execute(f"SELECT nextval(pg_get_serial_sequence('{schema}.scoreline_events',"
                          " 'notification_id')) FROM generate_series(1, 5)")  # fmt: skip
    yield keeper
    with datastore.transaction(commit=True) as c:
        c.execute(f'DROP SCHEMA "{schema}" CASCADE')
    keeper.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.integers(-2, 50), limit=st.integers(1, 45), stop=st.integers(-2, 50))
def test_a_postgres_reader_reads_what_the_recorder_selects(
    keeper: Scorekeeper, start: int, limit: int, stop: int
) -> None:
    read = notification_reader(keeper.recorder, limit, stop)
    found = read(start)
    expected = keeper.recorder.select_notifications(start, limit, stop=stop)
    assert found == expected
    assert [vars(n) for n in found] == [vars(n) for n in expected]
    assert [type(n.originator_id) for n in found] == [type(n.originator_id) for n in expected]
    assert [type(n.state) for n in found] == [type(n.state) for n in expected]


def test_the_log_has_the_gap_the_reader_is_tested_across(keeper: Scorekeeper) -> None:
    ids = [n.id for n in keeper.recorder.select_notifications(1, 100)]
    assert len(ids) == 36
    assert ids[12] - ids[11] == 6
