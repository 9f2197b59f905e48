"""FeedConnection: one provider's TCP connection, from hello to close.

Guarantees:
- Backpressure: a line is read only once the previous one is fully handled (its
  events accepted and acknowledged, or refused); nothing is buffered beyond the
  StreamReader's line limit.
- Durability: an ``ack`` is sent only after ``Ingestion.accept`` returned, so every
  event it covers is durable; duplicates are acknowledged too.
- Order: every client line after ``auth`` is answered in order: an event frame by one
  ``ack`` per game in it, or by one ``error``; a ``ping`` by a ``pong``.
- Containment: bad input (bad JSON, invalid or conflicting events) gets an ``error``
  frame, its raw line is kept in the RejectedStore, and the connection stays open.
  Only an overlong line (framing is lost), a failing event log (so nothing after the
  failed frame is taken out of order), silence and auth failure close it.
- A partial line at end of stream (the connection was cut mid-frame) is discarded.
- Rate: each event frame spends a token of the provider's bucket (``rate_limits``);
  over the rate the connection is read more slowly, nothing is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from entrypoints.composition import Services
from entrypoints.tcp_feed.intake import LogUnavailable, Refusal, resume_positions, take_event_line
from entrypoints.tcp_feed.protocol import (
    Auth,
    BlankLine,
    Error,
    ErrorCode,
    EventsFrame,
    FrameError,
    Hello,
    Ping,
    Pong,
    Problem,
    Ready,
    ServerFrame,
    decode_client_frame,
    encode,
    signature_matches,
)
from entrypoints.tcp_feed.status import FeedStatus, ProviderFeed

log = logging.getLogger("scoreline.tcp_feed")

Claim = Callable[[str, "FeedConnection"], Awaitable[None]]


class _Ended(Exception):
    """The session is over; ``error`` is the last frame to send, if any."""

    def __init__(self, reason: str, error: Error | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


class FeedConnection:
    def __init__(
        self,
        services: Services,
        status: FeedStatus,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        connection_id: int,
        heartbeat_seconds: float,
        max_line_bytes: int,
        claim: Claim,
    ) -> None:
        self.services = services
        self.status = status
        self.reader = reader
        self.writer = writer
        self.connection_id = connection_id
        self.heartbeat_seconds = heartbeat_seconds
        self.silence_limit = 3 * heartbeat_seconds
        self.max_line_bytes = max_line_bytes
        self.claim = claim
        self.provider: str | None = None
        self.peer = str(writer.get_extra_info("peername"))
        self.line = 0
        self._stopping: str | None = None
        self._write_lock = asyncio.Lock()

    # ------------------------------------------------------------------ control
    def stop(self, code: ErrorCode, reason: str) -> None:
        """End the session soon: say why, close, and read no further line."""
        if self._stopping is not None:
            return
        self._stopping = reason
        with contextlib.suppress(Exception):
            self.writer.write(encode(Error(code, reason, close=True)))
        self.writer.close()
        self.reader.feed_eof()

    async def run(self) -> None:
        """The whole session; never raises (but CancelledError)."""
        reason = "closed"
        pinger: asyncio.Task[None] | None = None
        try:
            await self._authenticate()
            pinger = asyncio.create_task(self._ping(), name=f"tcp-feed-ping-{self.connection_id}")
            reason = await self._serve_frames()
        except _Ended as ended:
            reason = ended.reason
            if ended.error is not None and self._stopping is None:
                with contextlib.suppress(Exception):
                    await self._send(ended.error)
        except (ConnectionError, OSError) as error:
            reason = f"connection lost: {error}"
        except Exception:
            log.exception("tcp feed connection %s failed", self.connection_id)
            reason = "internal error"
        finally:
            if pinger is not None:
                pinger.cancel()
            if self.provider is not None and self.status.disconnected(
                self.provider, self.connection_id, self._stopping or reason
            ):
                self._note_connection(False)
            await self._close()

    # ----------------------------------------------------------------- session
    async def _authenticate(self) -> None:
        nonce = secrets.token_hex(16)
        await self._send(Hello(nonce, self.heartbeat_seconds))
        line = await self._read_line()
        self.line += 1
        frame = decode_client_frame(line)
        if not isinstance(frame, Auth):
            raise await self._refuse_auth(line, "the first frame must be auth", "")
        secret = self.services.authenticator.secrets.get(frame.provider)
        if secret is None:
            raise await self._refuse_auth(line, f"unknown provider {frame.provider!r}", "")
        if not signature_matches(secret, nonce, frame.signature):
            detail = "signature does not sign the hello nonce"
            raise await self._refuse_auth(line, detail, frame.provider)
        self.provider = frame.provider
        await self.claim(frame.provider, self)
        if self._stopping is not None:
            raise _Ended(self._stopping)
        feed = self.status.connected(frame.provider, self.connection_id, self.peer)
        self._note_connection(True)
        await self._send(Ready(await resume_positions(self.services, feed, frame.games)))

    async def _serve_frames(self) -> str:
        assert self.provider is not None
        feed = self.status.provider(self.provider)
        while self._stopping is None:
            line = await self._read_line()
            if self._stopping is not None:
                break
            self.line += 1
            self.status.seen(self.provider)
            frame = decode_client_frame(line)
            if isinstance(frame, EventsFrame):
                feed.frames += 1
                await self._events(feed, frame.body)
            elif isinstance(frame, Ping):
                await self._send(Pong())
            elif isinstance(frame, FrameError):
                await self._refuse(feed, frame.code, line, frame.detail, frame.pointer)
            elif isinstance(frame, Auth):
                await self._refuse(feed, "bad-frame", line, "already authenticated", "$")
            else:
                assert isinstance(frame, Pong | BlankLine)
        return self._stopping or "closed"

    async def _events(self, feed: ProviderFeed, body: bytes) -> None:
        while (wait := self.services.rate_limits.take(feed.provider)) > 0:
            await asyncio.sleep(wait)  # over its rate: read more slowly, refuse nothing
        try:
            answer = await take_event_line(self.services, feed, body, self.line)
        except LogUnavailable as error:
            detail = f"event log unavailable, nothing of line {self.line} was accepted: {error}"
            error_frame = Error("unavailable", detail, line=self.line, close=True)
            raise _Ended("event log unavailable", error_frame) from None
        if isinstance(answer, Refusal):
            await self._refuse(
                feed, answer.code, body, answer.detail, answer.pointer, answer.problems
            )
            return
        for ack in answer:
            await self._send(ack)

    def _note_connection(self, connected: bool) -> None:
        assert self.provider is not None
        at = self.status.clock()
        self.services.monitor.note_connection(self.provider, "tcp-feed", connected, at)

    # ----------------------------------------------------------------- refusals
    async def _refuse(
        self,
        feed: ProviderFeed,
        code: ErrorCode,
        line: bytes,
        detail: str,
        pointer: str,
        problems: tuple[Problem, ...] = (),
    ) -> None:
        feed.errors += 1
        kept = await self._keep(code, line, {"detail": detail, "pointer": pointer})
        await self._send(
            Error(
                code,
                detail,
                pointer=pointer,
                line=self.line,
                errors=problems,
                rejected_id=kept,
            )
        )

    async def _refuse_auth(self, line: bytes, detail: str, provider: str) -> _Ended:
        kept = await self._keep("unauthorized", line, {"detail": detail}, provider)
        error = Error("unauthorized", detail, line=self.line, rejected_id=kept, close=True)
        return _Ended(f"unauthorized: {detail}", error)

    async def _keep(
        self, reason: str, body: bytes, detail: dict[str, Any], provider: str | None = None
    ) -> int | None:
        try:
            kept: int = await asyncio.to_thread(
                self.services.rejected.keep,
                source="tcp-feed",
                provider=provider if provider is not None else self.provider or "",
                reason=reason,
                detail={**detail, "line": self.line, "peer": self.peer},
                body=body.strip(),
                content_type="application/json",
            )
        except Exception:
            log.exception("cannot keep a refused tcp feed line")
            return None
        return kept

    # ---------------------------------------------------------------- plumbing
    async def _read_line(self) -> bytes:
        try:
            async with asyncio.timeout(self.silence_limit):
                return await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            raise _Ended(self._stopping or "closed by peer") from None
        except asyncio.LimitOverrunError:
            limit = f"a line is over {self.max_line_bytes} bytes; framing is lost"
            kept = await self._keep("too-long", b"", {"detail": limit})
            if self.provider is not None:
                self.status.provider(self.provider).errors += 1
            error = Error("too-long", limit, line=self.line + 1, rejected_id=kept, close=True)
            raise _Ended("line too long", error) from None
        except TimeoutError:
            detail = f"nothing heard for {self.silence_limit:g} s (three heartbeats)"
            error = Error("heartbeat-timeout", detail, close=True)
            raise _Ended("heartbeat timeout", error) from None

    async def _send(self, frame: ServerFrame) -> None:
        async with self._write_lock:
            self.writer.write(encode(frame))
            try:
                async with asyncio.timeout(self.silence_limit):
                    await self.writer.drain()
            except TimeoutError:
                raise _Ended("peer not reading") from None

    async def _ping(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.heartbeat_seconds)
                await self._send(Ping())
        except (_Ended, ConnectionError, OSError) as error:
            self.stop("heartbeat-timeout", f"cannot ping: {error}")

    async def _close(self) -> None:
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)
        except (TimeoutError, ConnectionError, OSError):
            self.writer.transport.abort()
