"""``python -m bench.uvloop_serve serve ...``: ``scoreline serve`` as it could be configured.

``scoreline serve`` runs uvicorn inside ``asyncio.run``, so it gets the standard
library's event loop even though uvloop is installed, and keeps uvicorn's access log
(formatted per request, then dropped at ``--log-level warning``) and ``server`` header.
This runs the very same command on uvloop, without the access log and the ``server``
header, to measure what those choices cost (BENCHMARKS.md, "Polling and the edge").
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

import uvicorn
import uvloop


def _run_on_uvloop(main: Coroutine[Any, Any, Any], **_: Any) -> Any:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


class _LeanConfig(uvicorn.Config):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("access_log", False)
        kwargs.setdefault("server_header", False)
        super().__init__(*args, **kwargs)


if __name__ == "__main__":
    asyncio.run = _run_on_uvloop
    uvicorn.Config = _LeanConfig  # type: ignore[misc]
    from entrypoints.cli import main

    sys.exit(main(sys.argv[1:]))
