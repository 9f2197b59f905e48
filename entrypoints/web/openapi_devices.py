"""The ``/devices`` part of ``/openapi.json`` (entrypoints/web/devices.py)."""

from __future__ import annotations

from typing import Any

from domain.devices import MAX_FOLLOWS, MAX_TOKEN_LENGTH, TOKEN_PATTERN, Interest, Platform

_PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}
_ID = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[^\\x00-\\x1f]+$"}
_TOKEN = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_TOKEN_LENGTH,
    "pattern": TOKEN_PATTERN,
}


def device_schemas() -> dict[str, Any]:
    return {
        "Device": {
            "type": "object",
            "description": (
                "A phone push notifications reach: its token, push service, what it follows"
                f" (at least one team or game, at most {MAX_FOLLOWS} in all) and wants"
            ),
            "properties": {
                "token": _TOKEN,
                "platform": {"enum": [p.value for p in Platform]},
                "teams": {"type": "array", "items": _ID},
                "games": {"type": "array", "items": _ID},
                "wants": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"enum": [i.value for i in Interest]},
                    "default": ["all"],
                },
            },
            "required": ["token", "platform"],
            "additionalProperties": False,
        }
    }


_OVER_RATE = {"description": "Over this address's rate (Retry-After says when)", **_PROBLEM}


def device_paths() -> dict[str, Any]:
    """The device endpoints' operations (each may answer 429: a rate per address)."""
    token = {"name": "token", "in": "path", "required": True, "schema": _TOKEN}
    device = {"application/json": {"schema": {"$ref": "#/components/schemas/Device"}}}
    return {
        "/devices": {
            "post": {
                "summary": "Register a device for push notifications (an upsert by token)",
                "requestBody": {"required": True, "content": device},
                "responses": {
                    "201": {"description": "Registered", "content": device},
                    "200": {"description": "Registration replaced", "content": device},
                    "400": {"description": "Not JSON (kept raw)", **_PROBLEM},
                    "413": {"description": "Body too large", **_PROBLEM},
                    "422": {"description": "Invalid device (kept raw)", **_PROBLEM},
                    "429": _OVER_RATE,
                    "503": {"description": "Registry unavailable", **_PROBLEM},
                },
            }
        },
        "/devices/{token}": {
            "get": {
                "summary": "A registered device",
                "parameters": [token],
                "responses": {
                    "200": {"description": "The device", "content": device},
                    "404": {"description": "Not registered", **_PROBLEM},
                    "429": _OVER_RATE,
                },
            },
            "delete": {
                "summary": "Forget a device: it receives nothing more",
                "parameters": [token],
                "responses": {
                    "204": {"description": "Forgotten"},
                    "404": {"description": "Not registered", **_PROBLEM},
                    "429": _OVER_RATE,
                },
            },
        },
    }
