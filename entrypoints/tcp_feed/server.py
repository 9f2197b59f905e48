"""TcpFeed: the listener for providers' TCP feeds, and its live connections.

Guarantees:
- At most one live connection per provider. A newly authenticated connection takes
  over: the old one is told ``replaced`` and closed, and has finished the frame it
  was handling before the new one's ``ready`` is computed, so ``ready.acked`` counts
  everything the old connection acknowledged or was about to.
- A failing connection ends only itself; the listener and the others go on.
- :meth:`TcpFeed.close` stops listening, ends every connection and returns once
  their handlers are done.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from entrypoints.composition import Services
from entrypoints.tcp_feed.connection import FeedConnection
from entrypoints.tcp_feed.status import FeedStatus

log = logging.getLogger("scoreline.tcp_feed")

DEFAULT_HEARTBEAT_SECONDS = 5.0


class TcpFeed:
    def __init__(
        self,
        services: Services,
        *,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        max_line_bytes: int | None = None,
        status: FeedStatus | None = None,
    ) -> None:
        if heartbeat_seconds <= 0:
            raise ValueError(f"heartbeat_seconds must be positive, not {heartbeat_seconds!r}")
        self.services = services
        self.heartbeat_seconds = heartbeat_seconds
        self.max_line_bytes = max_line_bytes or services.settings.max_body_bytes
        self.status = status or FeedStatus()
        self.server: asyncio.Server | None = None
        self._ids = itertools.count(1)
        self._tasks: dict[FeedConnection, asyncio.Task[None]] = {}
        self._by_provider: dict[str, FeedConnection] = {}

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host:port`` (port 0: any free port, see :attr:`port`)."""
        self.server = await asyncio.start_server(
            self._handle, host, port, limit=self.max_line_bytes
        )

    @property
    def port(self) -> int:
        assert self.server is not None and self.server.sockets, "not started"
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def drop(self, provider: str) -> bool:
        """Close the provider's connection (it may reconnect); False if there is none."""
        connection = self._by_provider.get(provider)
        if connection is None:
            return False
        connection.stop("closing", "dropped by the server")
        await self._finished(connection)
        return True

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for connection in list(self._tasks):
            connection.stop("closing", "the server is shutting down")
        await asyncio.gather(*(self._finished(c) for c in list(self._tasks)))
        if self.server is not None:
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = FeedConnection(
            self.services,
            self.status,
            reader,
            writer,
            connection_id=next(self._ids),
            heartbeat_seconds=self.heartbeat_seconds,
            max_line_bytes=self.max_line_bytes,
            claim=self._claim,
        )
        task = asyncio.current_task()
        assert task is not None
        self._tasks[connection] = task
        try:
            await connection.run()
        finally:
            self._tasks.pop(connection, None)
            if connection.provider and self._by_provider.get(connection.provider) is connection:
                del self._by_provider[connection.provider]

    async def _claim(self, provider: str, connection: FeedConnection) -> None:
        previous = self._by_provider.get(provider)
        self._by_provider[provider] = connection
        if previous is not None and previous is not connection:
            previous.stop("replaced", "a newer connection of this provider took over")
            await self._finished(previous)

    async def _finished(self, connection: FeedConnection) -> None:
        """Wait for a stopping connection's handler; cancel it if it hangs."""
        task = self._tasks.get(connection)
        if task is None or task is asyncio.current_task():
            return
        await asyncio.wait({task}, timeout=self.heartbeat_seconds * 3)
        if not task.done():
            log.warning("tcp feed connection %s did not stop; cancelled", connection.peer)
            task.cancel()
            await asyncio.wait({task})


async def serve_tcp_feed(
    services: Services,
    host: str,
    port: int,
    *,
    heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    max_line_bytes: int | None = None,
) -> TcpFeed:
    """Start the TCP feed on ``host:port``; ``await feed.close()`` to stop it.

    ``max_line_bytes`` defaults to ``settings.max_body_bytes`` (the webhook's limit).
    The feed's :attr:`TcpFeed.status` is what ``/ops/feeds`` shows.
    """
    feed = TcpFeed(services, heartbeat_seconds=heartbeat_seconds, max_line_bytes=max_line_bytes)
    await feed.start(host, port)
    return feed
