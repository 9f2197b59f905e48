"""FCM HTTP v1: ``POST /v1/projects/<project>/messages:send`` with an OAuth2 access token.

Errors are read as FCM documents them (``ErrorCode`` in the ``FcmError`` detail): 404
or UNREGISTERED, and 400 INVALID_ARGUMENT about the registration token: the token is
dead; 429 QUOTA_EXCEEDED and 5xx (UNAVAILABLE, INTERNAL): retry, after ``Retry-After``
when sent; 401 (but THIRD_PARTY_AUTH_ERROR, an APNs credential problem): the access
token is dropped and the send retried at once; anything else: rejected.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from adapters.push.http2 import Http2Transport, HttpAnswer, TransportError
from adapters.push.retry_after import parse_retry_after
from adapters.push.service_account import AccessTokenError, AccessTokenSource, ServiceAccount
from domain.push import PushNotification, SendOutcome, SendResult

FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


def fcm_message(notification: PushNotification, token: str, now: float) -> dict[str, Any]:
    """The v1 ``message`` for one device: the alert, the data (strings), the game's
    collapse key on Android and on iOS, a time to live up to ``expires_at``."""
    ttl = max(0, int(notification.expires_at - now))
    return {
        "token": token,
        "notification": {"title": notification.title, "body": notification.body},
        "data": dict(notification.data),
        "android": {"collapse_key": notification.collapse_id, "ttl": f"{ttl}s"},
        "apns": {
            "headers": {
                "apns-collapse-id": notification.collapse_id,
                "apns-expiration": str(int(notification.expires_at)),
            }
        },
    }


class FcmSender:
    """Sends through FCM at ``url`` (``https://fcm.googleapis.com`` in production).

    Guarantees (``PushSender``): one attempt per :meth:`send`, never raising for what
    FCM, the token endpoint or the network did (no answer within ``timeout`` seconds:
    ``RETRY``); sends multiplex on ``max_connections`` HTTP/2 connections
    (:class:`Http2Transport`, trusting the platform roots plus ``ca_file``) and share one
    access token (:class:`AccessTokenSource`).
    """

    def __init__(
        self,
        url: str,
        *,
        credentials: ServiceAccount,
        ca_file: str | Path | None = None,
        timeout: float = 10.0,
        max_connections: int = 2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._send_url = f"{url.rstrip('/')}/v1/projects/{credentials.project_id}/messages:send"
        self._clock = clock
        self._transport = Http2Transport(
            ca_file=ca_file, timeout=timeout, connections=max_connections
        )
        self.access_tokens = AccessTokenSource(credentials, self._transport, clock=clock)

    async def send(self, notification: PushNotification, token: str) -> SendResult:
        try:
            access_token = await self.access_tokens.token()
        except AccessTokenError as error:
            outcome = SendOutcome.RETRY if error.retryable else SendOutcome.REJECTED
            return SendResult(outcome, error.reason, status=error.status)
        body = msgspec.json.encode({"message": fcm_message(notification, token, self._clock())})
        headers = [
            ("authorization", f"Bearer {access_token}"),
            ("content-type", "application/json"),
        ]
        try:
            answer = await self._transport.post(self._send_url, headers, body)
        except TransportError:
            return SendResult(SendOutcome.RETRY, "connection")
        return self._result(answer, access_token)

    async def close(self) -> None:
        await self._transport.close()

    def _result(self, response: HttpAnswer, access_token: str) -> SendResult:
        status = response.status
        if status == 200:
            return SendResult(SendOutcome.ACCEPTED, status=status)
        error = _error(response)
        code = _error_code(error) or str(error.get("status", ""))
        if status == 404 or code == "UNREGISTERED":
            return SendResult(SendOutcome.UNREGISTERED, "UNREGISTERED", status=status)
        if status == 400 and code == "INVALID_ARGUMENT" and _names_token(error):
            return SendResult(SendOutcome.UNREGISTERED, "INVALID_ARGUMENT", status=status)
        if status == 401 and code != "THIRD_PARTY_AUTH_ERROR":
            self.access_tokens.invalidate(access_token)
            return SendResult(SendOutcome.RETRY, code or "UNAUTHENTICATED", status=status)
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock())
            return SendResult(SendOutcome.RETRY, code, retry_after, status)
        return SendResult(SendOutcome.REJECTED, code, status=status)


def _error(response: HttpAnswer) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(response.body)
    except msgspec.DecodeError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _details(error: dict[str, Any]) -> list[dict[str, Any]]:
    details = error.get("details")
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _error_code(error: dict[str, Any]) -> str:
    for detail in _details(error):
        if detail.get("@type") == FCM_ERROR and isinstance(detail.get("errorCode"), str):
            return str(detail["errorCode"])
    return ""


def _names_token(error: dict[str, Any]) -> bool:
    """Whether an INVALID_ARGUMENT is about the registration token (not the message)."""
    if "registration token" in str(error.get("message", "")):
        return True
    for detail in _details(error):
        if detail.get("@type") == BAD_REQUEST:
            for violation in detail.get("fieldViolations") or []:
                if isinstance(violation, dict) and violation.get("field") == "message.token":
                    return True
    return False
