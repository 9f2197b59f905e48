"""Google service-account credentials and the OAuth2 access tokens FCM HTTP v1 wants.

The access token comes from the JWT-bearer grant (RFC 7523): an RS256 assertion signed
with the account's key (``iss`` = client email, ``scope`` = the FCM scope, ``aud`` =
``token_uri``, an hour's lifetime) POSTed to ``token_uri``. ``google-auth`` does the
same, but drags in ``requests`` (a second, synchronous HTTP stack); PyJWT and the
sender's own :class:`Http2Transport` are all this needs.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from adapters.push.http2 import Http2Transport, TransportError

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600


@dataclass(frozen=True)
class ServiceAccount:
    project_id: str
    client_email: str
    private_key: str  # PEM
    private_key_id: str
    token_uri: str

    @classmethod
    def from_file(cls, path: str | Path) -> ServiceAccount:
        """Read Google's service-account JSON (ValueError naming what is missing)."""
        data = json.loads(Path(path).read_text())
        fields = ("project_id", "client_email", "private_key", "private_key_id", "token_uri")
        missing = [name for name in fields if not isinstance(data.get(name), str)]
        if missing:
            raise ValueError(f"{path}: service account without {', '.join(missing)}")
        return cls(*(data[name] for name in fields))


class AccessTokenError(Exception):
    """The token endpoint gave no access token; ``retryable`` when it may next time."""

    def __init__(self, reason: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status = status


class AccessTokenSource:
    """The current access token of a service account.

    Guarantees: a token is reused until shortly before it expires (five minutes, or a
    tenth of its lifetime when that is shorter); one refresh at a time, whose result
    (token or :class:`AccessTokenError`) every caller waiting meanwhile shares;
    :meth:`invalidate` drops a token the service refused, once, however many callers
    report it.
    """

    def __init__(
        self,
        account: ServiceAccount,
        transport: Http2Transport,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = load_pem_private_key(account.private_key.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("a service-account key is an RSA key")
        self._key = key
        self._account = account
        self._transport = transport
        self._clock = clock
        self._token = ""
        self._refresh_at = 0.0
        self._refreshing: asyncio.Task[tuple[str, float]] | None = None
        self.refreshes = 0  # token requests made (ops and tests)

    async def token(self) -> str:
        if self._token and self._clock() < self._refresh_at:
            return self._token
        if self._refreshing is None:
            self._refreshing = asyncio.ensure_future(self._fetch())
            self._refreshing.add_done_callback(self._refreshed)
        token, _ = await asyncio.shield(self._refreshing)
        return token

    def invalidate(self, token: str) -> None:
        if token == self._token:
            self._token = ""

    def _refreshed(self, task: asyncio.Task[tuple[str, float]]) -> None:
        self._refreshing = None
        if not task.cancelled() and task.exception() is None:
            self._token, self._refresh_at = task.result()

    async def _fetch(self) -> tuple[str, float]:
        self.refreshes += 1
        now = self._clock()
        assertion = jwt.encode(
            {
                "iss": self._account.client_email,
                "scope": FCM_SCOPE,
                "aud": self._account.token_uri,
                "iat": int(now),
                "exp": int(now) + ASSERTION_LIFETIME,
            },
            self._key,
            algorithm="RS256",
            headers={"kid": self._account.private_key_id},
        )
        form = urllib.parse.urlencode({"grant_type": JWT_BEARER, "assertion": assertion})
        try:
            response = await self._transport.post(
                self._account.token_uri,
                [("content-type", "application/x-www-form-urlencoded")],
                form.encode(),
            )
        except TransportError as error:
            raise AccessTokenError("connection", retryable=True) from error
        status = response.status
        try:
            body = msgspec.json.decode(response.body)
        except msgspec.DecodeError:
            body = {}
        if status != 200:
            reason = str(body.get("error", "")) if isinstance(body, dict) else ""
            raise AccessTokenError(
                reason or f"token endpoint {status}",
                retryable=status == 429 or status >= 500,
                status=status,
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_in = body.get("expires_in", 3600) if isinstance(body, dict) else 3600
        if not isinstance(token, str) or not isinstance(expires_in, int | float):
            raise AccessTokenError("token endpoint answer without access_token", retryable=True)
        margin = min(300.0, expires_in / 10)
        return token, now + expires_in - margin
