"""One contract for every RejectedStore implementation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from adapters.postgres_rejected_store import PostgresRejectedStore
from adapters.rejected_store import MemoryRejectedStore, SQLiteRejectedStore
from domain.ports import RejectedStore


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], RejectedStore]]:
    memory = MemoryRejectedStore()
    opened: list[RejectedStore] = []
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS rejected_replays, rejected")

    def make() -> RejectedStore:
        store: RejectedStore
        if request.param == "memory":
            store = memory
        elif request.param == "sqlite":
            store = SQLiteRejectedStore(tmp_path / "r.sqlite")
        else:
            store = PostgresRejectedStore(request.getfixturevalue("postgres_url"))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def test_a_kept_payload_comes_back_raw(make_store: Callable[[], RejectedStore]) -> None:
    store = make_store()
    raw = b"\x00\xffnot json at all"
    kept = store.keep(
        source="webhook",
        provider="p",
        reason="invalid",
        detail={"detail": "bad"},
        body=raw,
        content_type="text/plain",
    )
    got = store.get(kept)
    assert got is not None
    assert (got.body, got.reason, got.provider, got.detail) == (
        raw,
        "invalid",
        "p",
        {"detail": "bad"},
    )
    assert got.content_type == "text/plain"


def test_listing_pages_by_id(make_store: Callable[[], RejectedStore]) -> None:
    store = make_store()
    ids = [
        store.keep(source="webhook", provider="p", reason="invalid", detail={}, body=b"x")
        for _ in range(5)
    ]
    first = store.list(limit=2)
    rest = store.list(after_id=first[-1].id, limit=10)
    assert [r.id for r in first + rest] == ids


def test_keep_is_idempotent_for_a_dedupe_key(make_store: Callable[[], RejectedStore]) -> None:
    store = make_store()
    a = store.keep(
        source="recorder", provider="p", reason="rule", detail={}, body=b"1", dedupe_key="log:7:e1"
    )
    b = store.keep(
        source="recorder", provider="p", reason="rule", detail={}, body=b"1", dedupe_key="log:7:e1"
    )
    assert a == b and len(store.list()) == 1


def test_kept_payloads_survive_reopening(make_store: Callable[[], RejectedStore]) -> None:
    store = make_store()
    kept = store.keep(source="webhook", provider="p", reason="invalid", detail={}, body=b"x")
    store.close()
    assert make_store().get(kept) is not None


def test_replays_are_remembered_with_their_result(make_store: Callable[[], RejectedStore]) -> None:
    store = make_store()
    kept = store.keep(source="webhook", provider="p", reason="invalid", detail={}, body=b"x")
    store.note_replay(kept, {"status": 422})
    store.note_replay(kept, {"status": 202, "accepted": 1})
    got = store.get(kept)
    assert got is not None
    assert [r["status"] for r in got.replays] == [422, 202]
    assert [r["status"] for r in store.list()[0].replays] == [422, 202]
