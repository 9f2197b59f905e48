"""One contract for every DeliveryLedger (memory, SQLite, PostgreSQL); see
domain.notification_ports.DeliveryLedger for the guarantees."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.delivery_ledger import MemoryDeliveryLedger, SQLiteDeliveryLedger
from adapters.postgres_delivery_ledger import open_postgres_delivery_ledger
from domain.notification_ports import DeliveryLedger

Make = Callable[[], DeliveryLedger]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    memory = MemoryDeliveryLedger()
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    schema = f"ledger_{uuid.uuid4().hex[:12]}"  # this test's own tables
    opened: list[DeliveryLedger] = []

    def make() -> DeliveryLedger:
        ledger: DeliveryLedger
        if request.param == "memory":
            return memory
        if request.param == "postgres":
            ledger = open_postgres_delivery_ledger(url, schema=schema, pool_size=2)
        else:
            ledger = SQLiteDeliveryLedger(tmp_path / "ledger.sqlite")
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(make_ledger: Make) -> DeliveryLedger:
    """One ledger for a whole test (hypothesis examples share it)."""
    return make_ledger()


def test_delivered_answers_only_the_recorded_tokens(make_ledger: Make) -> None:
    ledger = make_ledger()
    assert ledger.delivered("n1", ["a", "b"]) == set()
    ledger.record("n1", ["a", "c"])
    assert ledger.delivered("n1", ["a", "b", "c"]) == {"a", "c"}
    assert ledger.delivered("n2", ["a", "c"]) == set()  # per notification
    assert ledger.delivered("n1", []) == set()
    assert ledger.count("n1") == 2
    assert ledger.count("n2") == 0


def test_record_is_idempotent(make_ledger: Make) -> None:
    ledger = make_ledger()
    ledger.record("n1", ["a", "b"])
    ledger.record("n1", ["b", "c"])
    ledger.record("n1", ["a"])
    assert ledger.count("n1") == 3


def test_positions_start_at_zero_and_move_only_forward(make_ledger: Make) -> None:
    ledger = make_ledger()
    assert ledger.positions({0, 3}) == {0: 0, 3: 0}
    assert ledger.positions(set()) == {}
    ledger.record("n1", ["a"], (3, 10))
    ledger.record("n1", [], (3, 7))  # an older record finishing late: never moves back
    ledger.record("n2", ["b"], (0, 2))
    assert ledger.positions({0, 3, 5}) == {0: 2, 3: 10, 5: 0}
    ledger.record("n3", [], (3, 11))
    assert ledger.positions([3]) == {3: 11}
    assert ledger.delivered("n2", ["b"]) == {"b"}


def test_deliveries_and_positions_survive_reopening(make_ledger: Make) -> None:
    ledger = make_ledger()
    ledger.record("n1", ["a", "b"], (1, 5))
    ledger.close()
    again = make_ledger()
    assert again.delivered("n1", ["a", "b", "c"]) == {"a", "b"}
    assert again.positions({1}) == {1: 5}


def test_bulk_deliveries_of_one_notification(make_ledger: Make) -> None:
    """Both write paths (PostgreSQL: arrays up to 20,000 tokens, COPY beyond); its speed
    at a million is ``scoreline bench notify``'s to measure, not a test's."""
    ledger = make_ledger()
    tokens = [f"token-{i:07d}" for i in range(120_000)]
    ledger.record("big", tokens[:60_000])
    for start in range(60_000, 120_000, 10_000):
        ledger.record("big", tokens[start : start + 10_000], (0, start))
    assert ledger.count("big") == 120_000
    assert ledger.positions({0}) == {0: 110_000}
    some = [*tokens[::1000], "absent"]
    assert ledger.delivered("big", some) == set(tokens[::1000])


def test_concurrent_records_from_threads_lose_nothing(make_ledger: Make) -> None:
    ledger = make_ledger()
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(20):
                tokens = [f"w{worker}-{n}-{i}" for i in range(25)]
                ledger.record("n1", tokens, (worker % 2, worker * 100 + n))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ledger.count("n1") == 6 * 20 * 25
    assert ledger.positions({0, 1}) == {0: 419, 1: 519}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    writes=st.lists(
        st.tuples(
            st.sampled_from(["n1", "n2"]),
            st.lists(st.sampled_from("abcdefgh"), max_size=5),
            st.none() | st.tuples(st.integers(0, 2), st.integers(1, 1000)),
        ),
        max_size=12,
    )
)
def test_the_ledger_agrees_with_a_model(
    ledger: DeliveryLedger,
    writes: list[tuple[str, list[str], tuple[int, int] | None]],
) -> None:
    run = uuid.uuid4().hex[:8]  # examples share the store: a namespace of their own
    partitions = {p: 0 for p in range(3)}
    before = ledger.positions(set(partitions))
    delivered: dict[str, set[str]] = {"n1": set(), "n2": set()}
    for notification, tokens, position in writes:
        ledger.record(f"{run}-{notification}", tokens, position)
        delivered[notification].update(tokens)
        if position is not None:
            partition, at = position
            partitions[partition] = max(partitions[partition], at)
    for notification, recorded in delivered.items():
        assert ledger.delivered(f"{run}-{notification}", list("abcdefgh")) == recorded
        assert ledger.count(f"{run}-{notification}") == len(recorded)
    expected = {p: max(at, before[p]) for p, at in partitions.items()}
    assert ledger.positions(set(partitions)) == expected


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_positions_belong_to_their_queue(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A renamed topic, or a second deployment on the database, starts from its own
    positions: seeking to another queue's would skip its records."""

    def open_for(queue: str) -> DeliveryLedger:
        if backend == "sqlite":
            return SQLiteDeliveryLedger(tmp_path / "ledger.sqlite", queue=queue)
        url = request.getfixturevalue("postgres_url")
        return open_postgres_delivery_ledger(url, schema="ledger_queues", pool_size=1, queue=queue)

    old, new = open_for(f"old-{uuid.uuid4().hex}"), open_for(f"new-{uuid.uuid4().hex}")
    try:
        old.record("n1", ["a"], (0, 40))
        assert new.positions({0}) == {0: 0}
        new.record("n1", ["b"], (0, 3))
        assert (old.positions({0}), new.positions({0})) == ({0: 40}, {0: 3})
        assert new.delivered("n1", ["a", "b"]) == {"a", "b"}  # deliveries are per device
    finally:
        old.close()
        new.close()
