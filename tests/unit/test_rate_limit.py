from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.web.rate_limit import RateLimits


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_rate() -> None:
    clock = Clock()
    limits = RateLimits(rate=2.0, burst=3.0, clock=clock)
    assert [limits.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limits.take("a") == 0.5
    clock.now = 0.5
    assert limits.take("a") == 0.0
    assert limits.take("b") == 0.0  # providers are independent


def test_buckets_that_have_refilled_are_forgotten_once_there_are_too_many() -> None:
    clock = Clock()
    limits = RateLimits(rate=1.0, burst=2.0, clock=clock, max_keys=3)
    for key in "abc":
        limits.take(key)
    clock.now = 0.5
    limits.take("c")  # c still spending; a and b refill by t = 1
    clock.now = 1.0
    limits.take("d")  # the fourth key: the full ones (a, b) go
    assert limits.held() == 2


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.floats(min_value=0, max_value=3)),
        max_size=60,
    ),
    st.integers(min_value=1, max_value=4),
)
def test_forgetting_full_buckets_never_changes_an_answer(
    takes: list[tuple[str, float]], max_keys: int
) -> None:
    """For any keys and pauses, a bounded RateLimits answers as an unbounded one."""
    clock = Clock()
    bounded = RateLimits(rate=2.0, burst=3.0, clock=clock, max_keys=max_keys)
    unbounded = RateLimits(rate=2.0, burst=3.0, clock=clock, max_keys=10**9)
    for key, pause in takes:
        clock.now += pause
        assert bounded.take(key) == unbounded.take(key)
