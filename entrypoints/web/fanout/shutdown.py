"""Drain on shutdown: when the server begins to exit, the hub tells every fan to
reconnect (jittered ``retry:``) and the streams end within the drain deadline.

uvicorn gives an ASGI app no notice before it waits for open responses to finish,
and an SSE stream never finishes by itself; so the app watches the server's own
``should_exit`` flag (set by its SIGTERM/SIGINT handler; uvicorn has already stopped
accepting by the time the streams end). The server is found the way uvicorn
installs itself: as the bound SIGTERM handler. Not under uvicorn's signal handling,
nothing is watched and ``Hub.close`` ends the streams at lifespan shutdown.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from entrypoints.web.hub import Hub

POLL = 0.1  # uvicorn's own main loop ticks at 0.1 s


def running_server() -> Any | None:
    """The uvicorn Server whose signal handler is installed, if any."""
    handler = signal.getsignal(signal.SIGTERM)
    server = getattr(handler, "__self__", None)
    return server if hasattr(server, "should_exit") else None


async def drain_when_exiting(hub: Hub, deadline: float, server: Any | None = None) -> None:
    """Wait for ``server`` (default: the running one) to start exiting, then drain."""
    server = server or running_server()
    if server is None:
        return
    while not server.should_exit:
        await asyncio.sleep(POLL)
    await hub.drain(deadline)
