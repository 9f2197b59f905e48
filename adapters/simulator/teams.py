"""The simulator's teams: built-in clubs and venues, and each team's roster of players.

A team's roster is the same in every game: it is drawn from a ``random.Random`` seeded
with the sport and the team's id, never from a game's own generator.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from domain.sports import Sport

# The built-in teams: (team_id, name, home venue) per sport: real-world-ish, not real clubs.
TEAMS: dict[Sport, tuple[tuple[str, str, str], ...]] = {
    Sport.SOCCER: (
        ("riverside-fc", "Riverside FC", "Riverside Park"),
        ("northgate-utd", "Northgate United", "Northgate Lane"),
        ("porto-azul", "Porto Azul", "Estadio do Mar"),
        ("atletico-sierra", "Atletico Sierra", "Estadio La Sierra"),
        ("fc-rheinfeld", "FC Rheinfeld", "Rheinfeld Arena"),
        ("olympique-lavande", "Olympique Lavande", "Stade des Lavandes"),
    ),
    Sport.BASKETBALL: (
        ("harbor-city-comets", "Harbor City Comets", "Harborfront Arena"),
        ("desert-vipers", "Phoenix Desert Vipers", "Sunbelt Center"),
        ("lakeshore-lynx", "Lakeshore Lynx", "Lakeshore Fieldhouse"),
        ("capital-monarchs", "Capital Monarchs", "Monarch Garden"),
        ("mountain-pumas", "Denver Mountain Pumas", "Summit Arena"),
        ("bayou-kings", "New Orleans Bayou Kings", "Crescent Center"),
    ),
    Sport.AMERICAN_FOOTBALL: (
        ("portland-lumberjacks", "Portland Lumberjacks", "Timberline Field"),
        ("san-antonio-stallions", "San Antonio Stallions", "Alamo Stadium"),
        ("carolina-ironclads", "Carolina Ironclads", "Ironworks Stadium"),
        ("great-lakes-gales", "Great Lakes Gales", "Lakefront Stadium"),
        ("sacramento-gold-rush", "Sacramento Gold Rush", "Goldfield Park"),
        ("boston-minutemen", "Boston Minutemen", "Patriot Yard"),
    ),
    Sport.ICE_HOCKEY: (
        ("halifax-harbour-kings", "Halifax Harbour Kings", "Harbourside Centre"),
        ("winnipeg-blizzard", "Winnipeg Blizzard", "Prairie Ice Arena"),
        ("saskatoon-huskies", "Saskatoon Huskies", "Bridge City Coliseum"),
        ("duluth-ice-hawks", "Duluth Ice Hawks", "North Shore Arena"),
        ("anchorage-aurora", "Anchorage Aurora", "Aurora Centre"),
        ("hamilton-steelhawks", "Hamilton Steelhawks", "Steeltown Gardens"),
    ),
}

_VENUE_WORD = {
    Sport.SOCCER: "Stadium",
    Sport.BASKETBALL: "Arena",
    Sport.AMERICAN_FOOTBALL: "Stadium",
    Sport.ICE_HOCKEY: "Arena",
}

# fmt: off
_FIRST_INTERNATIONAL: tuple[str, ...] = (
    "Marco", "Luca", "Joao", "Diego", "Mateo", "Kylian", "Jonas", "Lukas", "Ivan",
    "Pedro", "Thiago", "Sergio", "Kenji", "Yusuf", "Omar", "Sadio", "Victor", "Emil",
    "Rafael", "Nico", "Andrei", "Tomas", "Hugo", "Leon", "Bruno", "Kai", "Samuel",
    "Jamal", "Ruben", "Florian", "Dani", "Milan", "Oscar", "Theo", "Achraf", "Bukayo",
)
_LAST_INTERNATIONAL: tuple[str, ...] = (
    "Rossi", "Silva", "Fernandes", "Garcia", "Moreno", "Muller", "Schmidt", "Novak",
    "Kovacic", "Dupont", "Laurent", "Diallo", "Mendes", "Costa", "Nakamura", "Yilmaz",
    "Haddad", "Mensah", "Okafor", "Jensen", "Lindqvist", "Petrov", "Herrera", "Alves",
    "Romero", "Bianchi", "Van Dijkstra", "De Smet", "Kowalski", "Horvat", "Sarr",
    "Baptiste", "Rahman", "Santos", "Ortega", "Weber", "Fischer", "Rocha", "Eriksen",
)
_FIRST_AMERICAN: tuple[str, ...] = (
    "James", "Marcus", "Tyler", "Jalen", "Devin", "Brandon", "Chris", "Derrick",
    "Isaiah", "Malik", "Cole", "Logan", "Ryan", "Austin", "Trey", "Darius", "Nate",
    "Caleb", "Jordan", "Kevin", "Andre", "Mason", "Connor", "Zach", "Elijah", "Miles",
    "Justin", "Aaron", "Cameron", "Dylan", "Jake", "Noah", "Evan", "Luke", "Tristan",
)
_LAST_AMERICAN: tuple[str, ...] = (
    "Johnson", "Williams", "Brown", "Jackson", "Davis", "Miller", "Wilson", "Moore",
    "Taylor", "Thomas", "Harris", "Martin", "Thompson", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Carter",
    "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
    "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Reed",
    "Bailey", "Cooper", "Richardson", "Cox", "Howard", "Ward", "Brooks", "Bennett",
    "Gray", "Hughes", "Price", "Sanders", "Bryant", "Russell", "Griffin", "Hayes",
    "Tremblay", "Gagnon", "Roy", "Bouchard", "Lindholm", "Karlsson", "Makar", "Virtanen",
)

# Positions of each sport's roster, starters first (soccer: the first 11 start).
_POSITIONS: dict[Sport, tuple[str, ...]] = {
    Sport.SOCCER: (
        "GK", "DF", "DF", "DF", "DF", "MF", "MF", "MF", "FW", "FW", "FW",
        "GK", "DF", "DF", "MF", "MF", "MF", "FW", "FW",
    ),
    Sport.BASKETBALL: (
        "PG", "SG", "SF", "PF", "C", "PG", "SG", "SF", "PF", "C", "SG", "SF",
    ),
    Sport.AMERICAN_FOOTBALL: (
        "QB", "RB", "RB", "WR", "WR", "WR", "TE", "TE", "K", "DE", "DE", "LB", "LB",
        "CB", "CB", "S",
    ),
    Sport.ICE_HOCKEY: (
        "G", "C", "LW", "RW", "C", "LW", "RW", "C", "LW", "RW", "C", "LW", "RW",
        "D", "D", "D", "D", "D", "D", "G",
    ),
}
# fmt: on

# fmt: off
# Football jersey numbers by position (inclusive).
_NUMBERS: dict[str, tuple[int, int]] = {
    "QB": (1, 19), "K": (1, 19), "RB": (20, 49), "WR": (10, 19), "TE": (80, 89),
    "DE": (90, 99), "LB": (50, 59), "CB": (20, 39), "S": (20, 49),
}
_SOCCER_STARTER_NUMBERS: dict[str, tuple[int, ...]] = {
    "GK": (1,), "DF": (2, 3, 4, 5), "MF": (6, 8, 10), "FW": (7, 9, 11),
}
# fmt: on


def _number(rng: random.Random, sport: Sport, position: str, starter: bool, used: set[int]) -> int:
    """A plausible, unused jersey number for a player."""
    pool: Sequence[int]
    if sport == Sport.SOCCER:
        pool = _SOCCER_STARTER_NUMBERS[position] if starter else range(12, 31)
    elif sport == Sport.BASKETBALL:
        pool = range(0, 56)
    elif sport == Sport.ICE_HOCKEY:
        pool = (1, 30, 31, 35, 40) if position == "G" else range(2, 99)
    else:
        low, high = _NUMBERS[position]
        pool = range(low, high + 1)
    choices = [n for n in pool if n not in used] or [n for n in range(100) if n not in used]
    return rng.choice(choices)


@dataclass(frozen=True)
class Player:
    """One player on a team's roster."""

    player_id: str
    name: str
    position: str
    starter: bool
    skill: float  # per-player variation in how often they feature; also FT% in basketball


