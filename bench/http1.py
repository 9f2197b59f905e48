"""A minimal HTTP/1.1 keep-alive client for the load generators.

httpx costs the generator a few milliseconds of CPU per request, which on a 2-core
machine is taken from the service under test (and a pool with thousands of waiting
requests costs more). This is what a provider needs and nothing more: POST (or GET)
on one persistent connection, ``Content-Length`` or chunked answers, 127.0.0.1 only.
A :class:`Pool` hands out one connection per concurrent caller, reconnecting on error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] = {}
    ) -> Answer:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head.append(f"Content-Length: {len(body)}")
        try:
            self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            return await self._answer(self._reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            raise

    async def _answer(self, reader: asyncio.StreamReader) -> Answer:
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            await reader.readuntil(b"\r\n")
            body = b"".join(chunks)
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, headers, body)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class Pool:
    """Up to ``size`` connections to one origin (``http://127.0.0.1:PORT``)."""

    def __init__(self, origin: str, size: int) -> None:
        parts = urlsplit(origin)
        if parts.hostname != "127.0.0.1":
            raise ValueError(f"load goes to 127.0.0.1 only, not {origin!r}")
        self._idle: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(size):
            self._idle.put_nowait(Connection(parts.hostname, parts.port or 80))

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        conn = await self._idle.get()
        try:
            yield conn
        finally:
            self._idle.put_nowait(conn)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] = {}
    ) -> Answer:
        async with self.connection() as conn:
            return await conn.request(method, path, body, headers)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()
