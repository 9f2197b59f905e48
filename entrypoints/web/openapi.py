"""The OpenAPI 3.1 document served at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

import msgspec

from adapters.native_format import NativeEvent
from domain.player_stats import STAT_NAMES
from entrypoints.web.openapi_devices import device_paths, device_schemas
from entrypoints.web.openapi_players import LEADERBOARD, PLAYER_STATS, TEAM, player_schemas

_PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}


def document() -> dict[str, Any]:
    (delivery,), components = msgspec.json.schema_components(
        [list[NativeEvent] | NativeEvent], ref_template="#/components/schemas/{name}"
    )
    # A list delivery holds 1 to 1,000 events (the default SCORELINE batch limit).
    for option in delivery.get("anyOf", []):
        if option.get("type") == "array":
            option.update(minItems=1, maxItems=1000)
    components["Delivery"] = delivery
    components["Problem"] = {
        "type": "object",
        "description": "RFC 9457 problem details",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
            "rejected_id": {"type": "integer"},
        },
        "required": ["type", "title", "status", "detail"],
    }
    game_id = {"name": "game_id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Scoreline",
            "version": "0.1.0",
            "description": "Live scores: provider webhook in, SSE and polling out.",
        },
        "paths": {
            "/providers/{provider}/events": {
                "post": {
                    "summary": "Deliver native events (one or a list), signed with HMAC-SHA256",
                    "parameters": [
                        {
                            "name": "provider",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "X-Scoreline-Timestamp",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "unix seconds",
                        },
                        {
                            "name": "X-Scoreline-Signature",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": (
                                "sha256=<hex HMAC-SHA256(secret, '<timestamp>.<raw body>')>"
                            ),
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Delivery"}
                            }
                        },
                    },
                    "responses": {
                        "202": {"description": "Durable; will be recorded in sequence order"},
                        "401": {"description": "Bad or missing signature", **_PROBLEM},
                        "409": {"description": "Same event_id, different content", **_PROBLEM},
                        "413": {"description": "Body too large", **_PROBLEM},
                        "422": {"description": "Invalid event", **_PROBLEM},
                        "429": {"description": "Over the provider's rate limit", **_PROBLEM},
                        "503": {"description": "Event log unavailable; retry", **_PROBLEM},
                    },
                }
            },
            "/games": {
                "get": {
                    "summary": "Games, optionally by status",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {
                                "enum": ["SCHEDULED", "LIVE", "FINAL", "POSTPONED", "CANCELLED"]
                            },
                        }
                    ],
                    "responses": {
                        "200": {"description": "{games: [state]}"},
                        "400": {"description": "Unknown status", **_PROBLEM},
                    },
                }
            },
            "/games/{game_id}/state": {
                "get": {
                    "summary": "Current state (or as of at_version); strong ETag, 304",
                    "parameters": [
                        game_id,
                        {"name": "at_version", "in": "query", "schema": {"type": "integer"}},
                    ],
                    "responses": {
                        "200": {"description": "Game state"},
                        "304": {"description": "Unchanged"},
                        "400": {"description": "at_version out of range", **_PROBLEM},
                        "404": {"description": "Unknown game", **_PROBLEM},
                    },
                }
            },
            "/games/{game_id}/events": {
                "get": {
                    "summary": "Recorded events, paged by version",
                    "parameters": [
                        game_id,
                        {"name": "after_version", "in": "query", "schema": {"type": "integer"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    ],
                    "responses": {
                        "200": {"description": "Events"},
                        "400": {"description": "Bad paging", **_PROBLEM},
                        "404": {"description": "Unknown game", **_PROBLEM},
                    },
                }
            },
            "/games/{game_id}/replay": {
                "get": {
                    "summary": "A FINAL game's events over SSE at ?speed times the original pace",
                    "parameters": [
                        game_id,
                        {"name": "speed", "in": "query", "schema": {"type": "number"}},
                    ],
                    "responses": {
                        "200": {"description": "text/event-stream"},
                        "400": {"description": "Bad speed", **_PROBLEM},
                        "404": {"description": "Unknown game", **_PROBLEM},
                        "409": {"description": "The game is not FINAL", **_PROBLEM},
                    },
                }
            },
            "/games/{game_id}/stream": {
                "get": {
                    "summary": (
                        "Server-Sent Events: `state`, then `game_event` per event (id = version)"
                    ),
                    "parameters": [
                        game_id,
                        {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "text/event-stream"},
                        "404": {"description": "Unknown game", **_PROBLEM},
                    },
                }
            },
            "/standings/{league}/{season}": {
                "get": {
                    "summary": "A league's table for a season; strong ETag, If-None-Match: 304",
                    "parameters": [
                        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                        for n in ("league", "season")
                    ],
                    "responses": {
                        "200": {"description": "Standings, ranked by the sport's rules"},
                        "304": {"description": "Unchanged"},
                        "404": {"description": "Unknown standings", **_PROBLEM},
                    },
                }
            },
            "/leaderboards/{league}/{season}/{stat}": {
                "get": {
                    "summary": (
                        "Top players of a league's season by a stat, or top teams (stat"
                        " `teams`); through a 60 s early-expiration cache; strong ETag, 304"
                    ),
                    "parameters": [
                        *(
                            {
                                "name": n,
                                "in": "path",
                                "required": True,
                                "schema": {"type": "string"},
                            }
                            for n in ("league", "season")
                        ),
                        {
                            "name": "stat",
                            "in": "path",
                            "required": True,
                            "schema": {"enum": ["teams", *sorted(STAT_NAMES)]},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 100,
                                "default": 10,
                            },
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "{league, season, sport, stat, limit, leaders}",
                            **LEADERBOARD,
                        },
                        "304": {"description": "Unchanged"},
                        "400": {"description": "Bad limit or stat", **_PROBLEM},
                        "404": {"description": "Unknown league or season", **_PROBLEM},
                    },
                }
            },
            "/players/{player_id}/stats": {
                "get": {
                    "summary": "A player's season totals and per-game lines; strong ETag, 304",
                    "parameters": [
                        {
                            "name": "player_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {"name": "season", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "{player_id, name, seasons, games}", **PLAYER_STATS},
                        "304": {"description": "Unchanged"},
                        "400": {"description": "Empty season", **_PROBLEM},
                        "404": {"description": "Unknown player", **_PROBLEM},
                    },
                }
            },
            "/teams/{team_id}": {
                "get": {
                    "summary": (
                        "A team: name, seasons (standings row, top scorers), games with scores;"
                        " strong ETag, 304"
                    ),
                    "parameters": [
                        {
                            "name": "team_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "{team_id, team_name, sport, seasons, games}",
                            **TEAM,
                        },
                        "304": {"description": "Unchanged"},
                        "404": {"description": "Unknown team", **_PROBLEM},
                    },
                }
            },
            **device_paths(),
            "/ops/rejected": {
                "get": {
                    "summary": "Rejected payloads, raw (bearer admin token)",
                    "responses": {
                        "200": {"description": "Rejected payloads"},
                        "401": {"description": "No token", **_PROBLEM},
                    },
                }
            },
        },
        "components": {"schemas": {**components, **device_schemas(), **player_schemas()}},
    }
