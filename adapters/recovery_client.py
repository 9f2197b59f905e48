"""RecoveryClient: asks a provider's recovery endpoint for the events of a sequence gap.

The contract asked of providers (documented in the README):
``GET {recovery_url}/games/{game_id}/events?from_sequence=A&to_sequence=B`` answers a
JSON list of native events, signed requests (``X-Scoreline-Timestamp`` and
``X-Scoreline-Signature`` over the empty body with the provider's secret).
Best effort: a failure is logged and the gap timeout still bounds the wait.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import httpx

log = logging.getLogger("scoreline.recovery")


class RecoveryClient:
    def __init__(self, provider: str, url: str, secret: str, *, timeout: float = 5.0) -> None:
        self.provider = provider
        self.url = url.rstrip("/")
        self.secret = secret
        self.timeout = timeout

    async def fetch(self, game_id: str, first: int, last: int) -> bytes | None:
        """The raw body of the provider's answer, or None if it could not be had."""
        timestamp = str(int(time.time()))
        digest = hmac.new(self.secret.encode(), timestamp.encode() + b".", hashlib.sha256)
        headers = {
            "X-Scoreline-Timestamp": timestamp,
            "X-Scoreline-Signature": "sha256=" + digest.hexdigest(),
        }
        url = f"{self.url}/games/{game_id}/events"
        params = {"from_sequence": first, "to_sequence": last}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=True) as client:
                response = await client.get(url, params=params, headers=headers)
        except httpx.HTTPError as error:
            log.warning("recovery call to %s failed: %s", self.provider, error)
            return None
        if response.status_code != 200:
            log.warning("recovery call to %s answered %s", self.provider, response.status_code)
            return None
        return response.content
