from __future__ import annotations

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
