"""The gateway's HTTP/1.1 protocol: uvicorn's httptools protocol, answering polls of held
games itself.

:class:`PollProtocol` is ``uvicorn.protocols.http.httptools_impl.HttpToolsProtocol`` with
one shortcut: a ``GET`` or ``HEAD`` of ``/games/{game_id}/state`` (no query string) of a
game the near cache holds is decided on when its headers are parsed and answered when its
message ends, with one ``transport.write`` of bytes built once per state version
(:class:`~entrypoints.web.state_snapshot.Snapshot`) and the server's default headers (the
``date``, encoded once a second): no ASGI scope, no task, no per-header checks. Anything
else goes through uvicorn's own path untouched.

Guarantees of the shortcut (``tests/integration/test_poll_protocol.py`` runs it beside
uvicorn's own protocol and requires the same bytes):

- **The same answer.** Status, headers (byte for byte, in uvicorn's order: its default
  headers first, ``connection: close`` last when the connection ends) and body are those
  :func:`entrypoints.web.polling.answer` sends through uvicorn: 304 when ``If-None-Match``
  (its first occurrence) names the state's tag by weak comparison or is ``*``, else 200;
  no body for HEAD or 304.
- **Connection semantics as uvicorn's.** HTTP/1.0 and ``Connection: close`` requests
  get ``connection: close`` and the connection is closed after the answer; requests
  pipelined after it are dropped (uvicorn never starts them either). A body sent with the
  poll is read and ignored (the endpoint never reads it); one that does not parse gets
  uvicorn's 400 alone. The keep-alive timeout counts from the last answer, as uvicorn's
  (one timer shared by a connection's answers, instead of one per response), and the
  request counts towards ``limit_max_requests``.
- **Order.** A poll is answered here only when no ASGI response is in flight on the
  connection; otherwise it is queued behind it as uvicorn queues pipelined requests.
- **Flow control.** While the transport's write buffer is over its high-water mark
  (writing paused) polls take the ASGI path, which waits for the buffer to drain.
- **Counts and logs as the ASGI path.** The near cache's ``peek`` counts the hit; the
  access line is logged only when uvicorn's access log is on (``--log-level debug``).
- Not taken with ``root_path``, ``limit_concurrency``, an upgrade request, or a target
  that is percent-encoded or not ASCII (uvicorn's path answers those the same way).

**The transport extension.** The scope of every ASGI request carries the connection's
transport: ``scope["extensions"]["scoreline.transport"]`` is the ``asyncio.Transport``
(:data:`TRANSPORT_EXTENSION`; uvicorn's own extensions, if any, are kept). The fan-out
writes pre-framed SSE chunks to it directly. The scope is otherwise uvicorn's, built only
for the requests that take the ASGI path.

This depends on uvicorn's internals (the parser callbacks, ``RequestResponseCycle``,
``server_state.default_headers``, ``send``'s header encoding): pyproject.toml pins the
uvicorn minor version.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar, Protocol
from urllib.parse import quote

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from entrypoints.web.state_snapshot import Snapshot

TRANSPORT_EXTENSION = "scoreline.transport"
"""The scope extension holding the connection's ``asyncio.Transport``."""

_OK = STATUS_LINE[200]
_NOT_MODIFIED = STATUS_LINE[304]
_CLOSING = b"connection: close\r\n\r\n"
_ACCESS_LINE = '%s - "%s %s HTTP/%s" %d'  # uvicorn's RequestResponseCycle's


class HeldStates(Protocol):
    """What the protocol reads: the near cache's
    (:meth:`entrypoints.web.near_cache.NearCache.peek`, counting a hit when it finds one)."""

    def peek(self, game_id: str) -> Snapshot | None: ...


