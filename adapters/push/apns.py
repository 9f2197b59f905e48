"""APNs over HTTP/2 with token (ES256 JWT) authentication: ``POST /3/device/<token>``.

Responses are read as Apple documents them ("Handling error responses from APNs"):
200 accepted; 410 and 400 BadDeviceToken / DeviceTokenNotForTopic: the token is dead;
429 and 5xx: retry (after ``Retry-After`` when sent); 403 ExpiredProviderToken: the
provider token is re-signed and the send retried at once; any other 4xx: rejected.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from adapters.push.apns_token import ProviderToken
from adapters.push.http2 import Http2Transport, HttpAnswer, TransportError
from adapters.push.retry_after import parse_retry_after
from domain.push import PushNotification, SendOutcome, SendResult

APNS_ID_NAMESPACE = uuid.UUID("6f1c1c3e-3a8e-5d1b-9a53-6b1f0c1d7e21")
DEAD_TOKEN_REASONS = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"})


def apns_id(notification_id: str, token: str) -> str:
    """The ``apns-id`` of a notification to a device: the same for every attempt, so a
    resend is recognisable as one (UUID 5 of the pair)."""
    return str(uuid.uuid5(APNS_ID_NAMESPACE, f"{notification_id}\n{token}"))


def apns_payload(notification: PushNotification) -> dict[str, Any]:
    """The JSON payload: an alert with the default sound, the notification's data as
    custom keys beside ``aps`` (which they cannot replace)."""
    alert = {"title": notification.title, "body": notification.body}
    return {**notification.data, "aps": {"alert": alert, "sound": "default"}}


class ApnsSender:
    """Sends to APNs at ``url`` (``https://api.push.apple.com`` in production).

    Guarantees (``PushSender``): one attempt per :meth:`send`, never raising for what
    APNs or the network did (no answer within ``timeout`` seconds: ``RETRY``); sends
    multiplex on ``max_connections`` HTTP/2 connections (:class:`Http2Transport`,
    trusting the platform roots plus ``ca_file``); every request carries the same
    provider token until it is due for renewal (see :class:`ProviderToken`).
    """

    def __init__(
        self,
        url: str,
        *,
        key_pem: bytes,
        key_id: str,
        team_id: str,
        topic: str,
        ca_file: str | Path | None = None,
        timeout: float = 10.0,
        max_connections: int = 2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = url.rstrip("/")
        self._topic = topic
        self._token = ProviderToken(key_pem, key_id=key_id, team_id=team_id, clock=clock)
        self._clock = clock
        self._transport = Http2Transport(
            ca_file=ca_file, timeout=timeout, connections=max_connections
        )
        self._last_payload: tuple[PushNotification, bytes] | None = None

    async def send(self, notification: PushNotification, token: str) -> SendResult:
        authorization = self._token.header()
        headers = [
            ("authorization", authorization),
            ("apns-topic", self._topic),
            ("apns-push-type", "alert"),
            ("apns-priority", "10"),
            ("apns-expiration", str(int(notification.expires_at))),
            ("apns-collapse-id", notification.collapse_id),
            ("apns-id", apns_id(notification.id, token)),
        ]
        try:
            answer = await self._transport.post(
                f"{self._url}/3/device/{token}", headers, self._payload(notification)
            )
        except TransportError:
            return SendResult(SendOutcome.RETRY, "connection")
        return self._result(answer, authorization)

    async def close(self) -> None:
        await self._transport.close()

    def _payload(self, notification: PushNotification) -> bytes:
        """Encoded once per notification object (a batch's targets share one)."""
        last = self._last_payload
        if last is not None and last[0] is notification:
            return last[1]
        payload = msgspec.json.encode(apns_payload(notification))
        self._last_payload = (notification, payload)
        return payload

    def _result(self, response: HttpAnswer, authorization: str) -> SendResult:
        status = response.status
        if status == 200:
            return SendResult(SendOutcome.ACCEPTED, status=status)
        reason = _reason(response)
        if status == 410 or (status == 400 and reason in DEAD_TOKEN_REASONS):
            return SendResult(SendOutcome.UNREGISTERED, reason or "Unregistered", status=status)
        if status == 403 and reason == "ExpiredProviderToken":
            self._token.expired(authorization)
            return SendResult(SendOutcome.RETRY, reason, status=status)
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock())
            return SendResult(SendOutcome.RETRY, reason, retry_after, status)
        return SendResult(SendOutcome.REJECTED, reason, status=status)


def _reason(response: HttpAnswer) -> str:
    try:
        body = msgspec.json.decode(response.body)
    except msgspec.DecodeError:
        return ""
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason if isinstance(reason, str) else ""
