"""Historians' endpoints over ASGI: the state as of a version, and the paced replay."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from entrypoints.composition import build_in_memory
from entrypoints.feed_push import signed_headers
from entrypoints.settings import Settings
from entrypoints.web.app import create_app

SECRET = "s3cret"
KICK_OFF = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)
# Seconds after kick-off of each event: a 20 s and a 120 s gap (the second capped at 30 s).
OFFSETS = [0, 1, 2, 3, 23, 24, 25, 145]
TEAMS = {"home_team_id": "ars", "away_team_id": "che"}
CAPPED_SPAN = 1 + 1 + 1 + 20 + 1 + 1 + 30
# (home, away, status, period) after each version, worked out by hand.
BY_HAND = [
    (0, 0, "SCHEDULED", 0),
    (0, 0, "LIVE", 1),
    (1, 0, "LIVE", 1),  # ars score
    (1, 1, "LIVE", 1),  # che score
    (1, 1, "LIVE", 1),  # half time
    (1, 1, "LIVE", 2),
    (1, 0, "LIVE", 2),  # che's goal retracted
    (1, 0, "FINAL", 2),
]


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings(provider_secrets={"acme": SECRET})
    with TestClient(create_app(build_in_memory(settings))) as c:
        yield c


def event(game_id: str, seq: int, event_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"{game_id}-{seq}",
        "game_id": game_id,
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": event_type,
        **extra,
    }


def finished_game(game_id: str = "g1", *, timed: bool = True) -> list[dict[str, Any]]:
    plays = [
        event(game_id, 1, "GAME_SCHEDULED", schedule=TEAMS),
        event(game_id, 2, "GAME_STARTED", period=1, clock_seconds=0),
        event(game_id, 3, "GOAL", team_id="ars", description="Saka, near post"),
        event(game_id, 4, "GOAL", team_id="che", description="Palmer"),
        event(game_id, 5, "PERIOD_END", period=1),
        event(game_id, 6, "PERIOD_START", period=2),
        event(game_id, 7, "EVENT_RETRACTED", references_event_id=f"{game_id}-4"),
        event(game_id, 8, "GAME_FINAL"),
    ]
    if timed:
        for play, offset in zip(plays, OFFSETS, strict=True):
            play["created_at"] = (KICK_OFF + timedelta(seconds=offset)).isoformat()
    return plays


def record(client: TestClient, events: list[dict[str, Any]]) -> None:
    body = json.dumps(events).encode()
    r = client.post("/providers/acme/events", content=body, headers=signed_headers(SECRET, body))
    assert r.status_code == 202, r.text
    game_id, version = events[0]["game_id"], len(events)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        state = client.get(f"/games/{game_id}/state")
        if state.status_code == 200 and state.json()["version"] >= version:
            return
        time.sleep(0.02)
    raise AssertionError(f"game {game_id} never reached version {version}")


def read_replay(
    client: TestClient, game_id: str = "g1", speed: str = "1000", **headers: str
) -> list[dict[str, Any]]:
    """Every frame of a replay to its close, data decoded."""
    frames: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    url = f"/games/{game_id}/replay?speed={speed}"
    with client.stream("GET", url, headers=headers) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if not line:
                if "data" in current:
                    current["data"] = json.loads(current["data"])
                    frames.append(current)
                current = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                current[name] = value.strip()
    return frames


def test_state_at_each_version_is_the_game_as_it_was_then_and_immutable(
    client: TestClient,
) -> None:
    record(client, finished_game())
    for version, (home, away, status, period) in enumerate(BY_HAND, start=1):
        r = client.get(f"/games/g1/state?at_version={version}")
        assert r.status_code == 200, r.text
        state = r.json()
        assert (state["home_score"], state["away_score"]) == (home, away), version
        assert (state["status"], state["current_period"]) == (status, period), version
        assert state["version"] == version
        assert state["last_event"]["event_id"] == f"g1-{version}"
        assert r.headers["etag"] == f'"v{version}"'
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/games/g1/state?at_version=8").json() == client.get("/games/g1/state").json()
    for tag in ('"v3"', 'W/"v3"', '"v1", "v3"', "*"):
        again = client.get("/games/g1/state?at_version=3", headers={"If-None-Match": tag})
        assert again.status_code == 304, tag
        assert again.headers["etag"] == '"v3"'
    assert client.get("/games/g1/state?at_version=3", headers={"If-None-Match": '"v4"'}).json()
    live = client.get("/games/g1/state")  # without at_version: the live endpoint, unchanged
    assert live.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("at_version", "words"),
    [("0", ">= 1"), ("-2", ">= 1"), ("two", "integer"), ("", "integer"), ("9", "beyond")],
)
def test_state_at_refuses_a_version_the_game_never_had(
    client: TestClient, at_version: str, words: str
) -> None:
    record(client, finished_game())
    r = client.get(f"/games/g1/state?at_version={at_version}")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert words in problem["detail"]
    assert problem["errors"][0]["pointer"] == "at_version"
    if words == "beyond":
        assert problem["latest_version"] == 8


def test_state_at_of_an_unknown_game_is_404(client: TestClient) -> None:
    r = client.get("/games/nope/state?at_version=1")
    assert r.status_code == 404
    assert r.json()["type"] == "urn:scoreline:problem:unknown-game"


def test_replay_sends_every_event_once_in_order_paced_and_capped_then_ends(
    client: TestClient,
) -> None:
    record(client, finished_game())
    started = time.monotonic()
    frames = read_replay(client, speed="100")
    elapsed = time.monotonic() - started
    *plays, end = frames
    assert [f["event"] for f in plays] == ["game_event"] * 8
    assert [f["id"] for f in plays] == [str(v) for v in range(1, 9)]
    assert [f["data"]["event"]["event_id"] for f in plays] == [f"g1-{v}" for v in range(1, 9)]
    assert [f["data"]["offset_seconds"] for f in plays] == OFFSETS
    for f in plays:  # the state after each event is the state as of its version
        as_of = client.get(f"/games/g1/state?at_version={f['id']}").json()
        assert f["data"]["state"] == as_of
        assert f["data"]["game_id"] == "g1" and f["data"]["version"] == int(f["id"])
    assert end["event"] == "end" and "id" not in end
    assert end["data"] == {"game_id": "g1", "version": 8, "events": 8, "timeline": "created_at"}
    # Original gaps capped at 30 s, over 100: 0.55 s (uncapped would be 1.45 s).
    assert CAPPED_SPAN / 100 <= elapsed < CAPPED_SPAN / 100 + 0.6, elapsed


def test_replay_resumes_after_last_event_id(client: TestClient) -> None:
    record(client, finished_game())
    resumed = read_replay(client, **{"Last-Event-ID": "5"})
    assert [(f["event"], f.get("id")) for f in resumed] == [
        ("game_event", "6"),
        ("game_event", "7"),
        ("game_event", "8"),
        ("end", None),
    ]
    assert resumed[-1]["data"]["events"] == 3
    (done,) = read_replay(client, **{"Last-Event-ID": "8"})
    assert done["event"] == "end" and done["data"]["events"] == 0
    afresh = read_replay(client, **{"Last-Event-ID": "999"})
    assert [f.get("id") for f in afresh] == [*[str(v) for v in range(1, 9)], None]


def test_replay_without_provider_times_paces_by_the_stores_clock(client: TestClient) -> None:
    record(client, finished_game(timed=False))
    started = time.monotonic()
    frames = read_replay(client, speed="1")
    assert time.monotonic() - started < 2  # recorded together: milliseconds apart
    assert len(frames) == 9 and frames[-1]["data"]["timeline"] == "recorded_at"
    offsets = [f["data"]["offset_seconds"] for f in frames[:-1]]
    assert offsets == sorted(offsets) and offsets[0] == 0


def test_replay_refuses_a_live_game_an_unknown_game_and_a_bad_speed(client: TestClient) -> None:
    record(client, finished_game()[:4])
    live = client.get("/games/g1/replay")
    assert live.status_code == 409
    assert live.headers["content-type"] == "application/problem+json"
    assert live.json()["game_status"] == "LIVE" and "FINAL" in live.json()["detail"]
    unknown = client.get("/games/nope/replay")
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "urn:scoreline:problem:unknown-game"
    for speed in ("0", "-1", "fast", "nan", "inf", ""):
        bad = client.get(f"/games/g1/replay?speed={speed}")
        assert bad.status_code == 400, speed
        assert bad.json()["errors"][0]["pointer"] == "speed"
