"""The Scorekeeper's PostgreSQL recorder sends events as binary column arrays: for any
batch it must store what the library's recorder stores (its composite array), in the
same order, and answer the same notification ids for them. It stores a commit's several
positions in one statement: for any commits, each stores all its positions if every one
is above the one stored for its upstream (or is its first), and nothing otherwise
(IntegrityError), as the library's one-position-at-a-time tracking does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.postgres_partitioned_recorder import PostgresPartitionedProcessRecorder
from adapters.postgres_schema import postgres_datastore

Recorders = tuple[PostgresPartitionedProcessRecorder, PostgresProcessRecorder]
UPSTREAMS = [f"game-events:{n}" for n in range(4)]


@pytest.fixture(scope="module")
def recorders(postgres_url: str) -> Iterator[Recorders]:
    schema = f"columns_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    datastore = postgres_datastore(postgres_url, schema=schema)
    ours = PostgresPartitionedProcessRecorder(
        datastore, events_table_name="ours_events", tracking_table_name="ours_tracking"
    )
    library = PostgresProcessRecorder(
        datastore, events_table_name="library_events", tracking_table_name="library_tracking"
    )
    ours.create_table()
    library.create_table()
    yield ours, library
    datastore.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _empty(recorders: Recorders) -> None:
    for recorder in recorders:
        with recorder.datastore.transaction(commit=True) as c:
            schema = recorder.datastore.schema
            c.execute(
                f'TRUNCATE "{schema}"."{recorder.events_table_name}",'
                f' "{schema}"."{recorder.tracking_table_name}" RESTART IDENTITY'
            )


# Topics are text (no NUL, no lone surrogate: PostgreSQL refuses both whoever sends them);
# states are any bytes, the escapes of text formats included.
_topics = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)
_events = st.lists(
    st.tuples(st.uuids(), st.integers(1, 2**62), _topics, st.binary(max_size=600)),
    min_size=1,
    max_size=40,
    unique_by=lambda e: (e[0], e[1]),
).map(lambda rows: [StoredEvent(*row) for row in rows])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(_events, min_size=1, max_size=3))
def test_any_batches_are_stored_as_the_library_stores_them(
    recorders: Recorders, batches: list[list[StoredEvent]]
) -> None:
    _empty(recorders)
    expected: list[tuple[uuid.UUID | str, int, str, bytes]] = []
    for position, batch in enumerate(batches, start=1):
        stored = {(e[0], e[1]) for e in expected}
        batch = [e for e in batch if (e.originator_id, e.originator_version) not in stored]
        expected += [(e.originator_id, e.originator_version, e.topic, e.state) for e in batch]
        answered = [
            recorder.insert_events(batch, tracking=Tracking("upstream", position))
            for recorder in recorders
        ]
        assert answered[0] == answered[1]
    ours, library = (r.select_notifications(1, 1_000) for r in recorders)
    assert [(n.originator_id, n.originator_version, n.topic, n.state) for n in ours] == expected
    assert [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in ours] == [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in library
    ]
    assert all(r.max_tracking_id("upstream") == len(batches) for r in recorders)


def test_an_event_already_stored_fails_the_whole_commit(recorders: Recorders) -> None:
    _empty(recorders)
    ours, _ = recorders
    first = StoredEvent(uuid.uuid4(), 1, "topic", b"\\x00 state")
    ours.insert_events([first], tracking=Tracking("upstream", 1))
    again = [StoredEvent(uuid.uuid4(), 1, "topic", b"new"), first]
    with pytest.raises(IntegrityError):
        ours.insert_events(again, tracking=Tracking("upstream", 2))
    assert [n.originator_id for n in ours.select_notifications(1, 10)] == [first.originator_id]
    assert ours.max_tracking_id("upstream") == 1


_commits = st.lists(
    st.dictionaries(st.sampled_from(UPSTREAMS), st.integers(1, 12), min_size=1),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(commits=_commits)
def test_a_commit_stores_all_its_positions_or_none(
    recorders: Recorders, commits: list[dict[str, int]]
) -> None:
    ours, _ = recorders
    run = uuid.uuid4().hex[:8]  # upstream names of this example only
    stored: dict[str, int] = {}
    for positions in commits:
        trackings = [Tracking(f"{name}:{run}", at) for name, at in positions.items()]
        accepted = all(at > stored.get(name, 0) for name, at in positions.items())
        if accepted:
            ours.insert_events([], trackings=trackings)
            stored.update(positions)
        else:
            with pytest.raises(IntegrityError):
                ours.insert_events([], trackings=trackings)
        for name in UPSTREAMS:
            assert ours.max_tracking_id(f"{name}:{run}") == stored.get(name)
