"""A fan's client of one game: stream first, poll when the stream fails, stream again.

:class:`GameWatcher` (what ``scoreline watch GAME_ID --url URL`` prints) guarantees:

- **Each version once, in order.** :meth:`GameWatcher.updates` yields an :class:`Update`
  only for a version above the last one it yielded, whichever transport brought it.
- **Stream first.** ``GET /games/{id}/stream`` (SSE). A stream that drops after it was
  open is reopened within a second with ``Last-Event-ID`` (the server replays what was
  missed), :data:`REOPENS` times in a row at most without a new version;
  a stream that ends with a ``retry:`` hint (the server sheds or drains) is reopened
  after that hint.
- **Poll when the stream fails or is refused** (cannot connect, 503 or any other
  refusal, or a reopen that fails): ``GET /games/{id}/state`` with ``If-None-Match``
  every ``poll_interval`` seconds plus a uniform random jitter of 0 to ``jitter``
  seconds (0-2 s by default), so a crowd of clients falling back together does not
  poll in step. A 304 changes nothing.
- **Back to streaming.** While polling, the stream is tried again after ``stream_retry``
  seconds (jittered by +-25 %, and never before a refusal's ``Retry-After``); the first
  stream that opens ends polling, resuming from the last version seen.
- A game the server does not know (404) raises :class:`WatchError`; so does
  :meth:`updates` when the service cannot be reached at all for ``give_up`` seconds.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

TIMEOUT = httpx.Timeout(10, read=45)  # the server pings a stream every 15 s
REOPENS = 3  # an open stream that drops this often in a row without news: poll instead


class WatchError(Exception):
    """The game cannot be watched; the message says why."""


class StreamFailed(Exception):
    def __init__(self, reason: str, *, opened: bool, retry_after: float = 0.0) -> None:
        super().__init__(reason)
        self.opened = opened
        self.retry_after = retry_after


@dataclass(frozen=True)
class Update:
    version: int
    state: dict[str, Any]
    event: dict[str, Any] | None  # the event that made this version (None from a poll)
    via: str  # "stream" or "poll"


@dataclass
class _Frame:
    event: str
    id: str | None
    data: str
    retry: int | None


class GameWatcher:
    def __init__(
        self,
        base_url: str,
        game_id: str,
        *,
        poll_interval: float = 1.0,
        jitter: float = 2.0,
        stream_retry: float = 20.0,
        give_up: float = 300.0,
        client: httpx.Client | None = None,
        uniform: Callable[[], float] = random.random,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_mode: Callable[[str, str], None] | None = None,
    ) -> None:
        root = f"{base_url.rstrip('/')}/games/{quote(game_id, safe='')}"
        self.game_id = game_id
        self.stream_url, self.state_url = f"{root}/stream", f"{root}/state"
        self.poll_interval, self.jitter = poll_interval, jitter
        self.stream_retry, self.give_up = stream_retry, give_up
        self._client = client or httpx.Client(timeout=TIMEOUT)
        self._uniform, self._sleep, self._clock = uniform, sleep, clock
        self._on_mode = on_mode
        self.mode = "stream"
        self.version: int | None = None  # the last version yielded
        self.etag: str | None = None
        self._stream_at = 0.0  # when to try the stream again while polling
        self._unreachable_since: float | None = None
        self._drops = 0  # streams in a row that dropped without bringing a version

    def updates(self) -> Iterator[Update]:
        """Every new version of the game, as it comes, until the caller stops."""
        while True:
            if self.mode == "stream" or self._clock() >= self._stream_at:
                seen = self.version
                try:
                    yield from self._stream()
                except StreamFailed as failure:
                    self._drops = 0 if self.version != seen else self._drops + 1
                    if failure.opened and self._drops < REOPENS:
                        # Dropped after it was open: reopen soon, resuming from the last id.
                        self._sleep(0.25 * self._drops * (0.5 + self._uniform()))
                        continue
                    self._drops = 0
                    self._fall_back(str(failure), failure.retry_after)
                else:
                    continue
            yield from self._poll()
            self._sleep(self.poll_interval + self._uniform() * self.jitter)

    def close(self) -> None:
        self._client.close()

    # -------------------------------------------------------------- streaming
    def _stream(self) -> Iterator[Update]:
        headers = {"Accept": "text/event-stream"}
        if self.version is not None:
            headers["Last-Event-ID"] = str(self.version)
        opened = False
        try:
            with self._client.stream("GET", self.stream_url, headers=headers) as response:
                if response.status_code == 404:
                    raise WatchError(f"no game {self.game_id!r} at {self.stream_url}")
                if response.status_code != 200:
                    response.read()
                    raise StreamFailed(
                        f"stream refused ({response.status_code})",
                        opened=False,
                        retry_after=_seconds(response.headers.get("retry-after")),
                    )
                opened = True
                self._reached()
                self._switch("stream", "streaming")
                retry: int | None = None
                for frame in _frames(response.iter_lines()):
                    retry = frame.retry if frame.retry is not None else retry
                    update = self._from_frame(frame)
                    if update is not None:
                        yield update
        except httpx.HTTPError as error:
            self._unreached()
            reason = f"stream failed: {error or type(error).__name__}"
            raise StreamFailed(reason, opened=opened) from error
        # The server ended the stream (it sheds load or restarts): honour its hint.
        self._sleep((retry or 1000) / 1000 * (0.5 + self._uniform()))

    def _from_frame(self, frame: _Frame) -> Update | None:
        if frame.event == "state":
            state = json.loads(frame.data)
            return self._new(Update(int(state["version"]), state, None, "stream"))
        if frame.event == "game_event":
            message = json.loads(frame.data)
            version = int(message["version"])
            return self._new(Update(version, message["state"], message.get("event"), "stream"))
        return None

    def _fall_back(self, reason: str, retry_after: float) -> None:
        wait = max(retry_after, self.stream_retry * (0.75 + 0.5 * self._uniform()))
        self._stream_at = self._clock() + wait
        self._switch("poll", f"{reason}; polling")

    # ---------------------------------------------------------------- polling
    def _poll(self) -> Iterator[Update]:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        try:
            response = self._client.get(self.state_url, headers=headers)
        except httpx.HTTPError:
            self._unreached()
            return
        self._reached()
        if response.status_code == 404:
            raise WatchError(f"no game {self.game_id!r} at {self.state_url}")
        if response.status_code == 200:
            state = response.json()
            self.etag = response.headers.get("etag")
            update = self._new(Update(int(state["version"]), state, None, "poll"))
            if update is not None:
                yield update

    # ----------------------------------------------------------------- common
    def _new(self, update: Update) -> Update | None:
        if self.version is not None and update.version <= self.version:
            return None
        self.version = update.version
        return update

    def _switch(self, mode: str, reason: str) -> None:
        if mode != self.mode and self._on_mode is not None:
            self._on_mode(mode, reason)
        self.mode = mode

    def _reached(self) -> None:
        self._unreachable_since = None

    def _unreached(self) -> None:
        now = self._clock()
        if self._unreachable_since is None:
            self._unreachable_since = now
        elif now - self._unreachable_since > self.give_up:
            raise WatchError(f"cannot reach {self.state_url} for {self.give_up:.0f} s")


def _frames(lines: Iterator[str]) -> Iterator[_Frame]:
    """Server-Sent Events from a stream's lines (comments skipped, ``retry:`` kept)."""
    event, event_id, retry = "message", None, None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data or retry is not None:
                yield _Frame(event, event_id, "\n".join(data), retry)
            event, event_id, retry, data = "message", None, None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "id":
            event_id = value
        elif name == "data":
            data.append(value)
        elif name == "retry" and value.isdigit():
            retry = int(value)


def _seconds(retry_after: str | None) -> float:
    try:
        return max(0.0, float(retry_after or 0))
    except ValueError:
        return 0.0
