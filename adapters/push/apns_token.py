"""APNs provider authentication tokens: ES256 JWTs signed with the team's .p8 key.

Apple refuses a token older than an hour (403 ExpiredProviderToken) and one renewed more
often than every 20 minutes (429 TooManyProviderTokenUpdates), so one token is signed
and reused by every request, and re-signed after ``refresh_after`` (30 minutes by
default: inside Apple's window) or when Apple called it expired.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

MIN_REFRESH_SECONDS = 20 * 60
MAX_AGE_SECONDS = 60 * 60


class ProviderToken:
    """The current ``authorization`` header value for APNs.

    Guarantees: :meth:`header` returns the same value until it is ``refresh_after``
    seconds old (then a new one, signed with ``iat`` = now); :meth:`expired` makes the
    next :meth:`header` sign anew, once, however many requests report the same token.
    """

    def __init__(
        self,
        key_pem: bytes,
        *,
        key_id: str,
        team_id: str,
        refresh_after: float = 30 * 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not MIN_REFRESH_SECONDS <= refresh_after < MAX_AGE_SECONDS:
            raise ValueError("refresh_after must be within Apple's 20 to 60 minutes")
        key = load_pem_private_key(key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("an APNs signing key is an EC P-256 key (.p8)")
        self._key = key
        self._key_id = key_id
        self._team_id = team_id
        self._refresh_after = refresh_after
        self._clock = clock
        self._header = ""
        self._issued_at = 0.0

    def header(self) -> str:
        now = self._clock()
        if not self._header or now - self._issued_at >= self._refresh_after:
            self._issued_at = now
            token = jwt.encode(
                {"iss": self._team_id, "iat": int(now)},
                self._key,
                algorithm="ES256",
                headers={"kid": self._key_id},
            )
            self._header = f"bearer {token}"
        return self._header

    def expired(self, header: str) -> None:
        """Apple answered ExpiredProviderToken to ``header``: sign a new one next time."""
        if header == self._header:
            self._header = ""
