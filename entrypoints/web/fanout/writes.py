"""Start an ASGI ``send`` without a task per write.

Under uvicorn a body ``send`` almost always completes at once (it writes to the
transport and returns); it suspends only while the socket's buffer is full. So
the hub calls every subscriber's ``send`` in one loop and steps each awaitable
itself: finished at the first step, it costs no task, no future, no wake-up; one
that suspends is resumed from the future it awaits, exactly as asyncio's Task
resumes a coroutine (``_asyncio_future_blocking``), until it finishes. ``done``
is then called with None, or with the exception it raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

Done = Callable[[BaseException | None], None]


class Write:
    __slots__ = ("_coro", "_done")

    def __init__(self, coro: Coroutine[Any, Any, Any], done: Done) -> None:
        self._coro = coro
        self._done = done

    def step(self, error: BaseException | None = None) -> None:
        try:
            awaited = self._coro.send(None) if error is None else self._coro.throw(error)
        except StopIteration:
            self._done(None)
            return
        except BaseException as raised:  # reported to the owner, as a Task would keep it
            self._done(raised)
            return
        self.suspended(awaited)

    def suspended(self, awaited: Any) -> None:
        if awaited is None:  # a bare yield (asyncio.sleep(0)): go on at the next turn
            asyncio.get_running_loop().call_soon(self.step)
        elif getattr(awaited, "_asyncio_future_blocking", False):
            awaited._asyncio_future_blocking = False
            awaited.add_done_callback(self._wakeup)
        else:
            self._coro.close()
            self._done(RuntimeError(f"a send awaited something asyncio cannot: {awaited!r}"))

    def _wakeup(self, future: asyncio.Future[Any]) -> None:
        try:
            future.result()
        except BaseException as error:
            self.step(error)
        else:
            self.step()


def start_write(coro: Coroutine[Any, Any, Any], done: Done) -> None:
    """Step ``coro`` now; if it suspends, it goes on by itself (see the module doc)."""
    try:
        awaited = coro.send(None)
    except StopIteration:
        done(None)
        return
    except BaseException as raised:
        done(raised)
        return
    Write(coro, done).suspended(awaited)