class EncodedDefaults:
    """The server's default headers (``date``, replaced once a second by uvicorn's main
    loop) as header lines, encoded again only when the list is replaced."""

    __slots__ = ("lines", "source")

    def __init__(self) -> None:
        self.source: list[tuple[bytes, bytes]] | None = None
        self.lines = b""

    def update(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.lines = b"".join(b"%s: %s\r\n" % (name.lower(), value) for name, value in headers)
        self.source = headers


class PollProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with held games' polls answered in place.

    Bound to a near cache by :func:`poll_protocol`; with ``near_cache`` None it is
    uvicorn's protocol plus the transport extension."""

    near_cache: ClassVar[HeldStates | None] = None
    defaults: ClassVar[EncodedDefaults] = EncodedDefaults()
    in_message = False  # a request is being parsed
    handled = False  # the request being parsed is answered (or dropped) here
    answer: bytes | None = None  # what to write when that request's message ends
    closes = False  # and whether the connection ends with it
    logged: tuple[bytes, bytes, str, int] | None = None  # its access line's fields
    answered_at = 0.0  # the loop's time at the last answer given here
    idle_timer: asyncio.TimerHandle | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None

    def on_message_begin(self) -> None:
        # uvicorn's, but the ASGI scope is only built for a request that needs one
        self.in_message = True
        self.url = b""
        self.expect_100_continue = False
        self.headers = []

    def on_headers_complete(self) -> None:
        if self.transport.is_closing():  # an answer here closed it: nothing more is read
            self.handled, self.answer = True, None
            return
        if self.near_cache is not None and self._prepare_answer(self.near_cache):
            self.handled = True
            return
        url, headers, expect = self.url, self.headers, self.expect_100_continue
        super().on_message_begin()  # the scope, as uvicorn builds it (which resets these)
        self.url, self.headers, self.expect_100_continue = url, headers, expect
        self.scope["headers"] = headers
        extensions = self.scope.setdefault("extensions", {})
        extensions[TRANSPORT_EXTENSION] = self.transport  # type: ignore[assignment]
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.handled:  # a poll's body is read and ignored, as the endpoint does
            super().on_body(body)

    def on_message_complete(self) -> None:
        self.in_message = False
        if not self.handled:
            super().on_message_complete()
            return
        self.handled = False
        answer, self.answer = self.answer, None
        if answer is None or self.transport.is_closing():
            return
        self.transport.write(answer)
        self.server_state.total_requests += 1
        if self.logged is not None:
            self._log_access(*self.logged)
        if self.closes:
            self.transport.close()
            return
        # uvicorn arms a keep-alive timer per response (and data_received cancels it);
        # answers here share one, which looks again when it fires
        self.answered_at = self.loop.time()
        if self.idle_timer is None:
            self.idle_timer = self.loop.call_later(self.timeout_keep_alive, self._close_if_idle)

    def _close_if_idle(self) -> None:
        """uvicorn's keep-alive timeout, counted from the last answer given here."""
        self.idle_timer = None
        cycle = self.cycle
        if (
            self.transport.is_closing()
            or self.in_message  # uvicorn's timer stays off while a request comes in
            or (cycle is not None and not cycle.response_complete)  # armed after it
            or self.timeout_keep_alive_task is not None  # uvicorn's, armed since
        ):
            return
        left = self.answered_at + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.idle_timer = self.loop.call_later(left, self._close_if_idle)
        else:
            self.timeout_keep_alive_handler()

    def _prepare_answer(self, near: HeldStates) -> bool:
        """The answer to a poll of a held game, written when its message ends (a body, if
        any, read and ignored, as the ASGI path does); False (nothing done) otherwise."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            return False  # queued behind the response in flight, by uvicorn
        url = self.url
        if url[:7] != b"/games/" or url[-6:] != b"/state":
            return False
        method = self.parser.get_method()
        if method != b"GET" and method != b"HEAD":
            return False
        raw_id = url[7:-6]
        if (
            not raw_id
            or b"/" in raw_id
            or b"?" in raw_id
            or b"%" in raw_id
            or b"#" in raw_id
            or not raw_id.isascii()
            or self.flow.write_paused
            or self.parser.should_upgrade()
            or self.limit_concurrency is not None
            or self.root_path
        ):
            return False
        snapshot = near.peek(raw_id.decode("ascii"))  # counts the hit
        if snapshot is None:
            return False
        if_none_match = None
        for name, value in self.headers:
            if name == b"if-none-match":
                if_none_match = value
                break
        defaults = self.defaults
        if defaults.source is not self.server_state.default_headers:
            defaults.update(self.server_state.default_headers)
        version = self.parser.get_http_version()
        keep_alive = version != "1.0" and self.parser.should_keep_alive()
        head = method == b"HEAD"
        if if_none_match is not None and snapshot.matches(if_none_match):
            status, rest = (
                _NOT_MODIFIED,
                snapshot.raw_not_modified if keep_alive else snapshot.not_modified_lines + _CLOSING,
            )
        elif keep_alive:
            status, rest = _OK, snapshot.raw_ok_head if head else snapshot.raw_ok
        else:
            status, rest = _OK, snapshot.ok_lines + _CLOSING + (b"" if head else snapshot.body)
        self.answer = b"".join((status, defaults.lines, rest))
        self.closes = not keep_alive
        if self.access_log:
            self.logged = (method, raw_id, version, 304 if status is _NOT_MODIFIED else 200)
        return True

    def _log_access(self, method: bytes, raw_id: bytes, version: str, status: int) -> None:
        client = f"{self.client[0]}:{self.client[1]}" if self.client else ""
        path = quote(f"/games/{raw_id.decode()}/state")  # as uvicorn quotes the path
        self.access_logger.info(_ACCESS_LINE, client, method.decode(), path, version, status)


def poll_protocol(near_cache: HeldStates | None) -> type[PollProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)``, answering from ``near_cache``."""

    class BoundPollProtocol(PollProtocol):
        pass

    BoundPollProtocol.near_cache = near_cache
    BoundPollProtocol.defaults = EncodedDefaults()
    return BoundPollProtocol
