"""Drive the raw ASGI stream endpoint in-process: a fake client per stream whose
``send`` can be held (a client that stops reading) and which can disconnect.

A ``direct`` client is also the connection's transport, put in the scope as our
uvicorn protocol puts it (``scoreline.transport``): the hub then writes live frames
to it as HTTP/1.1 chunks, which it decodes into body messages in order with what
comes through ``send``. While it is not reading, what is written to it is held
(its write buffer, over its high-water mark of 0 bytes: so the next write goes
through ``send``, which waits, as uvicorn's does while writing is paused)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from domain.events import GameEvent
from entrypoints.composition import Services, build_in_memory
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from entrypoints.web.fanout.stream import GameStream


@dataclass
class StreamClient:
    direct: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)
    reading: asyncio.Event = field(default_factory=asyncio.Event)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    written: list[Any] = field(default_factory=list)  # each body or chunk, as handed over
    held: list[bytes] = field(default_factory=list)  # chunks written while not reading
    chunks_written: int = 0  # by the hub, straight to this transport
    _asked: int = 0

    def __post_init__(self) -> None:
        self.reading.set()

    async def send(self, message: dict[str, Any]) -> None:
        await self.reading.wait()
        self._take_held()
        if message["type"] == "http.response.body":
            self.written.append(message["body"])
        self.messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.disconnected.set()  # as uvicorn: receive() says so once the response is over

    # The transport of a direct client (the hub's writes)
    def write(self, chunk: bytes) -> None:
        assert not self.disconnected.is_set(), "written after the connection closed"
        self.chunks_written += 1
        self.written.append(chunk)
        self.held.append(chunk)
        if self.reading.is_set():
            self._take_held()

    def get_write_buffer_size(self) -> int:
        return sum(len(chunk) for chunk in self.held)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (0, 0)

    def is_closing(self) -> bool:
        return self.disconnected.is_set()

    def _take_held(self) -> None:
        for chunk in self.held:
            size, _, rest = chunk.partition(b"\r\n")
            data = rest[: int(size, 16)]
            assert data and rest == data + b"\r\n", f"not one whole chunk: {chunk[:40]!r}"
            self.messages.append({"type": "http.response.body", "body": data, "more_body": True})
        self.held.clear()

    async def receive(self) -> dict[str, Any]:
        self._asked += 1
        if self._asked == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.disconnected.wait()
        return {"type": "http.disconnect"}

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    def bodies(self) -> list[bytes]:
        return [m["body"] for m in self.messages if m["type"] == "http.response.body"]

    def text(self) -> str:
        return b"".join(self.bodies()).decode()

    def events(self, kind: str = "game_event") -> list[tuple[int, dict[str, Any]]]:
        """(id, data) of every event of ``kind`` received, in order."""
        found = []
        for block in self.text().split("\n\n"):
            lines = block.split("\n")
            if f"event: {kind}" not in lines:
                continue
            ident = next(int(x[4:]) for x in lines if x.startswith("id: "))
            data = "\n".join(x[6:] for x in lines if x.startswith("data: "))
            found.append((ident, json.loads(data)))
        return found

    def ended(self) -> bool:
        return bool(self.messages) and self.messages[-1].get("more_body", False) is False


class Gateway:
    """In-memory services with their workers running, and the stream endpoint."""

    def __init__(self, *, direct: bool = False, **settings: Any) -> None:
        """``direct``: every stream's client is also its transport (see the module)."""
        self.direct = direct
        self.services: Services = build_in_memory(Settings(**settings))
        self.app = create_app(self.services, run_workers=False)
        self.endpoint = GameStream()
        self.sequence: dict[str, int] = {}

    async def __aenter__(self) -> Gateway:
        await self.services.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.services.stop()
        self.services.close()

    def open(
        self, game_id: str, last_event_id: int | None = None, client: StreamClient | None = None
    ) -> StreamClient:
        client = client or StreamClient(direct=self.direct)
        headers = [(b"accept", b"text/event-stream")]
        if last_event_id is not None:
            headers.append((b"last-event-id", str(last_event_id).encode()))
        scope = {
            "type": "http",
            "method": "GET",
            "path": f"/games/{game_id}/stream",
            "query_string": b"",
            "headers": headers,
            "app": self.app,
            "path_params": {"game_id": game_id},
        }
        if client.direct:
            scope["extensions"] = {"scoreline.transport": client}
        client.task = asyncio.create_task(self.endpoint(scope, client.receive, client.send))
        return client

    async def record(self, game_id: str, *event_types: str) -> int:
        """Record events (the first call schedules the game); the game's version after."""
        events = []
        for event_type in event_types:
            seq = self.sequence.get(game_id, 0) + 1
            self.sequence[game_id] = seq
            raw: dict[str, Any] = {
                "event_id": f"{game_id}-{seq}",
                "game_id": game_id,
                "sport": "soccer",
                "sequence_number": seq,
                "event_type": event_type,
            }
            if event_type == "GAME_SCHEDULED":
                raw["schedule"] = {"home_team_id": "ars", "away_team_id": "che"}
            if event_type == "GOAL":
                raw["team_id"] = "ars"
            events.append(GameEvent.from_dict(raw))
        await self.services.ingestion.accept(events)
        return self.sequence[game_id]

    async def until_state(self, game_id: str, version: int) -> None:
        for _ in range(500):
            state = await self.services.state(game_id)
            if state is not None and state["version"] >= version:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{game_id} never reached version {version}")


async def until(predicate: Any, what: str, tries: int = 500) -> None:
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")
