"""Soccer: a league game of two halves with stoppage time; a draw stays a draw.

About 2.7 goals a game (some PENALTY_GOALs after a foul, the odd OWN_GOAL); FOUL,
YELLOW_CARD and SUBSTITUTION (players who come off take no further part); in about a
third of games one goal is ruled out on VAR review.
"""

from __future__ import annotations

import random

from adapters.simulator.game import Game, Side
from adapters.simulator.teams import Player, Team
from adapters.simulator.timeline import Entry, Period
from domain.sports import EventType, Sport

# Mean rates per team per regulation game.
_SOCCER_GOALS = (1.42, 1.13)  # home, away (per 90 minutes; stoppage time adds a little)
_SOCCER_FOULS = 11.0
_SOCCER_YELLOW = 0.16  # chance a foul is booked
_SOCCER_PENALTY_SHARE = 0.10
_SOCCER_OWN_GOAL_SHARE = 0.04
_SOCCER_VAR_CHANCE = 0.33


class SoccerGame(Game):
    """A soccer game: the clock counts up (23', 45+2'), with no overtime."""

    sport = Sport.SOCCER
    strength_spread = 0.12

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
        self.review: tuple[Entry, str] | None = None
        self.var_period = 0  # the half with a goal ruled out on review (0: none)
        if rng.random() < _SOCCER_VAR_CHANCE:
            self.var_period = rng.choice((1, 2))

    def period_length(self, number: int, overtime: bool) -> float:
        stoppage = self.rng.randint(1, 4) if number == 1 else self.rng.randint(2, 7)
        return float(self.fmt.period_seconds + 60 * stoppage - self.rng.randint(0, 50))

    def needs_overtime(self) -> bool:
        return False

    def clock(self, period: Period, offset: float) -> int:
        return self._base(period.number) + int(offset)

    def _base(self, number: int) -> int:
        """The clock at the start of period ``number``."""
        if number <= self.rules.regulation_periods:
            return self.fmt.period_seconds * (number - 1)
        extra = number - self.rules.regulation_periods - 1
        regulation = self.fmt.period_seconds * self.rules.regulation_periods
        return regulation + self.fmt.overtime_seconds * extra

    def stamp(self, period: Period, offset: float) -> str:
        """How the clock reads at ``offset``: 23' or, in stoppage time, 45+2'."""
        clock = self.clock(period, offset)
        end = self._base(period.number) + (
            self.fmt.overtime_seconds if period.overtime else self.fmt.period_seconds
        )
        if clock >= end:
            return f"{end // 60}+{(clock - end) // 60 + 1}'"
        return f"{clock // 60 + 1}'"

    def plan(self, period: Period) -> None:
        rng = self.rng
        for side, goals in ((self.home, _SOCCER_GOALS[0]), (self.away, _SOCCER_GOALS[1])):
            for offset in self.arrivals(goals, period.length, side.strength):
                roll = rng.random()
                if roll < _SOCCER_PENALTY_SHARE:
                    self.push(offset, "penalty", side)
                elif roll < _SOCCER_PENALTY_SHARE + _SOCCER_OWN_GOAL_SHARE:
                    self.push(offset, "own_goal", side)
                else:
                    self.push(offset, "goal", side)
            for offset in self.arrivals(_SOCCER_FOULS, period.length):
                self.push(offset, "foul", side)
            if period.number == 2:
                if rng.random() < 0.15:
                    self.push(0.0, "sub", side)  # a half-time change
                for _ in range(rng.choice((2, 3, 3, 4, 4))):
                    self.push(rng.uniform(600.0, min(2550.0, period.length - 30.0)), "sub", side)
            elif rng.random() < 0.06:
                self.push(rng.uniform(300.0, period.length - 60.0), "sub", side)  # an injury
        if self.var_period == period.number:
            side = self.home if rng.random() < 0.55 else self.away
            self.push(rng.uniform(120.0, period.length - 300.0), "ruled_out", side)

    def happen(self, period: Period, offset: float, kind: str, side: Side) -> None:
        rng = self.rng
        opponent = self.other(side)
        team, team_id = side.team.name, side.team.team_id
        when = self.stamp(period, offset)
        now = period.start + offset
        if kind in ("goal", "ruled_out"):
            scorer = self.pick(side.on_field, _soccer_attack)
            text = f"Goal! {scorer.name} ({team}) {when}"
            if rng.random() < 0.75:
                helper = self.pick([p for p in side.on_field if p is not scorer], _soccer_assist)
                text += f", assisted by {helper.name}"
            self.score(side, EventType.GOAL)
            goal = self.add_at(
                period,
                offset,
                EventType.GOAL,
                team_id=team_id,
                player_id=scorer.player_id,
                description=f"{text}. {self.scoreline()}",
            )
            if kind == "ruled_out":
                reason = rng.choice(("offside", "handball", "a foul in the build-up"))
                self.review = (goal, reason)
                self.push(offset + rng.uniform(60.0, 150.0), "review", side)
        elif kind == "review" and self.review is not None:
            goal, reason = self.review
            self.review = None
            side.score -= self.rules.points[EventType.GOAL]
            self.add_at(
                period,
                offset,
                EventType.EVENT_RETRACTED,
                team_id=team_id,
                target=goal,
                description=f"VAR: {team} goal ruled out for {reason}. {self.scoreline()}",
            )
        elif kind == "penalty":
            foul_at = max(offset * 0.5, offset - rng.uniform(20.0, 50.0))
            eligible = [
                p
                for p in opponent.on_field
                if p.position != "GK" and opponent.on_since[p.player_id] <= period.start + foul_at
            ]
            fouler = self.pick(eligible or opponent.on_field, _soccer_defend)
            self.add_at(
                period,
                foul_at,
                EventType.FOUL,
                team_id=opponent.team.team_id,
                player_id=fouler.player_id,
                description=f"Penalty to {team}! Foul by {fouler.name} "
                f"({opponent.team.name}) {self.stamp(period, foul_at)}",
            )
            if rng.random() < 0.4:
                self._book(period, foul_at, opponent, fouler)
            taker = max(
                (p for p in side.on_field if p.position != "GK"),
                key=lambda p: _soccer_attack(p) * p.skill,
            )
            self.score(side, EventType.PENALTY_GOAL)
            self.add_at(
                period,
                offset,
                EventType.PENALTY_GOAL,
                team_id=team_id,
                player_id=taker.player_id,
                description=f"Penalty scored! {taker.name} ({team}) {when}. {self.scoreline()}",
            )
        elif kind == "own_goal":
            unlucky = self.pick(opponent.on_field, _soccer_defend)
            self.score(side, EventType.OWN_GOAL)  # the event names the unlucky player's team
            self.add_at(
                period,
                offset,
                EventType.OWN_GOAL,
                team_id=opponent.team.team_id,
                player_id=unlucky.player_id,
                description=f"Own goal by {unlucky.name} ({opponent.team.name}) {when}. "
                f"{self.scoreline()}",
            )
        elif kind == "foul":
            fouler = self.pick(side.on_field, _soccer_defend)
            self.add_at(
                period,
                offset,
                EventType.FOUL,
                team_id=team_id,
                player_id=fouler.player_id,
                description=f"Foul by {fouler.name} ({team}) {when}",
            )
            if rng.random() < _SOCCER_YELLOW:
                self._book(period, offset, side, fouler)
        elif kind == "sub" and side.subs_left > 0:
            off = self.pick(
                [p for p in side.on_field if p.position != "GK"],
                lambda p: 1.5 if p.position == "FW" else 1.0,
            )
            same = [p for p in side.bench if p.position == off.position]
            outfield = [p for p in side.bench if p.position != "GK"]
            if not (same or outfield):
                return
            on = rng.choice(same or outfield)
            side.on_field[side.on_field.index(off)] = on
            side.bench.remove(on)
            side.on_since[on.player_id] = now
            side.subs_left -= 1
            self.add_at(
                period,
                offset,
                EventType.SUBSTITUTION,
                team_id=team_id,
                player_id=on.player_id,
                description=f"Substitution, {team}: {on.name} replaces {off.name} {when}",
            )

    def _book(self, period: Period, offset: float, side: Side, player: Player) -> None:
        """A yellow card (a player is booked at most once: there are no red cards)."""
        if player.player_id in side.booked:
            return
        side.booked.add(player.player_id)
        self.add_at(
            period,
            offset,
            EventType.YELLOW_CARD,
            team_id=side.team.team_id,
            player_id=player.player_id,
            description=f"Yellow card: {player.name} ({side.team.name}) "
            f"{self.stamp(period, offset)}",
        )


def _soccer_attack(p: Player) -> float:
    return {"FW": 5.0, "MF": 2.5, "DF": 0.7, "GK": 0.0}[p.position]


def _soccer_assist(p: Player) -> float:
    return {"FW": 2.5, "MF": 3.5, "DF": 1.2, "GK": 0.05}[p.position]


def _soccer_defend(p: Player) -> float:
    return {"FW": 1.0, "MF": 2.0, "DF": 2.5, "GK": 0.1}[p.position]
