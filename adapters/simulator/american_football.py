"""American football: four quarters, then sudden-death 10-minute overtime periods.

Scoring drives with a dead time between them, for about 21 points a team: TOUCHDOWNs
(each followed by an EXTRA_POINT, sometimes a TWO_POINT_CONVERSION; a walk-off
touchdown has no try), FIELD_GOALs and the rare SAFETY. Also PENALTY flags and
TIMEOUTs (three a team each half). Failed tries and missed kicks are not events.
"""

from __future__ import annotations

from adapters.simulator.game import Game, Side
from adapters.simulator.teams import Player, first_at
from adapters.simulator.timeline import Period
from domain.sports import EventType, Sport

# Mean rates per team per regulation game.
_FOOTBALL_TOUCHDOWNS = 2.45
_FOOTBALL_FIELD_GOALS = 1.6
_FOOTBALL_SAFETIES = 0.04
_FOOTBALL_FLAGS = 6.0
_FOOTBALL_DEAD_TIME = 60.0  # game seconds after a score before the next one can come

# fmt: off
_FOOTBALL_FOULS = (
    ("holding", 10), ("false start", 5), ("offside", 5), ("pass interference", 15),
    ("unnecessary roughness", 15), ("delay of game", 5), ("illegal block", 10),
    ("face mask", 15), ("encroachment", 5), ("roughing the passer", 15),
)
# fmt: on


class FootballGame(Game):
    """An American football game; the first score of an overtime wins it."""

    sport = Sport.AMERICAN_FOOTBALL

    def plan(self, period: Period) -> None:
        rng = self.rng
        home, away = self.home, self.away
        kinds = ("touchdown", "field_goal", "safety")
        rates = (_FOOTBALL_TOUCHDOWNS, _FOOTBALL_FIELD_GOALS, _FOOTBALL_SAFETIES)
        if period.overtime:
            self.sudden_death(period, _FOOTBALL_TOUCHDOWNS + _FOOTBALL_FIELD_GOALS)
        else:
            # Scoring drives: a Poisson process with a dead time after each score (the
            # kickoff and the other side's drive), its rate raised to keep the mean.
            per_second = sum(rates) * (home.strength + away.strength) / self.regulation_seconds
            rate = 1.0 / (1.0 / per_second - _FOOTBALL_DEAD_TIME)
            share = home.strength / (home.strength + away.strength)
            offset = rng.expovariate(rate)
            while offset < period.length:
                side = home if rng.random() < share else away
                self.push(offset, rng.choices(kinds, weights=rates)[0], side)
                offset += _FOOTBALL_DEAD_TIME + rng.expovariate(rate)
        half = 1 if period.number <= 2 else 2
        for side in (home, away):
            for offset in self.arrivals(_FOOTBALL_FLAGS, period.length):
                self.push(offset, "flag", side)
            if period.overtime:
                continue
            wanted = rng.choice((0, 1, 1, 2, 2, 3) if period.number % 2 == 0 else (0, 0, 0, 1))
            for _ in range(min(wanted, side.timeouts[half])):
                side.timeouts[half] -= 1
                low = period.length - 240.0 if period.number % 2 == 0 else 60.0
                self.push(rng.uniform(low, period.length - 2.0), "timeout", side)

    def happen(self, period: Period, offset: float, kind: str, side: Side) -> None:
        rng = self.rng
        opponent = self.other(side)
        team, team_id = side.team.name, side.team.team_id
        players = side.team.players
        when = self.stamp(period, offset)
        if kind == "winner":
            kind = "touchdown" if rng.random() < 0.5 else "field_goal"
            self.end_now(period, offset)
        if kind == "touchdown":
            how = rng.choices(("pass", "run", "return"), weights=(58, 36, 6))[0]
            if how == "pass":
                scorer = self.pick(players, _football_catch)
                passer = first_at(players, "QB")
                play = f"{rng.randint(1, 65)}-yd pass from {passer.name}"
            elif how == "run":
                scorer = self.pick(players, _football_run)
                play = f"{rng.choice((1, 1, 2, 2, 3, 4, 5, 7, 9, 12, 18, 25, 41))}-yd run"
            else:
                scorer = self.pick(players, _football_return)
                play = f"{rng.randint(20, 99)}-yd {rng.choice(('interception', 'fumble', 'punt'))}"
                play += " return"
            self.score(side, EventType.TOUCHDOWN)
            self.add_at(
                period,
                offset,
                EventType.TOUCHDOWN,
                team_id=team_id,
                player_id=scorer.player_id,
                description=f"Touchdown {team}! {scorer.name} {play}, {when}. {self.scoreline()}",
            )
            if period.length == offset:  # a walk-off touchdown: no try
                return
            if rng.random() < 0.09:
                runner = self.pick(players, _football_run)
                self.score(side, EventType.TWO_POINT_CONVERSION)
                self.add_at(
                    period,
                    offset,
                    EventType.TWO_POINT_CONVERSION,
                    team_id=team_id,
                    player_id=runner.player_id,
                    description=f"Two-point conversion good, {runner.name} ({team}). "
                    f"{self.scoreline()}",
                )
            else:
                kicker = first_at(players, "K")
                self.score(side, EventType.EXTRA_POINT)
                self.add_at(
                    period,
                    offset,
                    EventType.EXTRA_POINT,
                    team_id=team_id,
                    player_id=kicker.player_id,
                    description=f"Extra point good, {kicker.name} ({team}). {self.scoreline()}",
                )
        elif kind == "field_goal":
            kicker = first_at(players, "K")
            self.score(side, EventType.FIELD_GOAL)
            self.add_at(
                period,
                offset,
                EventType.FIELD_GOAL,
                team_id=team_id,
                player_id=kicker.player_id,
                description=f"{kicker.name} ({team}) {rng.randint(19, 56)}-yd field goal is "
                f"good, {when}. {self.scoreline()}",
            )
        elif kind == "safety":
            tackler = self.pick(players, _football_rush)
            self.score(side, EventType.SAFETY)
            self.add_at(
                period,
                offset,
                EventType.SAFETY,
                team_id=team_id,
                player_id=tackler.player_id,
                description=f"Safety! {tackler.name} ({team}) tackles "
                f"{first_at(opponent.team.players, 'QB').name} in the end zone, {when}. "
                f"{self.scoreline()}",
            )
        elif kind == "flag":
            offender = self.pick(players, lambda p: 0.15 if p.position == "K" else 1.0)
            foul, yards = rng.choice(_FOOTBALL_FOULS)
            self.add_at(
                period,
                offset,
                EventType.PENALTY,
                team_id=team_id,
                player_id=offender.player_id,
                description=f"Flag: {foul}, {offender.name} ({team}), {yards} yards, {when}",
            )
        elif kind == "timeout":
            self.timeout(period, offset, side)


def _football_catch(p: Player) -> float:
    return {"WR": 3.0, "TE": 1.5, "RB": 0.8}.get(p.position, 0.0)


def _football_run(p: Player) -> float:
    return {"RB": 4.0, "QB": 1.0, "WR": 0.2}.get(p.position, 0.0)


def _football_return(p: Player) -> float:
    return {"CB": 2.0, "S": 1.5, "LB": 0.8, "WR": 0.6, "DE": 0.3}.get(p.position, 0.0)


def _football_rush(p: Player) -> float:
    return {"DE": 3.0, "LB": 1.5, "S": 0.4, "CB": 0.2}.get(p.position, 0.0)
