"""The fans' SSE stream end to end in-process: the real in-memory wiring (store,
recorder, projector, broker, hub) and the raw ASGI endpoint, driven by fake clients
that can stop reading or disconnect."""

from __future__ import annotations

import asyncio
import json

import pytest

from entrypoints.web import games
from entrypoints.web.fanout import stream
from tests.fanout_harness import Gateway, StreamClient, until

# Every test runs on both paths: frames through the server's ``send``, and frames
# written by the hub straight to the connection's transport as HTTP/1.1 chunks.
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.parametrize("direct", [False, True], ids=["send", "direct"]),
]


async def opened(gateway: Gateway, game_id: str, count: int = 1) -> list[StreamClient]:
    clients = [gateway.open(game_id) for _ in range(count)]
    await until(lambda: all(c.events("state") for c in clients), "every stream opened")
    return clients


async def test_each_update_is_encoded_once_and_every_subscriber_gets_the_same_bytes(
    direct: bool,
) -> None:
    async with Gateway(direct=direct) as gateway:
        await gateway.until_state("g1", await gateway.record("g1", "GAME_SCHEDULED"))
        clients = await opened(gateway, "g1", 40)
        encoded_before = gateway.services.hub.frames_encoded
        versions = []
        for n, event_type in enumerate(("GAME_STARTED", "GOAL", "GOAL"), start=1):
            versions.append(await gateway.record("g1", event_type))
            await until(lambda n=n: all(len(c.events()) == n for c in clients), f"update {n}")
            last = [c.written[-1] for c in clients]  # the body, or on the direct path the chunk
            assert all(b is last[0] for b in last), "one bytes object shared by all"

        assert gateway.services.hub.frames_encoded - encoded_before == 3
        assert all(c.chunks_written == (3 if direct else 0) for c in clients)
        assert all([v for v, _ in c.events()] == versions for c in clients)
        for client in clients:
            client.disconnected.set()


async def test_a_subscriber_that_falls_behind_is_dropped_with_a_retry_hint(direct: bool) -> None:
    async with Gateway(direct=direct, sse_max_lag=2) as gateway:
        await gateway.until_state("g1", await gateway.record("g1", "GAME_SCHEDULED"))
        slow, ok = await opened(gateway, "g1", 2)
        slow.reading.clear()  # stops reading: its next send blocks
        await gateway.record("g1", "GAME_STARTED")
        await until(lambda: len(ok.events()) == 1, "the first update")
        version = await gateway.record("g1", "GOAL", "GOAL", "GOAL", "GOAL")
        await until(lambda: ok.events() and ok.events()[-1][0] == version, "the healthy one")
        assert not slow.ended()
        slow.reading.set()
        await until(slow.ended, "the slow stream ended")

        last = slow.bodies()[-1]
        assert last.startswith(b"retry: ") and b"falling behind" in last
        assert 1000 <= int(last.split(b"\n")[0][7:]) <= 5000
        await until(lambda: gateway.services.hub.subscriber_count() == 1, "slow one gone")
        assert not ok.ended()
        ok.disconnected.set()


async def test_at_the_connection_cap_a_stream_is_refused_with_503_and_retry_after(
    direct: bool,
) -> None:
    async with Gateway(direct=direct, sse_max_connections=2) as gateway:
        await gateway.until_state("g1", await gateway.record("g1", "GAME_SCHEDULED"))
        first, second = await opened(gateway, "g1", 2)
        refused = gateway.open("g1")
        await until(refused.ended, "the refusal")

        assert refused.status == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 5
        problem = json.loads(refused.text())
        assert problem["status"] == 503 and "2 streams" in problem["detail"]
        first.disconnected.set()
        await until(lambda: gateway.services.hub.subscriber_count() == 1, "a seat freed")
        third = gateway.open("g1")
        await until(lambda: bool(third.events("state")), "a stream once a seat is free")
        assert third.status == 200
        second.disconnected.set()
        third.disconnected.set()


