"""What an NBA game id (``0022000001``) says: the season it belongs to.

Digits 1-3 are the kind of game (``001`` preseason, ``002`` regular season, ``004``
playoffs, ...), digits 4-5 the year the season starts in, the rest the game's number.
"""

from __future__ import annotations

import re

_NBA_GAME_ID = re.compile(r"00[1-6]([0-9]{2})[0-9]{5}")


def season_of(game_id: str) -> str | None:
    """``"2020-21"`` for ``0022000001``; ``None`` for an id not shaped like an NBA one."""
    match = _NBA_GAME_ID.fullmatch(game_id)
    return season_from_year(int(match[1])) if match else None


def season_from_year(year: int) -> str:
    """``"2016-17"`` for 2016 (or 16: two-digit years are 1946-2045)."""
    if year < 100:
        year += 2000 if year < 46 else 1900
    return f"{year}-{(year + 1) % 100:02d}"
