"""A local FCM HTTP v1 API and its OAuth2 token endpoint (one HTTP/2 + TLS server).

- ``POST /token``: a service account's signed JWT assertion (RS256, checked against its
  public key, ``kid``, ``iss``, ``aud`` = this endpoint, the FCM scope, a lifetime of at
  most an hour), grant type ``urn:ietf:params:oauth:grant-type:jwt-bearer``; answers
  ``{"access_token", "expires_in", "token_type": "Bearer"}`` or OAuth2's
  ``{"error": "invalid_grant", ...}``.
- ``POST /v1/projects/<id>/messages:send``: checks the Bearer access token and the
  message's shape; answers ``{"name": "projects/<id>/messages/<n>"}`` or Google's error
  shape ``{"error": {"code", "message", "status", "details": [...FcmError errorCode]}}``.
- ``GET /_stats``: the counters (:meth:`Recorder.stats`) plus ``token_requests``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import msgspec

from bench.push_servers.credentials import TlsFiles
from bench.push_servers.exchange import Request, Response
from bench.push_servers.hosted_service import HostedPushService, json_response, with_retry_after
from bench.push_servers.recording import RecordMode

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
MAX_MESSAGE_BYTES = 4096
_SEND_PATH = re.compile(rb"^/v1/projects/([^/]+)/messages:send$")
_TTL = re.compile(r"^\d+(\.\d{1,9})?s$")
_FORCED = {
    429: ("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
    500: ("INTERNAL", "INTERNAL"),
    503: ("UNAVAILABLE", "UNAVAILABLE"),
}


@dataclass(frozen=True)
class FcmDelivery:
    """One message the server accepted."""

    name: str
    token: str
    message: dict[str, Any]
    access_token: str


class FcmServer(HostedPushService[FcmDelivery]):
    """An FCM stand-in. ``start()``, then write the service account with :attr:`token_uri`."""

    def __init__(
        self,
        *,
        project_id: str,
        client_email: str,
        private_key_id: str,
        public_key_pem: bytes,
        tls: TlsFiles,
        host: str = "127.0.0.1",
        port: int = 0,
        record: RecordMode = RecordMode.FULL,
        max_concurrent_streams: int = 1000,
        access_token_lifetime: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            tls, host=host, port=port, record=record, max_concurrent_streams=max_concurrent_streams
        )
        self._project_id = project_id
        self._client_email = client_email
        self._key_id = private_key_id
        self._public_key = public_key_pem
        self._lifetime = access_token_lifetime
        self._clock = clock
        self.token_requests = 0
        self.access_tokens: dict[str, float] = {}  # live access token -> expiry
        self._names = 0

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far answers 401 UNAUTHENTICATED from now on."""
        self.access_tokens.clear()

    def stats(self) -> dict[str, Any]:
        """The recorder's counters plus ``token_requests``."""
        return {**super().stats(), "token_requests": self.token_requests}

    def answer(self, request: Request) -> Response:
        if request.path == b"/token":
            return self._grant(request)  # not a push: not counted in the recorder
        response = self._send(request)
        self.recorder.answered(response.status)
        return response

    def _grant(self, request: Request) -> Response:
        self.token_requests += 1
        if request.method != b"POST":
            return _oauth_error(405, "invalid_request", "POST only")
        form = urllib.parse.parse_qs(request.body.decode(errors="replace"))
        if form.get("grant_type") != [JWT_BEARER]:
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type.")
        assertion = (form.get("assertion") or [""])[0]
        try:
            if jwt.get_unverified_header(assertion).get("kid") != self._key_id:
                return _oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
            claims = jwt.decode(
                assertion,
                self._public_key,
                algorithms=["RS256"],
                audience=self.token_uri,
                issuer=self._client_email,
                options={"require": ["iss", "aud", "iat", "exp", "scope"]},
            )
        except jwt.PyJWTError as error:
            return _oauth_error(400, "invalid_grant", f"Invalid JWT: {error}")
        if FCM_SCOPE not in str(claims["scope"]).split():
            return _oauth_error(400, "invalid_scope", "Invalid OAuth scope.")
        if claims["exp"] - claims["iat"] > 3600:
            return _oauth_error(400, "invalid_grant", "Invalid JWT: lifetime over an hour.")
        access_token = "ya29.local-" + secrets.token_urlsafe(24)
        self.access_tokens[access_token] = self._clock() + self._lifetime
        body = {"access_token": access_token, "expires_in": self._lifetime, "token_type": "Bearer"}
        return json_response(200, body)

    def _send(self, request: Request) -> Response:
        match = _SEND_PATH.match(request.path)
        if match is None:
            return _google_error(404, "NOT_FOUND", "Requested entity was not found.")
        if request.method != b"POST":
            return _google_error(405, "INVALID_ARGUMENT", "Method not allowed.")
        access_token = self._access_token(request.header(b"authorization"))
        if access_token is None:
            return _google_error(
                401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
            )
        if match.group(1).decode() != self._project_id:
            return _google_error(
                403, "PERMISSION_DENIED", "Permission denied.", "SENDER_ID_MISMATCH"
            )
        forced = self.faults.next_forced()
        if forced is not None:
            status, retry_after = forced
            grpc_status, code = _FORCED.get(status, ("INTERNAL", "INTERNAL"))
            response = _google_error(status, grpc_status, "Injected failure.", code)
            return with_retry_after(response, retry_after)
        try:
            body = msgspec.json.decode(request.body)
        except msgspec.DecodeError:
            return _invalid("message", "Invalid JSON payload received.")
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict):
            return _invalid("message", "Invalid JSON payload: no message.")
        problem = _shape_problem(message)
        if problem is not None:
            return _invalid(*problem)
        token = message["token"]
        if token in self.faults.dead_tokens:
            return _google_error(
                404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"
            )
        if token in self.faults.bad_tokens:
            return _google_error(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                "INVALID_ARGUMENT",
            )
        self._names += 1
        name = f"projects/{self._project_id}/messages/{self._names}"
        delivery = None
        if self.recorder.mode is RecordMode.FULL:
            delivery = FcmDelivery(name, token, message, access_token)
        self.recorder.accept(hashlib.blake2b(request.body, digest_size=16).digest(), delivery)
        return json_response(200, {"name": name})

    def _access_token(self, authorization: bytes | None) -> str | None:
        if authorization is None or not authorization.startswith(b"Bearer "):
            return None
        token = authorization[7:].decode(errors="replace")
        expiry = self.access_tokens.get(token)
        if expiry is None or expiry <= self._clock():
            return None
        return token


