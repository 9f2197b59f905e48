"""What a push server's protocol logic sees and answers, whichever HTTP/2 server hosts it.

The APNs and FCM checks (:mod:`apns_server`, :mod:`fcm_server`) are synchronous
functions of a :class:`Request` to a :class:`Response`, free of any HTTP server; the
host (:mod:`granian_host`) turns wire requests into these and writes the answers back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Headers = list[tuple[bytes, bytes]]


@dataclass
class Request:
    method: bytes
    path: bytes  # with the query string, as sent
    headers: Headers  # as received, names lower case (pseudo-headers may be among them)
    body: bytes = b""

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: Headers = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before answering (failure injection)


Handler = Callable[[Request], Response]


@dataclass
class Load:
    """How a server was used: connections accepted, requests being handled at once."""

    connections: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
