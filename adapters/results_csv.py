"""A season of soccer results as CSV -> Scoreline native events (``GameEvent.to_dict`` shape).

Input: ``matches.csv`` with the columns ``match_id, match_date, home_team_id,
away_team_id, home_score, away_score`` (others, like ``match_week``, are ignored) and
``teams.csv`` with ``team_id, team_name`` (the shape of shared/data's Premier League
2015/16 files). :func:`convert` is pure: it takes the two files' text.

What it guarantees for any input it does not refuse:
- One soccer game per match, with the stable id ``f"{league}-{season}-{match_id}"``;
  games come in (match_date, match_id) order, each game's events together.
- A game's events are GAME_SCHEDULED (teams' ids and names from teams.csv, ``league``,
  ``season``, ``start_time`` the match date as ISO 8601 ``YYYY-MM-DD``: the files give
  no kick-off time), GAME_STARTED (period 1), one GOAL per goal, then GAME_FINAL
  (period 2: decided in regulation). ``sequence_number`` runs 1..N in that order and
  event ids (``{game_id}:scheduled``, ``:started``, ``:goal:home:1``, ..., ``:final``)
  are distinct.
- Each GOAL's ``team_id`` is the scoring side, so the recorded final score is the CSV's.
  The files say nothing of when goals came or who scored: the home side's goals come
  first, without clock or player; descriptions give the running score.

Input it refuses raises :class:`ResultsCsvFormatError` (a ``ValueError``), never another
exception: text that is not CSV or lacks a required column; a row with too many or too
few fields; an empty or white-space-holding id; a duplicate ``team_id`` or
``match_id``; an empty team name; a date that is not ``YYYY-MM-DD``; a score that is not
0..99; a team id not in teams.csv, or a team playing itself; an empty or
white-space-holding ``league`` or ``season``; a game id over 200 characters.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from domain.sports import EventType, Sport

MATCH_COLUMNS = (
    "match_id",
    "match_date",
    "home_team_id",
    "away_team_id",
    "home_score",
    "away_score",
)
TEAM_COLUMNS = ("team_id", "team_name")
_ID = re.compile(r"[^\s\x1c-\x1f\x85\ufeff]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SCORE = re.compile(r"\d{1,2}")
MAX_ID_LENGTH = 200


class ResultsCsvFormatError(ValueError):
    """The input is not a results CSV this adapter reads (the message says where)."""


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


@dataclass(frozen=True)
class Match:
    match_id: str
    day: date
    home_team_id: str
    away_team_id: str
    home_score: int
    away_score: int


def _rows(text: object, name: str, columns: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of a CSV text with at least ``columns``; every row has every header."""
    if not isinstance(text, str):
        raise ResultsCsvFormatError(f"{name}: expected text, got {type(text).__name__}")
    try:
        reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), strict=True)
        header = next(reader, None)
        if header is None:
            raise ResultsCsvFormatError(f"{name}: empty file, no header")
        header = [h.strip() for h in header]
        missing = [c for c in columns if c not in header]
        if missing:
            raise ResultsCsvFormatError(f"{name}: header {_show(header)} lacks {missing}")
        for fields in reader:
            line = reader.line_num
            if not fields:
                continue  # a blank line
            if len(fields) != len(header):
                raise ResultsCsvFormatError(
                    f"{name} line {line}: {len(fields)} fields, the header has {len(header)}"
                )
            yield line, dict(zip(header, fields, strict=True))
    except csv.Error as error:
        raise ResultsCsvFormatError(f"{name}: not CSV: {error}") from None


def _id(value: str, where: str) -> str:
    if not _ID.fullmatch(value):
        raise ResultsCsvFormatError(f"{where}: {_show(value)} is not an id (empty or white space)")
    return value


def read_teams(text: object) -> dict[str, str]:
    """team_id -> team_name from teams.csv (see the module doc for what is refused)."""
    teams: dict[str, str] = {}
    for line, row in _rows(text, "teams.csv", TEAM_COLUMNS):
        where = f"teams.csv line {line}"
        team_id = _id(row["team_id"].strip(), f"{where} team_id")
        name = row["team_name"].strip()
        if not name:
            raise ResultsCsvFormatError(f"{where}: team {team_id!r} has no name")
        if team_id in teams:
            raise ResultsCsvFormatError(f"{where}: team_id {team_id!r} appears twice")
        teams[team_id] = name
    return teams


