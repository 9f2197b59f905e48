"""A local APNs provider API (``POST /3/device/<token>`` over HTTP/2 + TLS) that checks
what Apple checks and answers as Apple documents: status codes, ``apns-id`` and a JSON
``{"reason": ...}`` body (410 adds ``timestamp``).

Checked per request: ``:method`` POST, the path, the ES256 provider token (signature
against the configured public key, ``kid``, ``iss``, ``iat`` not older than
``provider_token_max_age`` and not in the future), ``apns-topic``, ``apns-push-type``,
``apns-priority``, ``apns-expiration``, ``apns-id``, ``apns-collapse-id`` (at most 64
bytes), the payload (JSON object with ``aps``, at most 4096 bytes). A verified provider
token is remembered, so a request costs a dictionary look-up, not a signature check.
``GET /_stats`` answers the counters (:meth:`Recorder.stats`) as JSON.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import msgspec

from bench.push_servers.credentials import TlsFiles
from bench.push_servers.exchange import Request, Response
from bench.push_servers.hosted_service import HostedPushService, json_response, with_retry_after
from bench.push_servers.recording import RecordMode

MAX_PAYLOAD_BYTES = 4096
MAX_COLLAPSE_ID_BYTES = 64
PUSH_TYPES = {b"alert", b"background", b"location", b"voip", b"complication", b"fileprovider",
              b"mdm", b"liveactivity", b"pushtotalk", b"widgets", b"controls"}  # fmt: skip
_DEVICE_PATH = re.compile(rb"^/3/device/([^/?]*)$")
_REASON_STATUS = {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}


@dataclass(frozen=True)
class ApnsDelivery:
    """One notification the server accepted."""

    token: str
    apns_id: str
    topic: str
    push_type: str
    priority: str | None
    expiration: str | None
    collapse_id: str | None
    payload: dict[str, Any]
    provider_token_iat: int  # which provider token (JWT) authorised it


class ApnsServer(HostedPushService[ApnsDelivery]):
    """An APNs stand-in. ``start()``, then point an ``ApnsSender`` at :attr:`url`."""

    def __init__(
        self,
        *,
        public_key_pem: bytes,
        key_id: str,
        team_id: str,
        topic: str,
        tls: TlsFiles,
        host: str = "127.0.0.1",
        port: int = 0,
        record: RecordMode = RecordMode.FULL,
        max_concurrent_streams: int = 1000,
        provider_token_max_age: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            tls, host=host, port=port, record=record, max_concurrent_streams=max_concurrent_streams
        )
        self._public_key = public_key_pem
        self._key_id = key_id
        self._team_id = team_id
        self._topic = topic.encode()
        self._max_age = provider_token_max_age
        self._clock = clock
        self.provider_tokens: dict[bytes, int | str] = {}  # authorization -> iat, or why bad
        self._expired_before = 0

    def expire_provider_tokens(self) -> None:
        """From now on answer 403 ExpiredProviderToken to every provider token seen so far."""
        seen = [iat for iat in self.provider_tokens.values() if isinstance(iat, int)]
        self._expired_before = max(seen, default=int(self._clock())) + 1

    def answer(self, request: Request) -> Response:
        response = self._check(request)
        self.recorder.answered(response.status)
        return response

    def _check(self, request: Request) -> Response:
        headers: dict[bytes, bytes] = {}
        for name, value in request.headers:
            if name in headers and not name.startswith(b":"):
                return _error(400, "DuplicateHeaders")
            headers[name] = value
        apns_id = headers.get(b"apns-id")
        if apns_id is None:
            apns_id = str(uuid.uuid4()).encode()
        elif not _is_uuid(apns_id):
            return _error(400, "BadMessageId")
        if request.method != b"POST":
            return _error(405, "MethodNotAllowed", apns_id)
        match = _DEVICE_PATH.match(request.path)
        if match is None:
            return _error(404, "BadPath", apns_id)
        token = match.group(1).decode()
        if not token:
            return _error(400, "MissingDeviceToken", apns_id)
        authorised = self._authorise(headers.get(b"authorization"))
        if isinstance(authorised, Response):
            authorised.headers.append((b"apns-id", apns_id))
            return authorised
        forced = self.faults.next_forced()
        if forced is not None:
            status, retry_after = forced
            reason = _REASON_STATUS.get(status, "InternalServerError")
            return with_retry_after(_error(status, reason, apns_id), retry_after)
        topic = headers.get(b"apns-topic")
        if topic is None:
            return _error(400, "MissingTopic", apns_id)
        if topic != self._topic:
            return _error(400, "TopicDisallowed", apns_id)
        push_type = headers.get(b"apns-push-type")
        if push_type not in PUSH_TYPES:
            return _error(400, "InvalidPushType", apns_id)
        priority = headers.get(b"apns-priority")
        if priority not in (None, b"1", b"5", b"10"):
            return _error(400, "BadPriority", apns_id)
        expiration = headers.get(b"apns-expiration")
        if expiration is not None and not expiration.isdigit():
            return _error(400, "BadExpirationDate", apns_id)
        collapse_id = headers.get(b"apns-collapse-id")
        if collapse_id is not None and len(collapse_id) > MAX_COLLAPSE_ID_BYTES:
            return _error(400, "BadCollapseId", apns_id)
        if not request.body:
            return _error(400, "PayloadEmpty", apns_id)
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return _error(413, "PayloadTooLarge", apns_id)
        try:
            payload = msgspec.json.decode(request.body)
        except msgspec.DecodeError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("aps"), dict):
            # Apple documents no reason for this; the name is this server's own.
            return _error(400, "BadPayload", apns_id)
        if token in self.faults.dead_tokens:
            response = _error(410, "Unregistered", apns_id, int(self._clock() * 1000))
            return response
        if token in self.faults.bad_tokens:
            return _error(400, "BadDeviceToken", apns_id)
        delivery = None
        if self.recorder.mode is RecordMode.FULL:
            delivery = ApnsDelivery(
                token=token,
                apns_id=apns_id.decode(),
                topic=topic.decode(),
                push_type=push_type.decode(),
                priority=priority.decode() if priority else None,
                expiration=expiration.decode() if expiration else None,
                collapse_id=collapse_id.decode() if collapse_id else None,
                payload=payload,
                provider_token_iat=authorised,
            )
        self.recorder.accept(apns_id, delivery)
        return Response(200, headers=[(b"apns-id", apns_id)])

    def _authorise(self, authorization: bytes | None) -> int | Response:
        """The provider token's ``iat``, or the 403 answer."""
        if authorization is None:
            return _error(403, "MissingProviderToken")
        verdict = self.provider_tokens.get(authorization)
        if verdict is None:
            verdict = self._verify(authorization)
            if len(self.provider_tokens) > 1000:
                self.provider_tokens.clear()
            self.provider_tokens[authorization] = verdict
        if isinstance(verdict, str):
            return _error(403, verdict)
        if verdict < self._expired_before or self._clock() - verdict > self._max_age:
            return _error(403, "ExpiredProviderToken")
        return verdict

    def _verify(self, authorization: bytes) -> int | str:
        scheme, _, token = authorization.decode(errors="replace").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return "InvalidProviderToken"
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "ES256" or header.get("kid") != self._key_id:
                return "InvalidProviderToken"
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=["ES256"],
                options={"verify_iat": False, "require": ["iss", "iat"]},
            )
        except jwt.PyJWTError:
            return "InvalidProviderToken"
        iat = claims.get("iat")
        if claims.get("iss") != self._team_id or not isinstance(iat, int):
            return "InvalidProviderToken"
        if iat > self._clock() + 60:
            return "InvalidProviderToken"
        return iat


def _error(
    status: int, reason: str, apns_id: bytes | None = None, timestamp: int | None = None
) -> Response:
    body: dict[str, Any] = {"reason": reason}
    if timestamp is not None:
        body["timestamp"] = timestamp
    response = json_response(status, body)
    if apns_id is not None:
        response.headers.append((b"apns-id", apns_id))
    return response


def _is_uuid(value: bytes) -> bool:
    text = value.decode(errors="replace")
    try:
        return str(uuid.UUID(text)) == text.lower() and len(text) == 36
    except ValueError:
        return False
