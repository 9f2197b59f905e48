"""One game's stream in one gateway process: a bounded window of recent frames and
the subscribers it is delivered to.

- ``frames`` holds the latest ``capacity`` game frames, contiguous by version, each
  an encoded ASGI message shared by every subscriber (see ``frames.py``).
- ``deliver`` hands the newest frame to every live subscriber in one loop; nothing
  is queued per subscriber. A subscriber whose server exposes its connection's
  transport (``use_transport``) is written the frame's pre-built HTTP/1.1 chunk
  with one ``transport.write``: no coroutine, no bytes built per subscriber. Any
  other subscriber's ``send`` is started right there (``writes.start_write``); so
  is a direct subscriber's while its transport buffers more than its high-water
  mark (the server's ``send`` then waits for the buffer to drain), and for the
  message that ends its response (the server must write the last chunk).
- A subscriber whose previous write is still waiting for its client is skipped;
  when that write completes it is sent everything it missed in one joined message,
  unless more than ``max_lag`` frames arrived meanwhile or the window moved past
  it: then it is sent a jittered ``retry:`` hint and its response ends (it
  reconnects and resumes by Last-Event-ID). So a subscriber's backlog is the part
  of the shared window above its ``sent``, plus what its socket buffers hold (at
  most the transport's high-water mark and one message).
- A direct write never overlaps a ``send`` in flight (``busy``), and a subscriber
  whose transport is closing is ended at its next write.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from entrypoints.web.fanout.frames import (
    CHUNK,
    DRAINING,
    FALLING_BEHIND,
    PING,
    Message,
    chunked,
)
from entrypoints.web.fanout.writes import start_write

Send = Callable[[Message], Coroutine[Any, Any, None]]


class Listener:
    __slots__ = (
        "_done",
        "_last",
        "busy",
        "ended",
        "feed",
        "limit",
        "max_lag",
        "send",
        "sent",
        "task",
        "transport",
        "wrote_at",
    )

    def __init__(self, feed: Feed, send: Send | None = None, max_lag: int = 64) -> None:
        self.feed = feed
        self.send = send
        self.max_lag = max_lag
        self.sent = 0  # the last version this subscriber was sent
        self.busy = False  # a write is waiting for the client
        self.ended = False  # its response is over (or ending)
        self.wrote_at = 0  # the head when the write in flight started
        self.task: asyncio.Task[Any] | None = None  # the connection's task
        self._last: Message | None = None  # the last message, once the write in flight is done
        self._done = self._written
        self.transport: Any = None  # an asyncio.Transport written directly (use_transport)
        self.limit = 0  # its high-water mark: above it, writes go through ``send``

    def use_transport(self, transport: Any) -> None:
        """Write live frames straight to ``transport``, the connection's, whose
        response ``send`` has started as chunked HTTP/1.1 (the server then ends it
        on the last ``send``). Only before the subscriber goes live."""
        self.transport = transport
        self.limit = transport.get_write_buffer_limits()[1]

    async def wait(self) -> None:
        """For an in-process consumer (no ``send``; the near cache): until the feed
        has news (a frame, or closing). Its own future, never a shared one."""
        waiter = asyncio.get_running_loop().create_future()
        self.feed.waiters.append(waiter)
        await waiter

    def offer(self) -> None:
        """Send what the window holds above ``sent`` (nothing while a write waits)."""
        if self.busy or self.ended:
            return
        feed = self.feed
        if feed.closing:
            self.end(DRAINING.pick())
            return
        frames = feed.frames
        if not frames or frames[-1][0] <= self.sent:
            return
        if self.sent < frames[0][0] - 1:  # the window moved past it
            self.end(FALLING_BEHIND.pick())
            return
        head = frames[-1][0]
        message = feed.after(self.sent)
        self.sent = head
        if message is not None:
            self.write(message, head)

    def ping(self) -> None:
        if not (self.busy or self.ended):
            self.write(PING, self.sent)

    def write(self, message: Message, head: int) -> None:
        transport = self.transport
        if transport is not None:
            chunk = message.get(CHUNK)
            if chunk is not None:
                if transport.is_closing():  # the connection is gone
                    self.ended = True
                    self.feed.live.discard(self)
                    return
                if transport.get_write_buffer_size() <= self.limit:
                    transport.write(chunk)
                    return
        assert self.send is not None
        self.busy = True
        self.wrote_at = head
        start_write(self.send(message), self._done)

    def _written(self, error: BaseException | None) -> None:
        self.busy = False
        if self.ended:
            last, self._last = self._last, None
            if last is not None and error is None:
                self.write(last, self.sent)
            return
        if error is not None:  # the connection is gone
            self.ended = True
            return
        if (self.feed.head or 0) - self.wrote_at > self.max_lag:
            self.end(FALLING_BEHIND.pick())  # that many came while it wrote
        else:
            self.offer()

    def end(self, message: Message) -> None:
        """Send a last message and end the response (the client then reconnects)."""
        if self.ended:
            return
        self.ended = True
        self.feed.live.discard(self)
        if self.busy:  # sent when the write in flight completes (if ever)
            self._last = message
        elif self.send is not None:
            self.write(message, self.sent)


class Feed:
    def __init__(self, game_id: str, capacity: int) -> None:
        self.game_id = game_id
        self.capacity = capacity
        self.frames: deque[tuple[int, Message]] = deque(maxlen=capacity)
        self.listeners: set[Listener] = set()  # every local subscriber
        self.live: set[Listener] = set()  # those past their opening, fed by ``deliver``
        self.waiters: list[asyncio.Future[None]] = []  # in-process consumers' (``wait``)
        self.closing = False
        self._state: tuple[int, Message] | None = None

    @property
    def head(self) -> int | None:
        return self.frames[-1][0] if self.frames else None

    @property
    def first(self) -> int | None:
        return self.frames[0][0] if self.frames else None

    def append(self, version: int, message: Message) -> None:
        """Add the frame of ``version``; one not following the head restarts the window
        (whoever is further behind then resumes from the store)."""
        head = self.head
        if head is not None and version <= head:
            return
        if head is not None and version != head + 1:
            self.frames.clear()
        self.frames.append((version, message))

    def prepend(self, version: int, message: Message) -> bool:
        """Add the frame just below the window while there is room; False once not."""
        first = self.first
        if first is None or version != first - 1 or len(self.frames) >= self.capacity:
            return False
        self.frames.appendleft((version, message))
        return True

    def covers(self, sent: int) -> bool:
        """Whether everything after version ``sent`` is in the window (or yet to come)."""
        first = self.first
        return first is not None and sent >= first - 1

    def after(self, sent: int) -> Message | None:
        """What to send a subscriber at ``sent``: one shared message for one frame, one
        joined message for several (a subscriber catching up), None for nothing."""
        frames = self.frames
        if not frames or frames[-1][0] <= sent:
            return None
        start = sent - frames[0][0] + 1
        if start >= len(frames) - 1:
            return frames[-1][1]
        return chunked(b"".join(frames[i][1]["body"] for i in range(max(start, 0), len(frames))))

    def go_live(self, listener: Listener) -> None:
        """From now on ``deliver`` feeds it; it is sent at once what it lacks."""
        self.live.add(listener)
        listener.offer()

    def deliver(self) -> None:
        for listener in list(self.live):
            listener.offer()
        self._wake()

    def _wake(self) -> None:
        if self.waiters:
            waiters, self.waiters = self.waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def ping(self) -> None:
        for listener in list(self.live):
            listener.ping()

    def close(self) -> None:
        """Tell every subscriber to reconnect (a jittered ``retry:``) and end them."""
        self.closing = True
        for listener in list(self.live):
            listener.end(DRAINING.pick())
        self._wake()

    def state_frame(self, version: int) -> Message | None:
        """The cached ``state`` frame of ``version`` (new fans of a game share it)."""
        if self._state is not None and self._state[0] == version:
            return self._state[1]
        return None

    def keep_state_frame(self, version: int, message: Message) -> None:
        self._state = (version, message)
