"""Followers of one log share decoded notifications: same events, decoded once."""

from __future__ import annotations

import pytest

from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections import follower
from projections.follower import DecodedNotifications, decoded_notifications
from tests.game_events import GameScript


def recorded_keeper(plays: int) -> Scorekeeper:
    keeper = Scorekeeper(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    game = GameScript()
    game.schedule()
    game.start()
    for _ in range(plays):
        game.score(EventType.GOAL)
    keeper.record(game.events)
    return keeper


def test_every_follower_of_a_scorekeeper_gets_the_same_decoded_events() -> None:
    keeper = recorded_keeper(3)
    shared = decoded_notifications(keeper)
    assert decoded_notifications(keeper) is shared
    assert decoded_notifications(recorded_keeper(1)) is not shared
    notifications = keeper.recorder.select_notifications(1, 10)
    first = shared.decode(notifications)
    again = shared.decode(notifications[2:])
    assert [i for _, i in first] == [n.id for n in notifications]
    assert [e for e, _ in again] == [e for e, _ in first[2:]]
    assert all(a is b for (a, _), (b, _) in zip(again, first[2:], strict=True))
    fresh = [(keeper.mapper.to_domain_event(n), n.id) for n in notifications]
    assert [(e.originator_id, e.originator_version, i) for e, i in first] == [
        (e.originator_id, e.originator_version, i) for e, i in fresh
    ]


def test_only_the_latest_decoded_events_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follower, "DECODED_KEPT", 2)
    keeper = recorded_keeper(2)
    decoder = DecodedNotifications(keeper.mapper)
    notifications = keeper.recorder.select_notifications(1, 10)
    decoded = decoder.decode(notifications)
    assert len(decoded) == len(notifications) == 4
    assert sorted(decoder._events) == [n.id for n in notifications[-2:]]
    assert decoder.decode(notifications[:1])[0][0] is not decoded[0][0]  # decoded anew
