"""The OpenAPI schemas of the player-stats answers (players, leaderboards, team pages).

Each player's ``name`` is the provider's, from the latest event naming them (null when
none did). The schemas say what every answer has; they leave other fields open (a
leaderboard of ``teams`` lists standings rows, a season line has its sport's stats).
"""

from __future__ import annotations

from typing import Any

_NAME = {
    "type": ["string", "null"],
    "description": "the player's name from the latest event naming them; null if none did",
}


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


PLAYER_STATS = _json("PlayerStats")
LEADERBOARD = _json("Leaderboard")
TEAM = _json("Team")


def player_schemas() -> dict[str, Any]:
    """The components: PlayerStats, Leader, Leaderboard, Team."""
    leaders = {"type": "array", "items": {"$ref": "#/components/schemas/Leader"}}
    return {
        "PlayerStats": {
            "type": "object",
            "properties": {
                "player_id": {"type": "string"},
                "name": _NAME,
                "seasons": {"type": "array", "items": {"type": "object"}},
                "games": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["player_id", "name", "seasons", "games"],
        },
        "Leader": {
            "type": "object",
            "description": "a player's entry (a standings row for stat=teams)",
            "properties": {
                "rank": {"type": "integer"},
                "player_id": {"type": "string"},
                "name": _NAME,
                "team_id": {"type": ["string", "null"]},
                "value": {"type": "integer"},
            },
        },
        "Leaderboard": {
            "type": "object",
            "properties": {
                "league": {"type": "string"},
                "season": {"type": "string"},
                "sport": {"type": ["string", "null"]},
                "stat": {"type": "string"},
                "limit": {"type": "integer"},
                "leaders": leaders,
            },
            "required": ["league", "season", "sport", "stat", "limit", "leaders"],
        },
        "Team": {
            "type": "object",
            "properties": {
                "team_id": {"type": "string"},
                "team_name": {"type": "string"},
                "sport": {"type": "string"},
                "seasons": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "top_scorers": {
                                "type": "object",
                                "properties": {"stat": {"type": "string"}, "leaders": leaders},
                            }
                        },
                    },
                },
                "games": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["team_id", "team_name", "sport", "seasons", "games"],
        },
    }
