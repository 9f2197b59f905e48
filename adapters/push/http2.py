"""HTTP/2 over TLS for the push senders, on pyreqwest (Rust's reqwest, hyper and rustls).

The senders' whole dependency on an HTTP stack is :class:`Http2Transport`: a request
in (method, URL, headers, body), an :class:`HttpAnswer` out (status, headers, body), or
:class:`TransportError` when no answer came. Response mapping stays transport-free.

Why not httpx + h2: a send there costs ~3 ms of CPU in Python protocol code (a 50M
device fan-out ~42 CPU-hours); here framing, HPACK, TLS and flow control run in Rust
off the event loop (~0.2 ms a send).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pyreqwest.client import Client, ClientBuilder
from pyreqwest.exceptions import RequestError

Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]  # case-insensitive look-ups
    body: bytes


class TransportError(Exception):
    """No answer: connection refused, reset or lost, TLS refused, or a timeout."""


class Http2Transport:
    """HTTP/2 over TLS, ALPN offering ``h2`` alone (APNs requires it; FCM and Google's
    token endpoint support it; a server that cannot is a :class:`TransportError`).

    Guarantees: the server certificate is checked against the platform's trusted roots
    plus ``ca_file`` when given (PEM; ``SCORELINE_PUSH_CA_FILE``); every request ends
    within ``timeout`` seconds (connecting included) with an answer or
    :class:`TransportError`, never another exception for what the network did;
    requests multiplex over ``connections`` HTTP/2 connections per origin (taken in
    turn; each reopened on demand after a failure) however many run at once, queued
    for a stream when the server's ``SETTINGS_MAX_CONCURRENT_STREAMS`` is reached.
    Redirects are not followed and responses are not decompressed. A request that
    cannot be written at all (a header value with a line break) raises ``ValueError``.
    """

    def __init__(
        self,
        *,
        ca_file: str | Path | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        connections: int = 1,
    ) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        extra_root = Path(ca_file).read_bytes() if ca_file else None
        self._clients = [
            _client(extra_root, timeout, min(connect_timeout, timeout)) for _ in range(connections)
        ]
        self._turn = itertools.cycle(self._clients)

    async def request(
        self, method: str, url: str, headers: Headers = (), body: bytes | None = None
    ) -> HttpAnswer:
        client = next(self._turn, None)
        if client is None:
            raise TransportError("the transport is closed")
        builder = client.request(method, url).headers(headers)
        if body is not None:
            builder = builder.body_bytes(body)
        try:
            response = await builder.build().send()
            content = await response.bytes()
        except RequestError as error:
            raise TransportError(str(error)) from error
        return HttpAnswer(response.status, response.headers, content.to_bytes())

    async def post(self, url: str, headers: Headers, body: bytes) -> HttpAnswer:
        return await self.request("POST", url, headers, body)

    async def get(self, url: str, headers: Headers = ()) -> HttpAnswer:
        return await self.request("GET", url, headers)

    async def close(self) -> None:
        """Close the connections and let go of the clients now: a client still alive when
        the interpreter finalizes can abort it (pyo3 drop on a runtime thread)."""
        clients, self._clients = self._clients, []
        self._turn = itertools.cycle(self._clients)
        for client in clients:
            await client.close()
        del clients


def _client(extra_root: bytes | None, timeout: float, connect_timeout: float) -> Client:
    builder = (
        ClientBuilder()
        .http2_prior_knowledge()  # over TLS: ALPN offers h2 alone, one connection is shared
        .https_only(True)
        .timeout(timedelta(seconds=timeout))
        .connect_timeout(timedelta(seconds=connect_timeout))
        .pool_idle_timeout(timedelta(minutes=5))
        .http2_keep_alive_interval(timedelta(seconds=60))  # Apple: keep connections open
        .http2_keep_alive_timeout(timedelta(seconds=20))
        .follow_redirects(False)
        .gzip(False)
        .brotli(False)
        .zstd(False)
        .deflate(False)
        .user_agent("scoreline-push")
    )
    if extra_root is not None:
        builder = builder.add_root_certificate_pem(extra_root)
    return builder.build()
