"""A small Server-Sent Events reader for tests, on a thread, over a real connection."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Frame:
    event: str
    id: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class SSEReader:
    url: str
    last_event_id: str | None = None
    reconnect: bool = False  # like a browser: come back with the last id seen
    frames: list[Frame] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    connections: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None  # of the stream being read

    def start(self) -> SSEReader:
        self._thread.start()
        if not self.connected.wait(10):
            raise AssertionError(f"SSE connection to {self.url} did not open: {self.error}")
        return self

    def stop(self) -> None:
        """Stop reading now: the stream's socket is shut down, so a read waiting for
        the next frame returns at once."""
        self._stop.set()
        with self._lock:
            reading = self._socket
        if reading is not None:
            with contextlib.suppress(OSError):
                reading.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._read_once()
            except BaseException as error:  # reported through .error and the waiting test
                if self._stop.is_set():
                    return
                if not self.reconnect:
                    self.error = error
                    self.connected.set()
                    return
            if not self.reconnect:
                return
            self._stop.wait(0.3)

    def _read_once(self) -> None:
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        with (
            httpx.Client(timeout=httpx.Timeout(5, read=None)) as client,
            client.stream("GET", self.url, headers=headers) as response,
        ):
            response.raise_for_status()
            with self._lock:
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
            if self._stop.is_set():
                return
            self.connections += 1
            self.connected.set()
            event, event_id = "message", None
            data: list[str] = []
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if line == "":
                    if data:
                        with self._lock:
                            self.frames.append(Frame(event, event_id, "\n".join(data)))
                        if event_id is not None:
                            self.last_event_id = event_id
                    event, event_id, data = "message", None, []
                elif line.startswith(":"):
                    continue
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        event = value
                    elif name == "id":
                        event_id = value
                    elif name == "data":
                        data.append(value)

    def game_events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.json() for f in self.frames if f.event == "game_event"]

    def wait_until(self, predicate: Any, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error is not None:
                raise AssertionError(f"SSE reader failed: {self.error!r}")
            if predicate(self):
                return
            time.sleep(0.05)
        raise AssertionError(f"SSE condition not met in {timeout}s; got {len(self.frames)} frames")
