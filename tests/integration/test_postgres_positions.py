"""The Scorekeeper's PostgreSQL recorder stores a commit's several positions in one
statement: for any commits, each stores all its positions if every one is above the
one stored for its upstream (or is its first) and nothing otherwise (IntegrityError),
as the library's one-position-at-a-time tracking does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.postgres_partitioned_recorder import PostgresPartitionedProcessRecorder
from adapters.postgres_schema import postgres_datastore

UPSTREAMS = [f"game-events:{n}" for n in range(4)]


@pytest.fixture(scope="module")
def recorder(postgres_url: str) -> Iterator[PostgresPartitionedProcessRecorder]:
    schema = f"positions_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    datastore = postgres_datastore(postgres_url, schema=schema)
    found = PostgresPartitionedProcessRecorder(datastore)
    found.create_table()
    yield found
    datastore.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


commits = st.lists(
    st.dictionaries(st.sampled_from(UPSTREAMS), st.integers(1, 12), min_size=1),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(commits=commits)
def test_a_commit_stores_all_its_positions_or_none(
    recorder: PostgresPartitionedProcessRecorder, commits: list[dict[str, int]]
) -> None:
    run = uuid.uuid4().hex[:8]  # upstream names of this example only
    stored: dict[str, int] = {}
    for positions in commits:
        trackings = [Tracking(f"{name}:{run}", at) for name, at in positions.items()]
        accepted = all(at > stored.get(name, 0) for name, at in positions.items())
        if accepted:
            recorder.insert_events([], trackings=trackings)
            stored.update(positions)
        else:
            with pytest.raises(IntegrityError):
                recorder.insert_events([], trackings=trackings)
        for name in UPSTREAMS:
            assert recorder.max_tracking_id(f"{name}:{run}") == stored.get(name)
