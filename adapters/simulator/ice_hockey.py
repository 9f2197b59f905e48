"""Ice hockey: three periods, then sudden-death 20-minute overtime periods (playoff style).

About 3 goals a team a game (with up to two assists each), SHOTs saved, 2-minute
PENALTYs and the odd late TIMEOUT; there are no shootouts.
"""

from __future__ import annotations

from adapters.simulator.game import Game, Side
from adapters.simulator.teams import Player, first_at
from adapters.simulator.timeline import Period
from domain.sports import EventType, Sport

# Mean rates per team per regulation game.
_HOCKEY_GOALS = 3.0
_HOCKEY_SHOTS = 25.0  # shots on goal that do not go in
_HOCKEY_PENALTIES = 3.5

# fmt: off
_HOCKEY_FOULS = (
    "hooking", "tripping", "slashing", "holding", "interference", "high-sticking",
    "roughing", "cross-checking", "delay of game", "too many men",
)
# fmt: on


class HockeyGame(Game):
    """An ice hockey game; the first goal of an overtime wins it."""

    sport = Sport.ICE_HOCKEY

    def plan(self, period: Period) -> None:
        rng = self.rng
        if period.overtime:
            self.sudden_death(period, _HOCKEY_GOALS * 1.2)
        for side in (self.home, self.away):
            if not period.overtime:
                for offset in self.arrivals(_HOCKEY_GOALS, period.length, side.strength):
                    self.push(offset, "goal", side)
            for offset in self.arrivals(_HOCKEY_SHOTS, period.length, side.strength):
                self.push(offset, "shot", side)
            for offset in self.arrivals(_HOCKEY_PENALTIES, period.length):
                self.push(offset, "penalty", side)
            if period.number == self.rules.regulation_periods and rng.random() < 0.25:
                self.push(rng.uniform(period.length - 300.0, period.length - 5.0), "timeout", side)

    def happen(self, period: Period, offset: float, kind: str, side: Side) -> None:
        rng = self.rng
        opponent = self.other(side)
        team, team_id = side.team.name, side.team.team_id
        skaters = [p for p in side.team.players if p.position != "G"]
        when = self.stamp(period, offset)
        if kind == "winner":
            self.end_now(period, offset)
            kind = "goal"
        if kind == "goal":
            scorer = self.pick(skaters, _hockey_goal)
            helpers = [p for p in skaters if p is not scorer]
            assists = [self.pick(helpers, _hockey_assist) for _ in range(rng.choice((0, 1, 2, 2)))]
            names = list(dict.fromkeys(p.name for p in assists))
            text = f"Goal! {scorer.name} ({team}), {when}"
            if names:
                text += f", assists {' and '.join(names)}"
            if period.length == offset:
                text = f"Overtime winner! {text}"
            self.score(side, EventType.GOAL)
            self.add_at(
                period,
                offset,
                EventType.GOAL,
                team_id=team_id,
                player_id=scorer.player_id,
                description=f"{text}. {self.scoreline()}",
            )
        elif kind == "shot":
            shooter = self.pick(skaters, _hockey_goal)
            goalie = first_at(opponent.team.players, "G")
            self.add_at(
                period,
                offset,
                EventType.SHOT,
                team_id=team_id,
                player_id=shooter.player_id,
                description=f"Shot by {shooter.name} ({team}) saved by {goalie.name}, {when}",
            )
        elif kind == "penalty":
            offender = self.pick(skaters, lambda p: 1.6 if p.position == "D" else 1.0)
            self.add_at(
                period,
                offset,
                EventType.PENALTY,
                team_id=team_id,
                player_id=offender.player_id,
                description=f"{offender.name} ({team}), 2 minutes for "
                f"{rng.choice(_HOCKEY_FOULS)}, {when}",
            )
        elif kind == "timeout":
            self.timeout(period, offset, side)


def _hockey_goal(p: Player) -> float:
    return 0.45 if p.position == "D" else 1.5


def _hockey_assist(p: Player) -> float:
    return 1.0 if p.position == "D" else 1.3