def _shape_problem(message: dict[str, Any]) -> tuple[str, str] | None:
    """The first (field, description) FCM would refuse in ``message``, if any."""
    if not isinstance(message.get("token"), str) or not message["token"]:
        return "message.token", "Exactly one of token, topic or condition is required."
    notification = message.get("notification", {})
    if not isinstance(notification, dict) or not all(
        isinstance(notification.get(key, ""), str) for key in ("title", "body")
    ):
        return "message.notification", "Invalid value (TYPE_STRING)."
    data = message.get("data", {})
    if not isinstance(data, dict):
        return "message.data", "Invalid value (map<string, string>)."
    for key, value in data.items():
        if not isinstance(value, str):
            return f"message.data[{key}].value", "Invalid value (TYPE_STRING)."
    if len(msgspec.json.encode([notification, data])) > MAX_MESSAGE_BYTES:
        return "message", "Message is too big."
    android = message.get("android", {})
    if not isinstance(android, dict):
        return "message.android", "Invalid value (AndroidConfig)."
    ttl = android.get("ttl")
    if ttl is not None and (not isinstance(ttl, str) or not _TTL.match(ttl)):
        return "message.android.ttl", "Invalid value (Duration)."
    if not isinstance(android.get("collapse_key", ""), str):
        return "message.android.collapse_key", "Invalid value (TYPE_STRING)."
    apns = message.get("apns", {})
    headers = apns.get("headers", {}) if isinstance(apns, dict) else None
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        return "message.apns.headers", "Invalid value (map<string, string>)."
    if len(str(headers.get("apns-collapse-id", "")).encode()) > 64:
        return "message.apns.headers", "apns-collapse-id is longer than 64 bytes."
    return None


def _google_error(code: int, status: str, message: str, error_code: str | None = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if error_code is not None:
        error["details"] = [{"@type": FCM_ERROR, "errorCode": error_code}]
    return json_response(code, {"error": error})


def _invalid(field: str, description: str) -> Response:
    error = {
        "code": 400,
        "message": description,
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": BAD_REQUEST,
                "fieldViolations": [{"field": field, "description": description}],
            }
        ],
    }
    return json_response(400, {"error": error})


def _oauth_error(status: int, error: str, description: str) -> Response:
    body = {"error": error, "error_description": description}
    return json_response(status, body)
