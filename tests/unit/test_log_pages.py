"""Pages read ahead (projections/log_pages.py): the plain loop's pages, in order, for
any log, page size, read-ahead and failure point; the reader stopped when the caller
stops."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.log_pages import notification_reader, pages_ahead
from tests.game_events import GameScript


@dataclass(frozen=True)
class N:
    id: int


class Log:
    def __init__(self, ids: list[int], page: int, fail_at: int | None = None) -> None:
        self.ids, self.page, self.fail_at, self.reads = sorted(set(ids)), page, fail_at, 0

    def read(self, start: int) -> list[N]:
        self.reads += 1
        if self.fail_at is not None and self.reads > self.fail_at:
            raise OSError(f"read {self.reads} failed")
        return [N(i) for i in self.ids if i >= start][: self.page]

    def plain(self, after: int) -> list[list[N]]:
        pages, start = [], after + 1
        while page := self.read(start):
            pages.append(page)
            start = page[-1].id + 1
        return pages


ids = st.lists(st.integers(1, 300), max_size=80)


@given(ids=ids, page=st.integers(1, 30), after=st.integers(0, 50), ahead=st.integers(0, 4))
def test_the_pages_are_the_plain_loops_in_order(
    ids: list[int], page: int, after: int, ahead: int
) -> None:
    expected = Log(ids, page).plain(after)
    assert list(pages_ahead(Log(ids, page).read, after, ahead=ahead)) == expected


@given(ids=ids, page=st.integers(1, 30), fail_at=st.integers(0, 10), ahead=st.integers(0, 4))
def test_a_failed_read_is_raised_after_every_page_before_it(
    ids: list[int], page: int, fail_at: int, ahead: int
) -> None:
    expected = Log(ids, page).plain(0)
    log = Log(ids, page, fail_at)
    got = []
    if fail_at > len(expected):  # the empty page ending the log is read before the failure
        got = list(pages_ahead(log.read, 0, ahead=ahead))
        assert got == expected
        return
    with pytest.raises(OSError, match=f"read {fail_at + 1} failed"):
        for found in pages_ahead(log.read, 0, ahead=ahead):
            got.append(found)
    assert got == expected[:fail_at]
    assert log.reads == fail_at + 1  # nothing read after the failure


@given(ids=ids, page=st.integers(1, 10), take=st.integers(0, 5), ahead=st.integers(1, 3))
def test_a_caller_that_stops_early_stops_the_reader(
    ids: list[int], page: int, take: int, ahead: int
) -> None:
    log = Log(ids, page)
    pages = pages_ahead(log.read, 0, ahead=ahead)
    got = [found for _, found in zip(range(take), pages, strict=False)]
    pages.close()
    assert not any(t.name == "log-pages-ahead" for t in threading.enumerate())
    assert got == Log(ids, page).plain(0)[:take]
    assert log.reads <= take + ahead + 1  # bounded: at most ``ahead`` pages unread


@given(st.integers(1, 40), st.integers(1, 9), st.integers(0, 45), st.sampled_from(["uuid", "text"]))
@settings(max_examples=30, deadline=None)
def test_a_sqlite_reader_reads_what_the_recorder_selects(
    start: int, limit: int, stop: int, id_type: str
) -> None:
    keeper = sqlite_keeper(id_type)
    read = notification_reader(keeper.recorder, limit, stop)
    found = read(start)
    expected = keeper.recorder.select_notifications(start, limit, stop=stop)
    assert found == expected
    assert [type(n.originator_id) for n in found] == [type(n.originator_id) for n in expected]
    assert [vars(n) for n in found] == [vars(n) for n in expected]


_KEEPERS: dict[str, Scorekeeper] = {}


def sqlite_keeper(id_type: str) -> Scorekeeper:
    """A SQLite store of three games' 36 events (in memory, made once per id type)."""
    if id_type not in _KEEPERS:
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}
        if id_type == "text":
            env["ORIGINATOR_ID_TYPE"] = "text"
        keeper = Scorekeeper(env=env)
        for game_id in ("g1", "g2", "g3"):
            game = GameScript(game_id)
            game.schedule()
            game.start()
            for _ in range(10):
                game.score(EventType.GOAL)
            keeper.record(game.events)
        _KEEPERS[id_type] = keeper
    return _KEEPERS[id_type]
