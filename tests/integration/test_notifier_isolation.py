"""The score path never waits for the notifier: with the notifier stuck on its first
batch, a goal is recorded, streamed to a fan and polled, and the notifier is still
stuck; once it is freed it catches up and enqueues the goal's notification."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from typing import Any

from starlette.testclient import TestClient

from entrypoints.composition import build_in_memory
from entrypoints.push_settings import PushSettings
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from tests.integration.test_webhook import (
    SECRET,
    event,
    post,
    read_frames,
    schedule,
    wait_for_version,
)


def test_a_stuck_notifier_leaves_recording_streaming_and_polling_alone() -> None:
    settings = Settings(provider_secrets={"acme": SECRET}, push=PushSettings(hold_seconds=0))
    services = build_in_memory(settings)
    assert services.notifications is not None
    notifier, release = services.notifications.notifier, services.notifications.release
    assert notifier is not None and release is not None
    projection = notifier.projection
    process = projection.process
    stuck, freed = threading.Event(), threading.Event()

    def stuck_process(batch: Sequence[tuple[Any, int]]) -> Sequence[Any]:
        stuck.set()
        assert freed.wait(60), "the test never freed the notifier"
        return process(batch)

    projection.process = stuck_process  # type: ignore[method-assign]
    try:
        with TestClient(create_app(services)) as client:
            device = {"token": "a" * 64, "platform": "apns", "teams": ["ars"], "wants": ["goals"]}
            assert client.post("/devices", json=device).status_code == 201
            post(client, [schedule(), event(2, "GAME_STARTED")])
            wait_for_version(client, 2)
            assert stuck.wait(10), "the notifier never read the log"

            with client.stream("GET", "/games/g1/stream", headers={"Last-Event-ID": "2"}) as r:
                post(client, [event(3, "GOAL", team_id="ars")])
                (frame,) = read_frames(r, 1)
            assert frame["id"] == "3"
            assert json.loads(frame["data"])["state"]["home_score"] == 1
            assert wait_for_version(client, 3)["home_score"] == 1
            assert not freed.is_set() and notifier.position < 3  # still stuck meanwhile

            freed.set()
            deadline = time.monotonic() + 10
            while release.counts.targets < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert release.counts.notifications == 1 and release.counts.targets == 1
    finally:
        freed.set()
