"""Both local push servers with fresh credentials, as tests and the benchmark use them.

``LocalPushServers(directory)`` writes a self-signed certificate (``push-ca.pem``: the
CA file senders trust), an APNs key (``AuthKey_<kid>.p8``) and a service account
(``service-account.json`` whose ``token_uri`` is the local FCM server), then serves
APNs and FCM on loopback ports. :attr:`LocalPushServers.files` holds what a sender
needs; :meth:`PushServerFiles.env` spells it as the ``SCORELINE_*`` settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bench.push_servers.apns_server import ApnsServer
from bench.push_servers.credentials import (
    make_apns_key,
    make_service_account_key,
    write_self_signed_cert,
)
from bench.push_servers.fcm_server import FcmServer
from bench.push_servers.recording import RecordMode


@dataclass(frozen=True)
class PushServerFiles:
    """Where the servers are and the credentials to reach them."""

    ca_file: Path
    apns_url: str
    apns_key_file: Path
    apns_key_id: str
    apns_team_id: str
    apns_topic: str
    fcm_url: str
    fcm_credentials_file: Path

    def env(self) -> dict[str, str]:
        return {
            "SCORELINE_PUSH_CA_FILE": str(self.ca_file),
            "SCORELINE_APNS_URL": self.apns_url,
            "SCORELINE_APNS_KEY_FILE": str(self.apns_key_file),
            "SCORELINE_APNS_KEY_ID": self.apns_key_id,
            "SCORELINE_APNS_TEAM_ID": self.apns_team_id,
            "SCORELINE_APNS_TOPIC": self.apns_topic,
            "SCORELINE_FCM_URL": self.fcm_url,
            "SCORELINE_FCM_CREDENTIALS_FILE": str(self.fcm_credentials_file),
        }


class LocalPushServers:
    """An :class:`ApnsServer` and an :class:`FcmServer` on this event loop."""

    def __init__(
        self,
        directory: Path,
        *,
        host: str = "127.0.0.1",
        apns_port: int = 0,
        fcm_port: int = 0,
        record: RecordMode = RecordMode.FULL,
        topic: str = "com.scoreline.app",
        project_id: str = "scoreline-local",
    ) -> None:
        self._directory = directory
        self._host = host
        self._apns_port = apns_port
        self._fcm_port = fcm_port
        self._record = record
        self._topic = topic
        self._project_id = project_id
        self._apns: ApnsServer | None = None
        self._fcm: FcmServer | None = None
        self._files: PushServerFiles | None = None

    @property
    def apns(self) -> ApnsServer:
        if self._apns is None:
            raise RuntimeError("not started")
        return self._apns

    @property
    def fcm(self) -> FcmServer:
        if self._fcm is None:
            raise RuntimeError("not started")
        return self._fcm

    @property
    def files(self) -> PushServerFiles:
        if self._files is None:
            raise RuntimeError("not started")
        return self._files

    async def start(self) -> LocalPushServers:
        tls = write_self_signed_cert(self._directory)
        apns_key = make_apns_key()
        account = make_service_account_key(self._project_id)
        self._apns = await ApnsServer(
            public_key_pem=apns_key.public_pem,
            key_id=apns_key.key_id,
            team_id=apns_key.team_id,
            topic=self._topic,
            tls=tls,
            host=self._host,
            port=self._apns_port,
            record=self._record,
        ).start()
        self._fcm = await FcmServer(
            project_id=account.project_id,
            client_email=account.client_email,
            private_key_id=account.private_key_id,
            public_key_pem=account.public_pem,
            tls=tls,
            host=self._host,
            port=self._fcm_port,
            record=self._record,
        ).start()
        self._files = PushServerFiles(
            ca_file=tls.cert_file,
            apns_url=self._apns.url,
            apns_key_file=apns_key.write(self._directory),
            apns_key_id=apns_key.key_id,
            apns_team_id=apns_key.team_id,
            apns_topic=self._topic,
            fcm_url=self._fcm.url,
            fcm_credentials_file=account.write(self._directory, self._fcm.token_uri),
        )
        return self

    async def stop(self) -> None:
        if self._apns is not None:
            await self._apns.stop()
        if self._fcm is not None:
            await self._fcm.stop()

    async def __aenter__(self) -> LocalPushServers:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


@contextlib.contextmanager
def push_servers_in_thread(
    directory: Path, *, record: RecordMode = RecordMode.FULL
) -> Iterator[LocalPushServers]:
    """The servers on an event loop of their own thread, for synchronous callers (e2e
    tests). Read ``recorder`` counts and add to ``faults`` sets from any thread; await
    nothing of theirs from another loop."""
    loop = asyncio.new_event_loop()
    servers = LocalPushServers(directory, record=record)
    thread = threading.Thread(target=loop.run_forever, name="push-servers", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(servers.start(), loop).result(timeout=30)
        yield servers
    finally:
        asyncio.run_coroutine_threadsafe(servers.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
