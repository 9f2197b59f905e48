"""The simulator's entry points: script one game, or a demo slate of one game per sport."""

from __future__ import annotations

import math
import random
from datetime import datetime

from adapters.simulator.american_football import FootballGame
from adapters.simulator.basketball import BasketballGame
from adapters.simulator.game import Game
from adapters.simulator.ice_hockey import HockeyGame
from adapters.simulator.script import ScriptedEvent, write_script
from adapters.simulator.soccer import SoccerGame
from adapters.simulator.teams import TEAMS, build_team
from adapters.simulator.timeline import DEFAULT_DURATION
from domain.sports import Sport

DEMO_LEAGUE = "demo-league"
DEMO_SEASON = "2026"

_GAMES: dict[Sport, type[Game]] = {
    Sport.SOCCER: SoccerGame,
    Sport.BASKETBALL: BasketballGame,
    Sport.AMERICAN_FOOTBALL: FootballGame,
    Sport.ICE_HOCKEY: HockeyGame,
}


def simulate_game(
    sport: Sport,
    game_id: str,
    *,
    seed: int,
    duration: float = DEFAULT_DURATION,
    home: tuple[str, str] | None = None,
    away: tuple[str, str] | None = None,
    league: str | None = None,
    kickoff: datetime | None = None,
) -> list[ScriptedEvent]:
    """Script one whole game of ``sport``, compressed into ``duration`` demo seconds.

    ``home``/``away`` are ``(team_id, name)``; a side left ``None`` is drawn from the
    sport's built-in teams. ``league`` defaults to :data:`DEMO_LEAGUE`. With
    ``kickoff`` (the wall-clock time of ``at == 0``) every event's ``created_at`` is
    ``kickoff + at`` and the schedule's ``start_time`` is when GAME_STARTED is due;
    without it they are ``None`` (a driver may stamp them when it sends).

    The script is in ``sequence_number`` order (1..N) with non-decreasing ``at``,
    GAME_SCHEDULED at 0 and GAME_FINAL last, at ``duration``. Event ids are
    ``f"{game_id}-{sequence_number}"``.
    """
    sport = Sport(sport)
    if not (math.isfinite(duration) and duration > 0):
        raise ValueError(f"duration must be a positive number of seconds, not {duration!r}")
    if not game_id or any(c.isspace() for c in game_id):
        raise ValueError(f"game_id must be non-empty without whitespace, not {game_id!r}")
    rng = random.Random(seed)
    pool = [(team_id, name) for team_id, name, _ in TEAMS[sport]]
    if home is None:
        home = rng.choice([t for t in pool if away is None or t[0] != away[0]])
    if away is None:
        away = rng.choice([t for t in pool if t[0] != home[0]])
    for team_id, _ in (home, away):
        if not team_id or any(c.isspace() for c in team_id):
            raise ValueError(f"team ids must be non-empty without whitespace, not {team_id!r}")
    if home[0] == away[0]:
        raise ValueError(f"a team cannot play itself: {home[0]!r}")
    game = _GAMES[sport](
        rng,
        build_team(sport, home),
        build_team(sport, away),
        league or DEMO_LEAGUE,
        DEMO_SEASON,
        duration,
    )
    names = {p.player_id: p.name for side in (game.home, game.away) for p in side.team.players}
    return write_script(sport, game_id, game.play(), duration, kickoff, names)


def demo_slate(
    seed: int, *, duration: float = DEFAULT_DURATION, kickoff: datetime | None = None
) -> list[tuple[str, list[ScriptedEvent]]]:
    """One game of each sport, as ``(game_id, script)``: ``demo-soccer-1`` and so on.

    Teams are drawn from each sport's built-in teams; every game is in
    :data:`DEMO_LEAGUE`, season :data:`DEMO_SEASON`, and all run side by side over
    the same ``duration`` (see :func:`simulate_game` for ``kickoff``).
    """
    rng = random.Random(seed)
    slate: list[tuple[str, list[ScriptedEvent]]] = []
    for sport in Sport:
        (home_id, home_name, _), (away_id, away_name, _) = rng.sample(TEAMS[sport], 2)
        game_id = f"demo-{sport.value.replace('_', '-')}-1"
        script = simulate_game(
            sport,
            game_id,
            seed=rng.getrandbits(64),
            duration=duration,
            home=(home_id, home_name),
            away=(away_id, away_name),
            league=DEMO_LEAGUE,
            kickoff=kickoff,
        )
        slate.append((game_id, script))
    return slate
