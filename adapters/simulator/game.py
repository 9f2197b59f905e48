"""The script builder every sport shares: lays one game out on the timeline.

:class:`Game` runs the lifecycle (schedule, start, periods, overtime, final), the clock
updates and a queue of planned *happenings*; each sport's subclass plans the
happenings of a period (:meth:`Game.plan`) and turns each into events
(:meth:`Game.happen`). All randomness comes from the one ``random.Random`` the game is
given, drawn in a fixed order, so a seed always gives the same game.
"""

from __future__ import annotations

import heapq
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from adapters.simulator.teams import Player, Team
from adapters.simulator.timeline import (
    DEFAULT_DURATION,
    FORMATS,
    MAX_OPEN_OVERTIMES,
    Entry,
    Period,
)
from domain.sports import RULES, EventType, Sport


@dataclass
class Side:
    """One team's state during a game."""

    team: Team
    strength: float
    score: int = 0
    on_field: list[Player] = field(default_factory=list)
    bench: list[Player] = field(default_factory=list)
    on_since: dict[str, float] = field(default_factory=dict)
    booked: set[str] = field(default_factory=set)
    subs_left: int = 5
    timeouts: dict[int, int] = field(default_factory=dict)  # half -> timeouts left


class Game(ABC):
    """Lays one game of :attr:`sport` out on the timeline; :meth:`play` runs it."""

    sport: ClassVar[Sport]
    strength_spread: ClassVar[float] = 0.07  # how much the two sides' strengths vary

    def __init__(
        self,
        rng: random.Random,
        home: Team,
        away: Team,
        league: str,
        season: str,
        duration: float,
    ) -> None:
        self.rng = rng
        self.rules = RULES[self.sport]
        self.fmt = FORMATS[self.sport]
        self.league = league
        self.season = season
        self.home = Side(home, max(0.5, rng.gauss(1.0, self.strength_spread)))
        self.away = Side(away, max(0.5, rng.gauss(1.0, self.strength_spread)))
        self.entries: list[Entry] = []
        self.queue: list[tuple[float, int, str, Side]] = []
        self.planned = 0
        self.regulation_seconds = float(self.fmt.period_seconds * self.rules.regulation_periods)
        self.tick = max(5, round(self.fmt.tick * DEFAULT_DURATION / duration))
        for side in (self.home, self.away):
            side.on_field = [p for p in side.team.players if p.starter]
            side.bench = [p for p in side.team.players if not p.starter]
            side.on_since = {p.player_id: 0.0 for p in side.on_field}
            side.timeouts = {1: 3, 2: 3}

    # --------------------------------------------------------- sport hooks
    @abstractmethod
    def plan(self, period: Period) -> None:
        """Plan (:meth:`push`) the happenings of ``period``."""

    @abstractmethod
    def happen(self, period: Period, offset: float, kind: str, side: Side) -> None:
        """Turn a planned happening into events, in time order."""

    def period_length(self, number: int, overtime: bool) -> float:
        """Game seconds of play in period ``number``."""
        return float(self.fmt.overtime_seconds if overtime else self.fmt.period_seconds)

    def needs_overtime(self) -> bool:
        return self.tied()

    def settle(self, period: Period, last_chance: bool) -> None:
        """After a period's happenings: a chance to settle a game that would go on.

        ``last_chance`` is true from the last open overtime on. By default nothing
        happens: sudden-death sports settle such a game in :meth:`sudden_death`.
        """
        return None

    def clock(self, period: Period, offset: float) -> int:
        """The game clock as the sport shows it, ``offset`` game seconds into ``period``."""
        full = self.fmt.overtime_seconds if period.overtime else self.fmt.period_seconds
        return max(0, full - int(offset))

    def stamp(self, period: Period, offset: float) -> str:
        """How the clock reads at ``offset``: 7:42."""
        clock = self.clock(period, offset)
        return f"{clock // 60}:{clock % 60:02d}"

    # ------------------------------------------------------------- helpers
    def add(self, t: float, event_type: EventType, **values: Any) -> Entry:
        entry = Entry(t=t, order=len(self.entries), event_type=event_type, **values)
        self.entries.append(entry)
        return entry

    def other(self, side: Side) -> Side:
        return self.away if side is self.home else self.home

    def pick(self, players: Sequence[Player], weight: Callable[[Player], float]) -> Player:
        weights = [max(0.0, weight(p)) * p.skill for p in players]
        if sum(weights) <= 0:
            return self.rng.choice(list(players))
        return self.rng.choices(list(players), weights=weights)[0]

    def arrivals(self, per_game: float, length: float, scale: float = 1.0) -> list[float]:
        """Times in [0, length) of a Poisson process with ``per_game`` events a game."""
        rate = per_game * scale / self.regulation_seconds
        times: list[float] = []
        if rate <= 0:
            return times
        t = self.rng.expovariate(rate)
        while t < length:
            times.append(t)
            t += self.rng.expovariate(rate)
        return times

    def at(self, period: Period, offset: float) -> dict[str, Any]:
        """Timeline position, period and clock of a moment in a period."""
        return {
            "t": period.start + offset,
            "period": period.number,
            "clock": self.clock(period, offset),
        }

    def add_at(self, period: Period, offset: float, event_type: EventType, **values: Any) -> Entry:
        where = self.at(period, offset)
        return self.add(where.pop("t"), event_type, **where, **values)

    def scoreline(self) -> str:
        h, a = self.home, self.away
        return f"{h.team.name} {h.score}-{a.score} {a.team.name}"

    def score(self, side: Side, event_type: EventType) -> None:
        side.score += self.rules.points[event_type]

    def tied(self) -> bool:
        return self.home.score == self.away.score

    def period_name(self, number: int) -> str:
        return self.rules.period_name(number).strip()

    # ---------------------------------------------------------------- game
    def play(self) -> list[Entry]:
        fmt = self.fmt
        h, a = self.home.team, self.away.team
        schedule = {
            "home_team_id": h.team_id,
            "away_team_id": a.team_id,
            "home_team_name": h.name,
            "away_team_name": a.name,
            "venue": h.venue,
            "start_time": None,
            "league": self.league,
            "season": self.season,
        }
        self.add(
            0.0,
            EventType.GAME_SCHEDULED,
            description=f"{h.name} v {a.name} at {h.venue}",
            schedule=schedule,
        )
        t = fmt.pregame
        self.add(t, EventType.GAME_STARTED, description=f"{fmt.start_word}: {h.name} v {a.name}")
        number = 0
        end = t
        while True:
            number += 1
            overtime = number > self.rules.regulation_periods
            if overtime and not self.needs_overtime():
                break
            if number > 1:
                if overtime and number == self.rules.regulation_periods + 1:
                    t = end + fmt.before_overtime
                elif self.rules.regulation_periods == 4 and number == 3:
                    t = end + fmt.halftime
                else:
                    t = end + fmt.intermission
            end = self.run_period(number, t, overtime)
        result = self.scoreline()
        extra = number - 1 - self.rules.regulation_periods
        if extra > 0:
            result += " (OT)" if extra == 1 else f" ({extra}OT)"
        self.add(end + fmt.postgame, EventType.GAME_FINAL, description=f"Final: {result}")
        return self.entries

    def run_period(self, number: int, start: float, overtime: bool) -> float:
        """Lay out one period from ``start``; return the timeline second it ends."""
        period = Period(number, start, self.period_length(number, overtime), overtime)
        name = self.period_name(number)
        self.add_at(period, 0.0, EventType.PERIOD_START, description=f"Start of {name}")
        self.queue = []
        self.plan(period)
        while self.queue:
            offset, _, kind, side = heapq.heappop(self.queue)
            if offset < period.length:  # a sudden-death score cuts the period short
                self.happen(period, offset, kind, side)
        self.settle(period, number >= self.rules.regulation_periods + MAX_OPEN_OVERTIMES)
        offset = float(self.tick)
        while offset < period.length:
            self.add_at(
                period, offset, EventType.CLOCK_UPDATE, description=self.stamp(period, offset)
            )
            offset += self.tick
        self.add_at(
            period,
            period.length,
            EventType.PERIOD_END,
            description=f"End of {name}: {self.scoreline()}",
        )
        return start + period.length

    def push(self, offset: float, kind: str, side: Side) -> None:
        """Plan a happening ``offset`` game seconds into the current period."""
        self.planned += 1
        heapq.heappush(self.queue, (offset, self.planned, kind, side))

    # ------------------------------------------------- shared happenings
    def sudden_death(self, period: Period, per_game: float) -> None:
        """Plan the first score of a sudden-death overtime (if it comes in this period)."""
        home, away = self.home, self.away
        rate = per_game * (home.strength + away.strength) / self.regulation_seconds
        first = self.rng.expovariate(rate)
        if period.number >= self.rules.regulation_periods + MAX_OPEN_OVERTIMES:
            first = self.rng.uniform(0.1, 0.9) * period.length  # enough: settle it
        if first < period.length:
            share = home.strength / (home.strength + away.strength)
            self.push(first, "winner", home if self.rng.random() < share else away)

    def end_now(self, period: Period, offset: float) -> None:
        """A sudden-death score: the period, and the game, end at ``offset``."""
        period.length = offset

    def timeout(self, period: Period, offset: float, side: Side) -> None:
        self.add_at(
            period,
            offset,
            EventType.TIMEOUT,
            team_id=side.team.team_id,
            description=f"Timeout, {side.team.name}, {self.stamp(period, offset)}",
        )
