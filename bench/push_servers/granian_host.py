"""An HTTP/2 + TLS server on granian (Rust: hyper, rustls, tokio) embedded in the running
event loop through its RSGI interface, answering with a synchronous handler.

HTTP/2 framing, HPACK, flow control and TLS run in Rust; Python sees one call of the
handler per complete request: ~0.12 ms of server CPU a request with the APNs checks
(the pure-Python ``h2`` stack cost ~1 ms). The handler runs on this event loop, so
tests mutate the servers' state (faults, counters) freely between requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator

from granian._granian import RSGIHTTPProtocol as HTTPProtocol  # granian.rsgi re-exports
from granian._granian import RSGIProtocolClosed as ProtocolClosed  # them only implicitly
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP2Settings
from granian.rsgi import Scope
from granian.server.embed import Server

from bench.push_servers.credentials import TlsFiles
from bench.push_servers.exchange import Handler, Load, Request, Response

START_TIMEOUT = 10.0


class GranianHost:
    """Serves ``handler`` over TLS + HTTP/2 (ALPN ``h2``) on ``host:port`` (0: any free port).

    Guarantees: once :meth:`start` returns, :attr:`url` accepts connections; every
    request that ends is answered exactly once, after the response's ``delay``, unless
    the client gave up on it first; :meth:`stop` closes the listener and connections.
    ``load.connections`` counts the distinct client addresses seen (one a connection).
    """

    def __init__(
        self,
        handler: Handler,
        tls: TlsFiles,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_concurrent_streams: int = 1000,
    ) -> None:
        self._handler = handler
        self._tls = tls
        self._host = host
        self._port = port
        self._max_streams = max_concurrent_streams
        self._server: Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._clients: set[str] = set()
        self.load = Load()

    @property
    def port(self) -> int:
        if self._serving is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"https://{self._host}:{self.port}"

    async def start(self) -> None:
        # Granian binds with SO_REUSEPORT; a port reserved by a socket of ours that does
        # not listen is one nobody else is handed while granian takes it over.
        with _reserved_port(self._host, self._port) as port:
            self._port = port
            self._server = Server(
                self,
                address=self._host,
                port=port,
                interface=Interfaces.RSGI,
                http=HTTPModes.http2,
                http2_settings=HTTP2Settings(max_concurrent_streams=self._max_streams),
                ssl_cert=self._tls.cert_file,
                ssl_key=self._tls.key_file,
                websockets=False,
                log_enabled=False,
            )
            self._serving = asyncio.ensure_future(self._server.serve())
            await self._listening()

    async def stop(self) -> None:
        if self._server is None or self._serving is None:
            return
        self._server.stop()  # type: ignore[no-untyped-call]  # granian: no annotations
        await self._serving
        self._server = None

    async def __call__(self, scope: Scope, proto: HTTPProtocol) -> None:
        """The RSGI application: one request, answered by the handler."""
        body = await proto()
        load = self.load
        client = scope.client
        if client not in self._clients:
            self._clients.add(client)
            load.connections += 1
        load.in_flight += 1
        load.peak_in_flight = max(load.peak_in_flight, load.in_flight)
        try:
            path = scope.path
            if scope.query_string:
                path = f"{path}?{scope.query_string}"
            request = Request(
                scope.method.encode(),
                path.encode(),
                [(name.encode(), value.encode()) for name, value in scope.headers.items()],
                body,
            )
            response = self._handler(request)
            if response.delay > 0:
                await asyncio.sleep(response.delay)
            _respond(proto, response)
        finally:
            load.in_flight -= 1

    async def _listening(self) -> None:
        """Return once the port accepts connections (granian gives no signal of it)."""
        assert self._serving is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._serving.done():
                self._serving.result()  # granian's error, if it failed
                raise RuntimeError("granian stopped while starting")
            try:
                _, writer = await asyncio.open_connection(self._host, self._port)
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"granian not listening on {self._port}") from None
                await asyncio.sleep(0.005)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return


def _respond(proto: HTTPProtocol, response: Response) -> None:
    headers = [(name.decode(), value.decode()) for name, value in response.headers]
    with contextlib.suppress(ProtocolClosed):  # the client gave up (reset, timed out)
        if response.body:
            proto.response_bytes(response.status, headers, response.body)
        else:
            proto.response_empty(response.status, headers)


@contextlib.contextmanager
def _reserved_port(host: str, port: int) -> Iterator[int]:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as reserved:
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reserved.bind((host, port))
        reserved_port: int = reserved.getsockname()[1]
        yield reserved_port
