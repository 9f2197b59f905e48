"""The timeline a game is laid out on: each sport's format, periods and entries.

Everything here is in *game* seconds: playing time, plus shortened breaks between
periods. :mod:`adapters.simulator.script` scales the timeline into demo time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.sports import EventType, Sport


@dataclass(frozen=True)
class Format:
    """How a sport's game runs on the timeline (all in game seconds)."""

    period_seconds: int
    overtime_seconds: int
    pregame: float  # GAME_SCHEDULED to GAME_STARTED
    intermission: float  # between periods
    halftime: float  # after the middle period of a four-period game
    before_overtime: float
    postgame: float  # last PERIOD_END to GAME_FINAL
    tick: int  # CLOCK_UPDATE every this many game seconds at the default duration
    start_word: str


FORMATS: dict[Sport, Format] = {
    Sport.SOCCER: Format(2700, 900, 60, 300, 300, 180, 30, 60, "Kick-off"),
    Sport.BASKETBALL: Format(720, 300, 30, 60, 150, 60, 20, 30, "Tip-off"),
    Sport.AMERICAN_FOOTBALL: Format(900, 600, 60, 60, 180, 120, 30, 60, "Kickoff"),
    Sport.ICE_HOCKEY: Format(1200, 1200, 60, 180, 180, 180, 30, 60, "Puck drop"),
}

DEFAULT_DURATION = 180.0  # demo seconds a game takes unless told otherwise
MAX_OPEN_OVERTIMES = 4  # after this many overtimes still level, the next one is settled


@dataclass(eq=False)
class Entry:
    """An event on the timeline, before it gets its id and sequence number."""

    t: float
    order: int
    event_type: EventType
    period: int | None = None
    clock: int | None = None
    team_id: str | None = None
    player_id: str | None = None
    description: str = ""
    schedule: dict[str, Any] | None = None
    target: Entry | None = None
    event_id: str = ""


@dataclass
class Period:
    """One period of play as laid out on the timeline."""

    number: int
    start: float  # timeline seconds
    length: float  # game seconds of play (may be cut short by a sudden-death score)
    overtime: bool
