"""Basketball: four quarters, then 5-minute overtimes until one side leads.

Possessions alternate, about 100 a team a game; each ends in a THREE_POINTER, a
TWO_POINTER, a trip to the line (FREE_THROWs after a shooting FOUL, the odd and-one)
or nothing, for about 110 points a team. Also personal FOULs and TIMEOUTs.
"""

from __future__ import annotations

import random

from adapters.simulator.game import Game, Side
from adapters.simulator.teams import Player, Team
from adapters.simulator.timeline import Period
from domain.sports import EventType, Sport

# Basketball, per possession (a team has about 100 a game, one every 14.5 seconds).
_BASKETBALL_POSSESSION = (5.0, 24.0)  # seconds a possession takes
_BASKETBALL_THREES = 0.125
_BASKETBALL_TWOS = 0.265
_BASKETBALL_TRIPS = 0.115  # shooting fouls: free throws (and the odd and-one)
_BASKETBALL_OTHER_FOULS = 9.0  # per team per game


class BasketballGame(Game):
    """A basketball game; a game still level after many overtimes is settled late on."""

    sport = Sport.BASKETBALL

    def __init__(
        self,
        rng: random.Random,
        home: Team,
        away: Team,
        league: str,
        season: str,
        duration: float,
    ) -> None:
        super().__init__(rng, home, away, league, season, duration)
        self.tip_winner = self.home

    def plan(self, period: Period) -> None:
        """Possessions alternate; each ends in a three, a two, a trip to the line or nothing."""
        rng = self.rng
        last = period.number == self.rules.regulation_periods
        if period.number == 1 or period.overtime:
            self.tip_winner = self.home if rng.random() < 0.5 else self.away
        # The opening tip's loser has the ball to start the 2nd and 3rd quarters.
        side = (
            self.tip_winner
            if period.number in (1, 4) or period.overtime
            else (self.other(self.tip_winner))
        )
        outcomes = ("three", "two", "trip")
        chances = (_BASKETBALL_THREES, _BASKETBALL_TWOS, _BASKETBALL_TRIPS)
        offset = rng.uniform(*_BASKETBALL_POSSESSION)
        while offset < period.length:
            roll = rng.random()
            for kind, chance in zip(outcomes, chances, strict=True):
                roll -= chance * side.strength
                if roll < 0:
                    self.push(offset, kind, side)
                    break
            side = self.other(side)
            offset += rng.uniform(*_BASKETBALL_POSSESSION)
        for side in (self.home, self.away):
            for offset in self.arrivals(_BASKETBALL_OTHER_FOULS, period.length):
                self.push(offset, "foul", side)
            if period.overtime:
                timeouts = rng.choice((0, 1))
            else:
                timeouts = rng.choice((1, 2, 2, 3) if last else (0, 1, 1, 2))
            for _ in range(timeouts):
                low = period.length * (0.5 if last or period.overtime else 0.1)
                self.push(rng.uniform(low, period.length - 2.0), "timeout", side)

    def happen(self, period: Period, offset: float, kind: str, side: Side) -> None:
        rng = self.rng
        opponent = self.other(side)
        team, team_id = side.team.name, side.team.team_id
        when = self.stamp(period, offset)
        players = side.team.players
        if kind == "three":
            shooter = self.pick(players, _basketball_three)
            self.score(side, EventType.THREE_POINTER)
            self.add_at(
                period,
                offset,
                EventType.THREE_POINTER,
                team_id=team_id,
                player_id=shooter.player_id,
                description=f"{shooter.name} ({team}) hits a three, {when}. {self.scoreline()}",
            )
        elif kind == "two":
            self._two(period, offset, side, self.pick(players, _basketball_two))
        elif kind == "trip":
            roll = rng.random()
            shooter = self.pick(players, _basketball_two)
            fouler = self.pick(opponent.team.players, _basketball_foul)
            shots = 1 if roll < 0.15 else 3 if roll < 0.2 else 2
            if shots == 1:
                self._two(period, offset, side, shooter, and_one=True)
            self.add_at(
                period,
                offset,
                EventType.FOUL,
                team_id=opponent.team.team_id,
                player_id=fouler.player_id,
                description=f"Shooting foul on {fouler.name} ({opponent.team.name}), {when}",
            )
            self._free_throws(period, offset, side, shooter, shots)
        elif kind == "foul":
            fouler = self.pick(players, _basketball_foul)
            self.add_at(
                period,
                offset,
                EventType.FOUL,
                team_id=team_id,
                player_id=fouler.player_id,
                description=f"Personal foul on {fouler.name} ({team}), {when}",
            )
        elif kind == "timeout":
            self.timeout(period, offset, side)

    def _two(
        self, period: Period, offset: float, side: Side, shooter: Player, and_one: bool = False
    ) -> None:
        how = self.rng.choice(("layup", "jumper", "dunk", "floater", "hook shot", "jumper"))
        self.score(side, EventType.TWO_POINTER)
        self.add_at(
            period,
            offset,
            EventType.TWO_POINTER,
            team_id=side.team.team_id,
            player_id=shooter.player_id,
            description=f"{shooter.name} ({side.team.name}) {how}"
            f"{' and the foul' if and_one else ''}, {self.stamp(period, offset)}. "
            f"{self.scoreline()}",
        )

    def _free_throws(
        self,
        period: Period,
        offset: float,
        side: Side,
        shooter: Player,
        shots: int,
        *,
        make_last: bool = False,
    ) -> None:
        percentage = 0.58 + 0.18 * shooter.skill - (0.1 if shooter.position == "C" else 0.0)
        for shot in range(1, shots + 1):
            if self.rng.random() < percentage or (make_last and shot == shots):
                self.score(side, EventType.FREE_THROW)
                self.add_at(
                    period,
                    offset,
                    EventType.FREE_THROW,
                    team_id=side.team.team_id,
                    player_id=shooter.player_id,
                    description=f"{shooter.name} ({side.team.name}) makes free throw "
                    f"{shot} of {shots}. {self.scoreline()}",
                )

    def _decide(self, period: Period) -> None:
        """Settle a basketball game that would otherwise go on and on: a late trip."""
        offset = period.length - self.rng.uniform(0.5, 5.0)
        side = self.home if self.rng.random() < 0.5 else self.away
        opponent = self.other(side)
        fouler = self.pick(opponent.team.players, _basketball_foul)
        shooter = self.pick(side.team.players, _basketball_two)
        self.add_at(
            period,
            offset,
            EventType.FOUL,
            team_id=opponent.team.team_id,
            player_id=fouler.player_id,
            description=f"Shooting foul on {fouler.name} ({opponent.team.name}), "
            f"{self.stamp(period, offset)}",
        )
        self._free_throws(period, offset, side, shooter, 2, make_last=True)

    def settle(self, period: Period, last_chance: bool) -> None:
        """At the last open overtime, a game still level is settled by a late trip."""
        if last_chance and self.tied():
            self._decide(period)


def _starter(player: Player, bench: float = 0.45) -> float:
    return 1.0 if player.starter else bench


def _basketball_two(p: Player) -> float:
    weight = {"PG": 0.8, "SG": 0.9, "SF": 1.0, "PF": 1.2, "C": 1.3}[p.position]
    return weight * _starter(p)


def _basketball_three(p: Player) -> float:
    weight = {"PG": 1.2, "SG": 1.4, "SF": 1.1, "PF": 0.6, "C": 0.2}[p.position]
    return weight * _starter(p)


def _basketball_foul(p: Player) -> float:
    weight = {"PG": 0.9, "SG": 0.9, "SF": 1.0, "PF": 1.3, "C": 1.4}[p.position]
    return weight * _starter(p, 0.7)
