"""The /devices endpoints over a memory registry and rejected store: status codes,
problem+json refusals naming the JSON pointer, refused bodies kept raw."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from adapters.device_registry import MemoryDeviceRegistry
from adapters.rejected_store import MemoryRejectedStore
from domain.devices import Device, Interest, Platform
from domain.push import Target
from entrypoints.web.devices import device_routes
from entrypoints.web.rate_limit import RateLimits

TOKEN = "fcm:APA91b-x_y.z"  # ':' and '.' are token characters: the path must match them
BODY = {"token": TOKEN, "platform": "fcm", "teams": ["T1"], "games": ["g1"], "wants": ["goals"]}


class Parts:
    def __init__(self) -> None:
        self.registry = MemoryDeviceRegistry()
        self.rejected = MemoryRejectedStore()


@pytest.fixture
def parts() -> Parts:
    return Parts()


@pytest.fixture
async def client(parts: Parts) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=device_routes(parts.registry, parts.rejected, max_body_bytes=4096))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_register_is_201_then_200_and_the_device_is_served(
    client: httpx.AsyncClient, parts: Parts
) -> None:
    created = await client.post("/devices", json=BODY)
    assert created.status_code == 201
    assert created.headers["location"] == f"/devices/{TOKEN}"
    assert created.json() == BODY
    replaced = await client.post("/devices", json={**BODY, "teams": ["T2"], "wants": ["all"]})
    assert replaced.status_code == 200
    assert replaced.json()["teams"] == ["T2"]
    shown = await client.get(created.headers["location"])
    assert shown.status_code == 200
    assert shown.json() == {**BODY, "teams": ["T2"], "wants": ["all"]}
    assert shown.headers["cache-control"] == "no-store"
    assert parts.registry.followers(["T2"], "", Interest.CARDS) == [Target(TOKEN, Platform.FCM)]


async def test_defaults_are_stored_and_answered(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/devices", json={"token": "abc", "platform": "apns", "games": ["g"]}
    )
    assert created.status_code == 201
    assert created.json() == {
        "token": "abc",
        "platform": "apns",
        "teams": [],
        "games": ["g"],
        "wants": ["all"],
    }


async def test_delete_is_204_then_404(client: httpx.AsyncClient, parts: Parts) -> None:
    await client.post("/devices", json=BODY)
    assert (await client.delete(f"/devices/{TOKEN}")).status_code == 204
    assert parts.registry.get(TOKEN) is None
    again = await client.delete(f"/devices/{TOKEN}")
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"
    missing = await client.get(f"/devices/{TOKEN}")
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:scoreline:problem:not-found"


async def test_a_pruned_device_is_gone_and_registering_it_again_is_new(
    client: httpx.AsyncClient, parts: Parts
) -> None:
    await client.post("/devices", json=BODY)
    parts.registry.prune([TOKEN], "Unregistered")
    assert (await client.get(f"/devices/{TOKEN}")).status_code == 404
    assert (await client.post("/devices", json=BODY)).status_code == 201


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({**BODY, "token": "has space"}, "/token"),
        ({**BODY, "token": ""}, "/token"),
        ({**BODY, "platform": "wns"}, "/platform"),
        ({**BODY, "teams": ["ok", 7]}, "/teams/1"),
        ({**BODY, "games": "g1"}, "/games"),
        ({**BODY, "teams": [], "games": []}, "/teams"),
        ({**BODY, "wants": ["goals", "everything"]}, "/wants/1"),
        ({**BODY, "wants": []}, "/wants"),
        ({**BODY, "colour": "red"}, "/colour"),
        (["not", "an", "object"], ""),
    ],
)
async def test_an_invalid_registration_is_a_422_problem_naming_the_pointer(
    client: httpx.AsyncClient, parts: Parts, body: Any, pointer: str
) -> None:
    raw = json.dumps(body, indent=1).encode()
    answer = await client.post(
        "/devices", content=raw, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422
    assert problem["pointer"] == pointer
    assert problem["errors"] == [{"pointer": pointer, "detail": problem["detail"]}]
    kept = parts.rejected.get(problem["rejected_id"])
    assert kept is not None
    assert (kept.source, kept.provider, kept.reason) == ("devices", "", "invalid")
    assert kept.body == raw
    assert kept.content_type == "application/json"
    assert parts.registry.get(TOKEN) is None  # nothing registered


async def test_a_body_that_is_not_json_is_a_400_problem_kept_raw(
    client: httpx.AsyncClient, parts: Parts
) -> None:
    raw = b'{"token": "abc", "platform": '
    answer = await client.post("/devices", content=raw)
    assert answer.status_code == 400
    assert answer.json()["pointer"] == ""
    kept = parts.rejected.get(answer.json()["rejected_id"])
    assert kept is not None and kept.body == raw and kept.reason == "invalid"


async def test_a_body_over_the_limit_is_a_413_problem(
    client: httpx.AsyncClient, parts: Parts
) -> None:
    raw = json.dumps({**BODY, "teams": ["x" * 100] * 50}).encode()
    answer = await client.post("/devices", content=raw)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    kept = parts.rejected.get(answer.json()["rejected_id"])
    assert kept is not None and kept.reason == "too-large"
    assert parts.registry.get(TOKEN) is None


async def test_a_streamed_body_over_the_limit_is_refused_without_a_length(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1000

    answer = await client.post("/devices", content=chunks())
    assert "content-length" not in answer.request.headers
    assert answer.status_code == 413


class BrokenRegistry(MemoryDeviceRegistry):
    def register(self, device: Device) -> bool:
        raise OSError("disk full")


async def test_a_failing_registry_is_a_503_problem_and_nothing_is_kept() -> None:
    rejected = MemoryRejectedStore()
    app = Starlette(routes=device_routes(BrokenRegistry(), rejected))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answer = await http.post("/devices", json=BODY)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert rejected.list() == []


async def test_an_address_over_its_rate_gets_a_429_problem_and_others_are_served(
    parts: Parts,
) -> None:
    limits = RateLimits(rate=0.001, burst=2)  # two requests, then a long wait
    app = Starlette(routes=device_routes(parts.registry, parts.rejected, limits=limits))

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 1234))
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    async with client("10.0.0.1") as first, client("10.0.0.2") as second:
        assert (await first.post("/devices", json=BODY)).status_code == 201
        assert (await first.get(f"/devices/{TOKEN}")).status_code == 200
        refused = await first.post("/devices", content=b"not even json")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        assert "rate" in refused.json()["detail"]
        assert (await first.delete(f"/devices/{TOKEN}")).status_code == 429
        assert (await second.delete(f"/devices/{TOKEN}")).status_code == 204
    assert parts.rejected.list() == []  # a flood is not kept
    assert parts.registry.get(TOKEN) is None
