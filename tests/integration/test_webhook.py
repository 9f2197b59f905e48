"""The provider webhook and the fan endpoints, over ASGI, on the in-memory wiring."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from entrypoints.composition import build_in_memory
from entrypoints.feed_push import signed_headers
from entrypoints.settings import Settings
from entrypoints.web.app import create_app

SECRET = "s3cret"
ADMIN = "admin-token"


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings(provider_secrets={"acme": SECRET}, admin_token=ADMIN, max_body_bytes=20_000)
    with TestClient(create_app(build_in_memory(settings))) as c:
        yield c


def post(
    client: TestClient,
    payload: Any,
    *,
    provider: str = "acme",
    secret: str = SECRET,
    headers: dict[str, str] | None = None,
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        f"/providers/{provider}/events",
        content=body,
        headers=headers if headers is not None else signed_headers(secret, body),
    )


def schedule(seq: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{seq}",
        "game_id": "g1",
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": "GAME_SCHEDULED",
        "schedule": {"home_team_id": "ars", "away_team_id": "che"},
        **extra,
    }


def event(seq: int, event_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{seq}",
        "game_id": "g1",
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": event_type,
        **extra,
    }


def wait_for_version(client: TestClient, version: int, game_id: str = "g1") -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        r = client.get(f"/games/{game_id}/state")
        if r.status_code == 200 and r.json()["version"] >= version:
            state: dict[str, Any] = r.json()
            return state
        time.sleep(0.02)
    raise AssertionError(f"game {game_id} never reached version {version}")


def rejected(client: TestClient) -> list[dict[str, Any]]:
    r = client.get("/ops/rejected", headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 200
    items: list[dict[str, Any]] = r.json()["rejected"]
    return items


def test_accepted_events_become_state_with_strong_etag_and_304(client: TestClient) -> None:
    r = post(client, [schedule(), event(2, "GAME_STARTED"), event(3, "GOAL", team_id="ars")])
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 3
    state = wait_for_version(client, 3)
    assert (state["home_score"], state["away_score"], state["status"]) == (1, 0, "LIVE")
    first = client.get("/games/g1/state")
    tag = first.headers["etag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    assert first.headers["cache-control"] == "no-cache"
    assert "stale-while-revalidate" in first.headers["cdn-cache-control"]
    again = client.get("/games/g1/state", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.headers["etag"] == tag
    assert again.headers["cdn-cache-control"] == first.headers["cdn-cache-control"]


def test_repeated_event_is_acknowledged_and_not_stored_again(client: TestClient) -> None:
    post(client, [schedule(), event(2, "GAME_STARTED")])
    wait_for_version(client, 2)
    r = post(client, [event(2, "GAME_STARTED")])
    assert r.status_code == 202
    assert r.json() == {
        "accepted": 0,
        "duplicates": 1,
        "events": [{"event_id": "e2", "outcome": "duplicate"}],
    }
    events = client.get("/games/g1/events").json()["events"]
    assert [e["version"] for e in events] == [1, 2]


def test_same_event_id_with_other_content_is_a_kept_conflict(client: TestClient) -> None:
    post(client, [schedule(), event(2, "GAME_STARTED"), event(3, "GOAL", team_id="ars")])
    wait_for_version(client, 3)
    r = post(client, [event(3, "GOAL", team_id="che")])
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["errors"][0]["pointer"] == "$[0].event_id"
    kept = rejected(client)[-1]
    assert kept["reason"] == "conflict" and kept["id"] == problem["rejected_id"]
    assert json.loads(kept["body"])[0]["team_id"] == "che"
    assert wait_for_version(client, 3)["home_score"] == 1


@pytest.mark.parametrize(
    ("payload", "pointer", "words"),
    [
        ([event(1, "GOAL", sequence_number=0)], "$[0].sequence_number", ">= 1"),
        (
            {
                "event_id": "x",
                "game_id": "g1",
                "sport": "curling",
                "sequence_number": 1,
                "event_type": "GOAL",
            },
            "$.sport",
            "curling",
        ),
        ([event(1, "GAME_SCHEDULED")], "$[0].schedule", "schedule"),
        ([event(1, "GOAL", team="ars")], "$[0]", "unknown field `team`"),
        ([event(1, "EVENT_RETRACTED")], "$[0].references_event_id", "must name"),
        ([], "$", "no events"),
    ],
)
def test_invalid_events_get_422_saying_which_field_and_why(
    client: TestClient, payload: Any, pointer: str, words: str
) -> None:
    r = post(client, payload)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422 and problem["type"].endswith("invalid-event")
    assert problem["errors"][0]["pointer"] == pointer
    assert words in problem["errors"][0]["detail"]
    assert rejected(client)[-1]["reason"] == "invalid"


def test_team_not_in_the_game_is_refused_at_the_door(client: TestClient) -> None:
    post(client, [schedule(), event(2, "GAME_STARTED")])
    wait_for_version(client, 2)
    r = post(client, [event(3, "GOAL", team_id="liv")])
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "$[0].team_id"


def test_malformed_json_is_422_and_kept_raw(client: TestClient) -> None:
    raw = b'{"event_id": "e1", oops'
    r = post(client, raw)
    assert r.status_code == 422
    assert rejected(client)[-1]["body"] == raw.decode()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Scoreline-Timestamp": str(int(time.time())), "X-Scoreline-Signature": "sha256=00"},
        "stale",
        "wrong-secret",
    ],
)
def test_bad_signatures_are_401_and_kept(client: TestClient, headers: Any) -> None:
    body = json.dumps([schedule()]).encode()
    if headers == "stale":
        headers = signed_headers(SECRET, body, now=time.time() - 301)
    elif headers == "wrong-secret":
        headers = signed_headers("not-it", body)
    r = post(client, body, headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    kept = rejected(client)[-1]
    assert kept["reason"] == "unauthorized" and kept["body"] == body.decode()
    assert client.get("/games/g1/state").status_code == 404


def test_unknown_provider_is_401(client: TestClient) -> None:
    assert post(client, [schedule()], provider="nobody").status_code == 401


def test_oversized_body_is_413(client: TestClient) -> None:
    r = post(client, [schedule(description="x" * 1500)] * 20)
    assert r.status_code == 413
    assert rejected(client)[-1]["reason"] == "too-large"


def test_ops_needs_the_admin_token(client: TestClient) -> None:
    assert client.get("/ops/rejected").status_code == 401
    assert client.get("/ops/rejected", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_unknown_game_is_404_problem(client: TestClient) -> None:
    for path in ("/games/nope/state", "/games/nope/events", "/games/nope/stream"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"


def test_games_can_be_listed_by_status(client: TestClient) -> None:
    post(client, [schedule(), event(2, "GAME_STARTED")])
    wait_for_version(client, 2)
    assert [g["game_id"] for g in client.get("/games?status=LIVE").json()["games"]] == ["g1"]
    assert client.get("/games?status=FINAL").json()["games"] == []
    assert client.get("/games?status=bogus").status_code == 400


def test_events_are_paged_by_version(client: TestClient) -> None:
    post(client, [schedule(), event(2, "GAME_STARTED"), event(3, "FOUL", team_id="che")])
    wait_for_version(client, 3)
    page = client.get("/games/g1/events?limit=2").json()
    assert [e["version"] for e in page["events"]] == [1, 2]
    rest = client.get(f"/games/g1/events?after_version={page['next_after_version']}").json()
    assert [e["version"] for e in rest["events"]] == [3]
    assert rest["next_after_version"] is None


def test_openapi_documents_the_native_format(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "/providers/{provider}/events" in doc["paths"]
    schema = doc["components"]["schemas"]["NativeEvent"]
    assert {"event_id", "game_id", "sequence_number", "event_type"} <= set(schema["required"])


def test_stream_starts_with_state_and_resumes_after_last_event_id(client: TestClient) -> None:
    post(client, [schedule(), event(2, "GAME_STARTED"), event(3, "GOAL", team_id="ars")])
    wait_for_version(client, 3)
    with client.stream("GET", "/games/g1/stream", headers={"Last-Event-ID": "1"}) as r:
        frames = read_frames(r, 2)
    assert [(f["event"], f["id"]) for f in frames] == [("game_event", "2"), ("game_event", "3")]
    assert json.loads(frames[1]["data"])["state"]["home_score"] == 1
    with client.stream("GET", "/games/g1/stream", headers={"Last-Event-ID": "999"}) as r:
        (fresh,) = read_frames(r, 1)
    assert (fresh["event"], fresh["id"]) == ("state", "3")


def read_frames(response: Any, count: int) -> list[dict[str, str]]:
    frames: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if "data" in current:
                frames.append(current)
                if len(frames) == count:
                    return frames
            current = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            current[name] = value.strip()
    return frames


def test_a_fixed_payload_replayed_from_the_rejected_list_records_once(client: TestClient) -> None:
    post(client, [schedule(), event(2, "GAME_STARTED")])
    wait_for_version(client, 2)
    bad = post(client, [event(3, "GOAL")])  # no team_id: the rules refuse it
    assert bad.status_code == 422
    rejection_id = bad.json()["rejected_id"]
    admin = {"Authorization": f"Bearer {ADMIN}"}
    url = f"/ops/rejected/{rejection_id}/replay"
    assert client.post(url, headers=admin).status_code == 422  # replayed as it was
    fixed = json.dumps([event(3, "GOAL", team_id="ars")])
    first = client.post(url, headers=admin, content=fixed)
    assert first.status_code == 202 and first.json()["accepted"] == 1
    again = client.post(url, headers=admin, content=fixed)
    assert again.status_code == 202 and again.json()["duplicates"] == 1
    assert wait_for_version(client, 3)["home_score"] == 1
    events = client.get("/games/g1/events").json()["events"]
    assert [e["event"]["event_id"] for e in events] == ["e1", "e2", "e3"]
    (kept,) = [r for r in rejected(client) if r["id"] == rejection_id]
    assert [r["status"] for r in kept["replays"]] == [422, 202, 202]
    assert client.post(url).status_code == 401
    assert client.post("/ops/rejected/999/replay", headers=admin).status_code == 404


def test_a_provider_over_its_rate_limit_gets_429_with_retry_after() -> None:
    settings = Settings(provider_secrets={"acme": SECRET}, provider_rate=0.5, provider_burst=2)
    with TestClient(create_app(build_in_memory(settings))) as c:
        answers = [post(c, [schedule()]).status_code for _ in range(3)]
        assert answers == [202, 202, 429]
        limited = post(c, [schedule()])
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["content-type"] == "application/problem+json"
