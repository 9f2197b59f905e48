"""Projections filled from the log beside the replay's fold (projections/log_fills.py,
projections/replay.py ``replay``): for any log, stops and page size, a filled
projection is filled exactly from its position to the last notification at or below
its stop, the folded ones get what they would get alone, progress ends at the
position reached; a fill's error is raised, and a fold's error stops the fill."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.log_fills import filling
from projections.replay import replay
from tests.game_events import GameScript


class Folded:
    """A projection folded in Python: the notification ids it was fed."""

    name = "folded"

    def __init__(self, fail_at: int | None = None) -> None:
        self.ids: list[int] = []
        self.fail_at = fail_at

    def position(self) -> int:
        return self.ids[-1] if self.ids else 0

    def process(self, batch: Sequence[tuple[Any, int]]) -> list[Any]:
        if self.fail_at is not None and any(n >= self.fail_at for _, n in batch):
            raise OSError("the fold failed")
        self.ids.extend(n for _, n in batch)
        return []


class Filled:
    """A projection the 'database' fills: (after, upto) of each fill, ids of the log."""

    name = "filled"

    def __init__(self, log: list[int], fail: bool = False, parts: int = 1) -> None:
        self.log, self.fail, self.parts = log, fail, parts
        self.at = 0
        self.calls: list[tuple[int, int]] = []
        self.threads: set[str] = set()

    def position(self) -> int:
        return self.at

    def log_fill(self, recorder: Any, mapper: Any) -> Filled:
        return self

    def process(self, batch: Sequence[tuple[Any, int]]) -> list[Any]:
        raise AssertionError("a filled projection is never folded")

    def fill(self, after: int, upto: int, progress: Callable[[int], None]) -> int:
        self.calls.append((after, upto))
        self.threads.add(threading.current_thread().name)
        if self.fail:
            raise OSError("the fill failed")
        for n in [i for i in self.log if after < i <= upto][:: max(1, self.parts)]:
            self.at = n
            progress(n)
        self.at = max([i for i in self.log if i <= upto], default=after)
        return self.at


@pytest.fixture(scope="module")
def keeper(tmp_path_factory: pytest.TempPathFactory) -> Scorekeeper:
    path: Path = tmp_path_factory.mktemp("fills") / "events.sqlite"
    keeper = Scorekeeper(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    )
    for n in range(4):
        game = GameScript(f"g{n}")
        game.schedule()
        game.start()
        for _ in range(5):
            game.score(EventType.GOAL)
        game.final()
        keeper.record(game.events)
    return keeper


def log_ids(keeper: Scorekeeper) -> list[int]:
    return list(range(1, (keeper.recorder.max_notification_id() or 0) + 1))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), page=st.integers(1, 12), with_fold=st.booleans())
def test_a_filled_projection_is_filled_to_its_stop_beside_the_fold(
    keeper: Scorekeeper, data: st.DataObject, page: int, with_fold: bool
) -> None:
    ids = log_ids(keeper)
    head = ids[-1]
    filled_stop = data.draw(st.integers(0, head + 5))
    folded_stop = data.draw(st.integers(0, head + 5))
    filled, folded = Filled(ids, parts=data.draw(st.integers(1, 5))), Folded()
    group: list[Any] = [filled, folded] if with_fold else [filled]
    stops = [filled_stop, folded_stop] if with_fold else [filled_stop]
    seen: list[tuple[int, int]] = []
    reached = replay(keeper, group, stop=stops, batch_size=page, progress=lambda *a: seen.append(a))
    assert filled.position() == min(filled_stop, head)
    assert filled.calls == ([(0, filled_stop)] if filled_stop > 0 else [])
    if with_fold:
        assert folded.ids == list(range(1, min(folded_stop, head) + 1))
        assert filled.threads <= {"log-fill"}
    assert reached == min(min(s, head) for s in stops)
    assert seen[-1][0] >= reached
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)  # progress only goes forward


def test_a_fill_alone_runs_in_the_callers_thread(keeper: Scorekeeper) -> None:
    filled = Filled(log_ids(keeper))
    replay(keeper, filled, stop=10)
    assert filled.threads == {threading.current_thread().name}


def test_the_fills_error_is_raised_to_the_replay(keeper: Scorekeeper) -> None:
    with pytest.raises(OSError, match="the fill failed"):
        replay(keeper, [Filled(log_ids(keeper), fail=True), Folded()], stop=20, batch_size=3)


def test_a_folds_error_stops_the_fill_after_its_part() -> None:
    started, release = threading.Event(), threading.Semaphore(0)
    parts: list[int] = []

    class Slow:
        def fill(self, after: int, upto: int, progress: Callable[[int], None]) -> int:
            for n in range(after + 1, upto + 1):
                started.set()
                if not release.acquire(timeout=0.5):
                    return n - 1
                parts.append(n)
                progress(n)
            return upto

    with pytest.raises(OSError, match="fold"), filling({0: Slow()}, [0], [1_000], beside=True):
        assert started.wait(5)
        release.release()  # one part, then the body fails
        raise OSError("the fold failed")
    assert parts == [1]  # stopped after the part it was writing; joined before the raise
