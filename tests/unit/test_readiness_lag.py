"""Readiness counts a follower waiting out its linger at the head as caught up, and
only that one: a follower without linger, one behind after a full batch, one whose last
read at the head is older than its linger (plus slack), or one that never read, is
counted by its lag (entrypoints/web/health.py, LogFollower.lingering_at_head)."""

from __future__ import annotations

import functools

from domain.sports import EventType
from entrypoints.metrics import projector_lag
from entrypoints.web.health import readiness_lag
from projections.follower import LINGER_SLACK, LogFollower
from tests.unit.test_follower_wakeups import Folded, keeper_with_game


def test_a_follower_lingering_at_the_head_is_caught_up_until_its_linger_is_over() -> None:
    keeper, game = keeper_with_game()
    follower = LogFollower(keeper, Folded(), linger=3.0, poll_interval=0.5)
    assert follower.fold_now() == 2  # the head, read and folded
    read_at = follower.reached_head_at
    assert read_at is not None
    keeper.record([game.score(EventType.GOAL)])  # recorded while it lingers
    assert projector_lag(keeper, [follower]) == 1  # the metric counts it as it is
    for elapsed, lag in [
        (0.0, 0),
        (3.0 + 0.5 + LINGER_SLACK, 0),
        (3.0 + 0.5 + LINGER_SLACK + 0.1, 1),
    ]:
        assert (
            readiness_lag(keeper, [follower], now=functools.partial(float, read_at + elapsed))
            == lag
        )


def test_followers_without_linger_or_behind_are_counted_by_their_lag() -> None:
    keeper, game = keeper_with_game()
    eager = LogFollower(keeper, Folded())  # no linger: always its lag
    assert eager.fold_now() == 2
    behind = LogFollower(keeper, Folded(), linger=3.0, batch_size=1)  # its read was full
    assert behind.fold_now() == 1
    never = LogFollower(keeper, Folded(), linger=3.0)  # has not read yet
    keeper.record([game.score(EventType.GOAL)])
    at = eager.reached_head_at
    assert at is not None and behind.reached_head_at is None and never.reached_head_at is None
    assert readiness_lag(keeper, [eager], now=lambda: at) == 1
    assert readiness_lag(keeper, [behind], now=lambda: at) == 2
    assert readiness_lag(keeper, [never], now=lambda: at) == 3
    assert readiness_lag(keeper, [], now=lambda: at) == 0