@dataclass(frozen=True)
class Team:
    """A team as it plays in a game: name, home venue and roster."""

    team_id: str
    name: str
    venue: str
    players: tuple[Player, ...]


def _roster(sport: Sport, team_id: str) -> tuple[Player, ...]:
    """A team's players: the same for a team in every game (seeded by its id)."""
    rng = random.Random(f"scoreline-roster:{sport.value}:{team_id}")
    if sport == Sport.SOCCER:
        firsts, lasts = _FIRST_INTERNATIONAL, _LAST_INTERNATIONAL
    else:
        firsts, lasts = _FIRST_AMERICAN, _LAST_AMERICAN
    positions = _POSITIONS[sport]
    surnames = rng.sample(lasts, len(positions))
    starters = (
        11
        if sport == Sport.SOCCER
        else {Sport.BASKETBALL: 5, Sport.AMERICAN_FOOTBALL: len(positions), Sport.ICE_HOCKEY: 19}[
            sport
        ]
    )
    used: set[int] = set()
    players: list[Player] = []
    for index, (position, surname) in enumerate(zip(positions, surnames, strict=True)):
        number = _number(rng, sport, position, index < starters, used)
        used.add(number)
        players.append(
            Player(
                player_id=f"{team_id}-{number}",
                name=f"{rng.choice(firsts)} {surname}",
                position=position,
                starter=index < starters,
                skill=rng.uniform(0.7, 1.3),
            )
        )
    return tuple(players)


def build_team(sport: Sport, team: tuple[str, str]) -> Team:
    """The team ``(team_id, name)``: its built-in venue (or a made-up one) and roster."""
    team_id, name = team
    venue = next(
        (v for tid, _, v in TEAMS[sport] if tid == team_id), f"{name} {_VENUE_WORD[sport]}"
    )
    return Team(team_id, name, venue, _roster(sport, team_id))


def first_at(players: Sequence[Player], position: str) -> Player:
    """The first of ``players`` who plays ``position``."""
    return next(p for p in players if p.position == position)
