"""Provider authentication: HMAC-SHA256 over ``"<timestamp>.<raw body>"``.

Headers: ``X-Scoreline-Timestamp: <unix seconds>`` and
``X-Scoreline-Signature: sha256=<hex>``. The timestamp must be within
``tolerance`` seconds of the server clock (replay window); signatures are compared
in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping


class ProviderAuthError(Exception):
    pass


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class ProviderAuthenticator:
    def __init__(self, secrets: Mapping[str, str], *, tolerance: float = 300.0) -> None:
        self.secrets = dict(secrets)
        self.tolerance = tolerance

    def verify(
        self, provider: str, headers: Mapping[str, str], body: bytes, now: float | None = None
    ) -> None:
        secret = self.secrets.get(provider)
        if secret is None:
            raise ProviderAuthError(f"unknown provider {provider!r}")
        timestamp = headers.get("x-scoreline-timestamp")
        signature = headers.get("x-scoreline-signature")
        if not timestamp or not signature:
            raise ProviderAuthError("missing X-Scoreline-Timestamp or X-Scoreline-Signature header")
        if len(timestamp) > 12 or not timestamp.isascii() or not timestamp.isdigit():
            raise ProviderAuthError("X-Scoreline-Timestamp is not unix seconds")
        sent = int(timestamp)
        skew = abs((time.time() if now is None else now) - sent)
        if skew > self.tolerance:
            raise ProviderAuthError(
                f"timestamp is {skew:.0f} s from server time; at most {self.tolerance:.0f} s"
            )
        expected = sign(secret, timestamp, body).encode()
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            raise ProviderAuthError("signature does not match the body")
