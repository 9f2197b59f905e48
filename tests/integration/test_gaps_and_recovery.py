"""Sequence gaps: reported at /ops/feeds, back-filled from the provider's recovery call."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from entrypoints.composition import build_in_memory
from entrypoints.feed_push import signed_headers
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from entrypoints.web.provider_auth import sign
from tests.e2e.conftest import free_port

SECRET, ADMIN = "s3cret", "adm"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}


def native(seq: int, event_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{seq}",
        "game_id": "g1",
        "sport": "soccer",
        "sequence_number": seq,
        "event_type": event_type,
        **extra,
    }


GAME = [
    native(1, "GAME_SCHEDULED", schedule={"home_team_id": "ars", "away_team_id": "che"}),
    native(2, "GAME_STARTED"),
    native(3, "GOAL", team_id="ars"),
    native(4, "GOAL", team_id="che"),
    native(5, "FOUL", team_id="che"),
]


class RecoveryServer:
    """A provider's recovery endpoint on loopback: answers the events it is asked for."""

    def __init__(self) -> None:
        self.port = free_port()
        self.calls: list[tuple[str, int, int, bool]] = []

        async def events(request: Request) -> Response:
            first = int(request.query_params["from_sequence"])
            last = int(request.query_params["to_sequence"])
            ts = request.headers.get("x-scoreline-timestamp", "")
            signed = request.headers.get("x-scoreline-signature") == sign(SECRET, ts, b"")
            self.calls.append((request.path_params["game_id"], first, last, signed))
            return JSONResponse([e for e in GAME if first <= e["sequence_number"] <= last])

        app = Starlette(routes=[Route("/recovery/games/{game_id}/events", events)])
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> RecoveryServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)


def post(client: TestClient, events: list[dict[str, Any]]) -> Any:
    body = json.dumps(events).encode()
    return client.post("/providers/acme/events", content=body, headers=signed_headers(SECRET, body))


def wait(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met")


@pytest.fixture
def recovery() -> Iterator[RecoveryServer]:
    with RecoveryServer() as server:
        yield server


def test_an_open_gap_is_reported_per_provider_and_game() -> None:
    settings = Settings(provider_secrets={"acme": SECRET}, admin_token=ADMIN, gap_timeout=60)
    with TestClient(create_app(build_in_memory(settings))) as client:
        assert post(client, [GAME[0], GAME[1], GAME[3], GAME[4]]).status_code == 202
        wait(lambda: client.get("/games/g1/state").json().get("version") == 2)
        (feed,) = client.get("/ops/feeds", headers=ADMIN_HEADERS).json()["feeds"]
        assert (feed["provider"], feed["game_id"], feed["transport"]) == ("acme", "g1", "webhook")
        assert feed["open_gaps"] == [[3, 3]]
        assert feed["last_sequence"] == 2 and feed["received"] == 4 and feed["recorded"] == 2
        assert feed["lag_seconds"] is not None and feed["lag_seconds"] >= 0
        post(client, [GAME[2]])
        wait(lambda: client.get("/games/g1/state").json().get("version") == 5)
        (feed,) = client.get("/ops/feeds", headers=ADMIN_HEADERS).json()["feeds"]
        assert feed["open_gaps"] == [] and feed["last_sequence"] == 5
        assert client.get("/ops/feeds").status_code == 401


def test_a_gap_is_back_filled_through_the_providers_recovery_call(
    recovery: RecoveryServer,
) -> None:
    settings = Settings(
        provider_secrets={"acme": SECRET},
        admin_token=ADMIN,
        gap_timeout=60,  # long: only the recovery call can fill the gap in time
        provider_recovery={"acme": f"http://127.0.0.1:{recovery.port}/recovery"},
    )
    with TestClient(create_app(build_in_memory(settings))) as client:
        assert post(client, [GAME[0], GAME[1], GAME[4]]).status_code == 202
        wait(lambda: client.get("/games/g1/state").json().get("version") == 5)
        state = client.get("/games/g1/state").json()
        assert (state["home_score"], state["away_score"]) == (1, 1)
    assert recovery.calls == [("g1", 3, 4, True)]
