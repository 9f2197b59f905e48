"""The write-behind thread (projections/write_behind_thread.py): writes run in the order
submitted, each Future with its own outcome, for any mix of failing writes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from projections.write_behind_thread import WriteBehindThread


@given(fails=st.lists(st.booleans(), max_size=20))
def test_writes_run_in_order_each_with_its_outcome(fails: list[bool]) -> None:
    thread, ran = WriteBehindThread(), []

    def write(n: int, fail: bool) -> None:
        ran.append(n)
        if fail:
            raise ValueError(n)

    futures = [
        thread.submit(lambda n=n, fail=fail: write(n, fail))  # type: ignore[misc]
        for n, fail in enumerate(fails)
    ]
    outcomes = [type(f.exception(timeout=10)) for f in futures]
    assert ran == list(range(len(fails)))
    assert outcomes == [ValueError if fail else type(None) for fail in fails]