async def test_drain_tells_every_subscriber_to_reconnect_with_a_jittered_retry(
    direct: bool,
) -> None:
    async with Gateway(direct=direct) as gateway:
        await gateway.until_state("g1", await gateway.record("g1", "GAME_SCHEDULED"))
        await gateway.until_state("g2", await gateway.record("g2", "GAME_SCHEDULED"))
        clients = [*await opened(gateway, "g1", 10), *await opened(gateway, "g2", 10)]
        stuck = (await opened(gateway, "g2"))[0]
        stuck.reading.clear()  # will never take its drain frame: cut at the deadline
        await gateway.services.hub.drain(deadline=0.5)

        assert all(c.ended() for c in clients)
        hints = {c.bodies()[-1] for c in clients}
        assert all(h.startswith(b"retry: ") and b"server restarting" in h for h in hints)
        assert len(hints) > 1, "reconnects are spread over several retry times"
        await until(lambda: stuck.task is not None and stuck.task.done(), "straggler cut")
        assert gateway.services.hub.subscriber_count() == 0
        late = gateway.open("g1")
        await until(late.ended, "the refusal while draining")
        assert late.status == 503 and "retry-after" in late.headers


async def test_resume_within_the_window_is_served_from_memory_gapless(
    monkeypatch: pytest.MonkeyPatch, direct: bool
) -> None:
    async with Gateway(direct=direct) as gateway:
        await gateway.until_state("g1", await gateway.record("g1", "GAME_SCHEDULED"))
        (watcher,) = await opened(gateway, "g1")
        version = await gateway.record("g1", "GAME_STARTED", "GOAL", "GOAL", "GOAL")
        await until(lambda: len(watcher.events()) == 4, "the watcher's updates")
        store_reads: list[int] = []
        real = games.replay_after

        def counted(*args: object) -> object:
            store_reads.append(1)
            return real(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(stream, "replay_after", counted)
        resumed = gateway.open("g1", last_event_id=version - 2)
        await until(lambda: len(resumed.events()) == 2, "the missed two")
        later = await gateway.record("g1", "GOAL")
        await until(lambda: len(resumed.events()) == 3, "then the live one")

        assert [v for v, _ in resumed.events()] == [version - 1, version, later]
        assert resumed.events("state") == []
        assert store_reads == [] and gateway.services.hub.upstream_count() == 1
        for client in (watcher, resumed):
            client.disconnected.set()


async def test_resume_with_no_window_yet_is_served_from_the_store_once_per_game(
    direct: bool,
) -> None:
    async with Gateway(direct=direct) as gateway:
        version = await gateway.record("g1", "GAME_SCHEDULED", "GAME_STARTED", "GOAL", "GOAL")
        await gateway.until_state("g1", version)
        hub = gateway.services.hub
        before = hub.frames_encoded
        resumed = [gateway.open("g1", last_event_id=1) for _ in range(5)]
        await until(lambda: all(len(c.events()) == version - 1 for c in resumed), "replays")
        assert hub.frames_encoded - before == version, "the window seeded once, not 5 times"
        later = await gateway.record("g1", "GOAL")
        await until(lambda: all(len(c.events()) == version for c in resumed), "then live")

        for client in resumed:
            assert [v for v, _ in client.events()] == [*range(2, version + 1), later]
            client.disconnected.set()


async def test_an_id_older_than_the_window_is_replayed_from_the_store(direct: bool) -> None:
    async with Gateway(direct=direct) as gateway:
        hub = gateway.services.hub
        hub.recent_frames = 3  # a tiny window: most of the game is older than it
        version = await gateway.record("g1", "GAME_SCHEDULED", "GAME_STARTED", *["GOAL"] * 6)
        await gateway.until_state("g1", version)
        resumed = gateway.open("g1", last_event_id=2)
        await until(lambda: len(resumed.events()) == version - 2, "the replay")
        assert [v for v, _ in resumed.events()] == list(range(3, version + 1))
        assert resumed.events()[-1][1]["state"]["home_score"] == 6
        resumed.disconnected.set()


async def test_a_disconnect_releases_the_subscriber_and_the_last_one_the_upstream(
    direct: bool,
) -> None:
    async with Gateway(direct=direct) as gateway:
        await gateway.until_state("g1", await gateway.record("g1", "GAME_SCHEDULED"))
        clients = await opened(gateway, "g1", 3)
        hub = gateway.services.hub
        assert (hub.upstream_count(), hub.subscriber_count()) == (1, 3)
        clients[0].disconnected.set()
        await until(lambda: hub.subscriber_count() == 2, "one left")
        assert hub.upstream_count() == 1
        for client in clients[1:]:
            client.disconnected.set()
        await until(lambda: hub.upstream_count() == 0, "the upstream closed")
        await asyncio.gather(*(c.task for c in clients if c.task is not None))
