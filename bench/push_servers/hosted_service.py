"""What the local APNs and FCM servers share: a push service's protocol checks hosted on
a :class:`GranianHost`, with failure injection and a recorder of what it accepted.

A subclass implements :meth:`HostedPushService.answer` (one protocol request to its
answer) and may add to :meth:`HostedPushService.stats`; this class serves
``GET /_stats``, and delays every other answer by ``faults.delay``.
"""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar

import msgspec

from bench.push_servers.credentials import TlsFiles
from bench.push_servers.exchange import Load, Request, Response
from bench.push_servers.granian_host import GranianHost
from bench.push_servers.recording import Faults, Recorder, RecordMode

D = TypeVar("D")  # what the service keeps of an accepted notification


class HostedPushService(Generic[D]):
    """A push service stand-in on ``host:port`` (0: any free port) over HTTP/2 + TLS.

    :attr:`faults` says what to fail (mutate it between requests, same event loop);
    :attr:`recorder` counts the answers and keeps what was accepted as ``record`` says.
    """

    def __init__(
        self,
        tls: TlsFiles,
        *,
        host: str,
        port: int,
        record: RecordMode,
        max_concurrent_streams: int,
    ) -> None:
        self.faults = Faults()
        self.recorder: Recorder[D] = Recorder(record)
        self._server = GranianHost(
            self.handle, tls, host=host, port=port, max_concurrent_streams=max_concurrent_streams
        )

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def accepted(self) -> list[D]:
        return self.recorder.deliveries

    async def start(self) -> Self:
        await self._server.start()
        return self

    async def stop(self) -> None:
        await self._server.stop()

    @property
    def load(self) -> Load:
        """Connections accepted and the peak of requests in flight."""
        return self._server.load

    def stats(self) -> dict[str, Any]:
        """What ``GET /_stats`` answers: the recorder's counters."""
        return self.recorder.stats()

    def handle(self, request: Request) -> Response:
        if request.path == b"/_stats" and request.method == b"GET":
            return Response(200, msgspec.json.encode(self.stats()))
        response = self.answer(request)
        response.delay = self.faults.delay
        return response

    def answer(self, request: Request) -> Response:
        """The protocol's answer to ``request`` (counted in :attr:`recorder` if it is a push)."""
        raise NotImplementedError


def json_response(status: int, body: object) -> Response:
    """An answer of ``body`` as JSON, with its content type."""
    return Response(status, msgspec.json.encode(body), [(b"content-type", b"application/json")])


def with_retry_after(response: Response, retry_after: float | None) -> Response:
    """``response`` with a ``Retry-After`` header of whole seconds, when one is given."""
    if retry_after is not None:
        response.headers.append((b"retry-after", str(int(retry_after)).encode()))
    return response
