"""Push notifications end to end: a real ``scoreline serve`` process, a real match, the
real APNs and FCM senders against local servers speaking those protocols.

Devices following a team get one notification per goal of the match (and what else
they asked for), nothing for a goal retracted inside the hold window, a correction for
one retracted after it went out; a token the push service calls dead is pruned and
gets nothing further. Every notification of a game carries the game's collapse id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.push_servers import LocalPushServers, push_servers_in_thread
from domain.events import GameEvent
from domain.push import collapse_id
from domain.sports import EventType
from tests.e2e.conftest import LiveServer, free_port
from tests.e2e.statsbomb_feeds import convert
from tests.game_events import GameScript

HOLD = 2.0
MATCH = ("15986", "bar-gir", "Barcelona", "Girona")  # 2-2 (shared data README)
SCORING = {"GOAL", "OWN_GOAL", "PENALTY_GOAL"}
APNS_HOME = "a1" * 32
APNS_DEAD = "de" * 32
APNS_FINALS = "f1" * 32
FCM_AWAY = "fcm-away:" + "x" * 140
FCM_OTHER = "fcm-other:" + "y" * 140  # follows nobody in play


@pytest.fixture
def push_servers(tmp_path: Path) -> Iterator[LocalPushServers]:
    with push_servers_in_thread(tmp_path / "push") as servers:
        servers.apns.faults.dead_tokens.add(APNS_DEAD)
        yield servers


@pytest.fixture
def server(tmp_path: Path, push_servers: LocalPushServers) -> Iterator[LiveServer]:
    env = {**push_servers.files.env(), "SCORELINE_NOTIFY_HOLD_SECONDS": str(HOLD)}
    live = LiveServer(tmp_path / "data", free_port(), env=env).start()
    yield live
    live.stop()


def register(server: LiveServer, token: str, platform: str, **follows: Any) -> None:
    r = httpx.post(
        f"{server.base_url}/devices", json={"token": token, "platform": platform, **follows}
    )
    assert r.status_code == 201, r.text


def apns_sent(servers: LocalPushServers, token: str) -> list[dict[str, Any]]:
    return [
        d.payload | {"collapse_id": d.collapse_id}
        for d in servers.apns.accepted
        if d.token == token
    ]


def fcm_sent(servers: LocalPushServers, token: str) -> list[dict[str, Any]]:
    return [d.message for d in servers.fcm.accepted if d.token == token]


def native(event: GameEvent) -> dict[str, Any]:
    """The event as a provider sends it (the native format leaves out what is unset)."""
    data = event.to_dict()
    data.pop("provider")
    return {k: v for k, v in data.items() if v is not None and v != ""}


def eventually(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"never: {what}")


def test_a_real_match_notifies_followers_once_per_goal(
    server: LiveServer, push_servers: LocalPushServers
) -> None:
    events = convert(*MATCH)
    schedule = events[0]["schedule"]
    home, away = schedule["home_team_id"], schedule["away_team_id"]
    goals = [e for e in events if e["event_type"] in SCORING]
    assert len(goals) == 4
    register(server, APNS_HOME, "apns", teams=[home], wants=["goals"])
    register(server, APNS_DEAD, "apns", teams=[home])
    register(server, APNS_FINALS, "apns", games=["bar-gir"], wants=["finals"])
    register(server, FCM_AWAY, "fcm", teams=[away], wants=["goals", "finals"])
    register(server, FCM_OTHER, "fcm", teams=["nobody-plays"])

    first_goal = events.index(goals[0])
    assert server.push(events[: first_goal + 1]).status_code == 202
    # The dead token is refused on the first goal and pruned.
    eventually(
        lambda: httpx.get(f"{server.base_url}/devices/{APNS_DEAD}").status_code == 404,
        "the dead token was pruned",
    )
    assert server.push(events[first_goal + 1 :]).status_code == 202
    server.wait_for("bar-gir", lambda s: s["status"] == "FINAL")
    eventually(lambda: len(fcm_sent(push_servers, FCM_AWAY)) == 5, "5 FCM notifications")
    eventually(lambda: len(apns_sent(push_servers, APNS_FINALS)) == 1, "the final")
    eventually(lambda: len(apns_sent(push_servers, APNS_HOME)) == 4, "4 APNs goals")
    time.sleep(HOLD + 1)  # and nothing more arrives after

    home_sent = apns_sent(push_servers, APNS_HOME)
    assert len(home_sent) == 4
    assert [n["aps"]["alert"]["title"].split()[0] for n in home_sent] == ["GOAL!"] * 4
    assert {n["collapse_id"] for n in home_sent} == {collapse_id("bar-gir")}
    away_sent = fcm_sent(push_servers, FCM_AWAY)
    assert len(away_sent) == 5
    assert {m["android"]["collapse_key"] for m in away_sent} == {collapse_id("bar-gir")}
    assert "2-2" in away_sent[-1]["notification"]["title"] + away_sent[-1]["notification"]["body"]
    assert not fcm_sent(push_servers, FCM_OTHER)
    assert not apns_sent(push_servers, APNS_DEAD)
    # One refused request (410) for the dead token, the first it was sent; none after.
    assert push_servers.apns.recorder.stats()["by_status"].get("410") == 1
    metrics = httpx.get(f"{server.base_url}/metrics").text
    assert 'scoreline_push_targets_total{outcome="sent"} 10.0' in metrics  # 4 + 1 + 5
    assert 'scoreline_push_targets_total{outcome="pruned"} 1.0' in metrics
    assert "scoreline_notifier_lag 0.0" in metrics


def test_a_goal_retracted_in_the_hold_sends_nothing_and_one_retracted_later_a_correction(
    server: LiveServer, push_servers: LocalPushServers
) -> None:
    script = GameScript("var-game")
    register(server, APNS_HOME, "apns", teams=["home"], wants=["goals"])
    register(server, FCM_AWAY, "fcm", games=["var-game"])
    script.schedule()
    script.start()
    disallowed = script.score(EventType.GOAL, team="home")
    script.retract(disallowed)  # inside the hold: nobody hears of it
    natives = [native(e) for e in script.events]
    assert server.push(natives).status_code == 202
    server.wait_for("var-game", lambda s: s["version"] == 4)
    stands = script.score(EventType.GOAL, team="away")
    assert server.push([native(stands)]).status_code == 202
    eventually(lambda: len(apns_sent(push_servers, APNS_HOME)) == 1, "the away goal")
    eventually(lambda: len(fcm_sent(push_servers, FCM_AWAY)) == 1, "the away goal (FCM)")
    overturned = script.retract(stands)  # after it went out: a correction follows
    assert server.push([native(overturned)]).status_code == 202
    eventually(lambda: len(apns_sent(push_servers, APNS_HOME)) == 2, "the correction")
    eventually(lambda: len(fcm_sent(push_servers, FCM_AWAY)) == 2, "the correction (FCM)")
    time.sleep(HOLD + 1)

    home_sent = apns_sent(push_servers, APNS_HOME)
    assert len(home_sent) == 2
    goal, correction = (n["aps"]["alert"] for n in home_sent)
    assert "0-1" in goal["title"] + goal["body"]
    assert "0-0" in correction["title"] + correction["body"]
    assert {n["collapse_id"] for n in home_sent} == {collapse_id("var-game")}
    assert len(fcm_sent(push_servers, FCM_AWAY)) == 2