def read_matches(text: object, teams: dict[str, str]) -> list[Match]:
    """The matches of matches.csv, checked against ``teams``, in (date, match_id) order."""
    matches: dict[str, Match] = {}
    for line, row in _rows(text, "matches.csv", MATCH_COLUMNS):
        where = f"matches.csv line {line}"
        match_id = _id(row["match_id"].strip(), f"{where} match_id")
        if match_id in matches:
            raise ResultsCsvFormatError(f"{where}: match_id {match_id!r} appears twice")
        side = {key: row[key].strip() for key in ("home_team_id", "away_team_id")}
        for key, team_id in side.items():
            if team_id not in teams:
                raise ResultsCsvFormatError(f"{where}: {key} {_show(team_id)} is not in teams.csv")
        if side["home_team_id"] == side["away_team_id"]:
            raise ResultsCsvFormatError(f"{where}: team {side['home_team_id']!r} plays itself")
        matches[match_id] = Match(
            match_id,
            _date(row["match_date"].strip(), where),
            side["home_team_id"],
            side["away_team_id"],
            _score(row["home_score"].strip(), f"{where} home_score"),
            _score(row["away_score"].strip(), f"{where} away_score"),
        )
    return sorted(matches.values(), key=lambda m: (m.day, m.match_id))


def _date(value: str, where: str) -> date:
    try:
        if _DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ResultsCsvFormatError(f"{where}: match_date {_show(value)} is not a YYYY-MM-DD date")


def _score(value: str, where: str) -> int:
    if not _SCORE.fullmatch(value):
        raise ResultsCsvFormatError(f"{where}: {_show(value)} is not a score 0..99")
    return int(value)


def convert(
    matches_csv: object, teams_csv: object, *, league: str, season: str
) -> list[dict[str, Any]]:
    """Native events of every match of the season (see the module doc)."""
    _id(league, "league")
    _id(season, "season")
    teams = read_teams(teams_csv)
    events: list[dict[str, Any]] = []
    for match in read_matches(matches_csv, teams):
        events.extend(_game(match, teams, league, season))
    return events


def convert_files(matches: Path, teams: Path, *, league: str, season: str) -> list[dict[str, Any]]:
    """:func:`convert` of two files (UTF-8, a BOM allowed); unreadable ones are refused."""
    texts: list[str] = []
    for path in (matches, teams):
        try:
            texts.append(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as error:
            raise ResultsCsvFormatError(f"{path}: {error}") from None
    return convert(texts[0], texts[1], league=league, season=season)


def _game(match: Match, teams: dict[str, str], league: str, season: str) -> list[dict[str, Any]]:
    game_id = f"{league}-{season}-{match.match_id}"
    if len(game_id) > MAX_ID_LENGTH:
        raise ResultsCsvFormatError(f"game id {_show(game_id)} is over {MAX_ID_LENGTH} characters")
    home, away = teams[match.home_team_id], teams[match.away_team_id]
    out: list[dict[str, Any]] = []

    def emit(suffix: str, kind: EventType, description: str, **fields: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "event_id": f"{game_id}:{suffix}",
            "game_id": game_id,
            "sport": Sport.SOCCER.value,
            "sequence_number": len(out) + 1,
            "event_type": kind.value,
            "team_id": None,
            "player_id": None,
            "clock_seconds": None,
            "period": None,
            "description": description,
            "created_at": None,
            "references_event_id": None,
            **fields,
        }
        out.append(event)
        return event

    emit("scheduled", EventType.GAME_SCHEDULED, f"{home} v {away}")["schedule"] = {
        "home_team_id": match.home_team_id,
        "away_team_id": match.away_team_id,
        "home_team_name": home,
        "away_team_name": away,
        "venue": None,
        "start_time": match.day.isoformat(),
        "league": league,
        "season": season,
    }
    emit("started", EventType.GAME_STARTED, f"Kick-off: {home} v {away}", period=1)
    score = [0, 0]
    for side, team_id, name, goals in (
        (0, match.home_team_id, home, match.home_score),
        (1, match.away_team_id, away, match.away_score),
    ):
        for n in range(1, goals + 1):
            score[side] += 1
            label = "home" if side == 0 else "away"
            description = f"Goal {name} ({score[0]}-{score[1]})"
            emit(f"goal:{label}:{n}", EventType.GOAL, description, team_id=team_id)
    final = f"Full time: {home} {match.home_score}-{match.away_score} {away}"
    emit("final", EventType.GAME_FINAL, final, period=2)
    return out
