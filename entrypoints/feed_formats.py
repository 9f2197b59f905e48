"""The provider formats ``scoreline feed convert`` knows, each a thin call into its adapter."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Events = list[dict[str, Any]]


class ConvertError(Exception):
    """The input cannot be converted; the message says why."""


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ConvertError(f"{path}: {error}") from None


def _one(args: argparse.Namespace) -> Any:
    if len(args.paths) != 1:
        raise ConvertError(f"--format {args.format} takes one file")
    return _load(args.paths[0])


def _statsbomb(args: argparse.Namespace) -> Events:
    from adapters.statsbomb import StatsBombFormatError, convert

    if not (args.game_id and args.home_team and args.away_team):
        raise ConvertError("--format statsbomb needs --game-id, --home-team and --away-team")
    try:
        return convert(
            _one(args),
            game_id=args.game_id,
            home_team=args.home_team,
            away_team=args.away_team,
            league=args.league,
            season=args.season,
        )
    except (StatsBombFormatError, ValueError) as error:
        raise ConvertError(str(error)) from None


def _espn(args: argparse.Namespace) -> Events:
    from adapters.espn_scoreboard import EspnScoreboardFormatError, convert

    try:
        return convert([_load(p) for p in args.paths])
    except EspnScoreboardFormatError as error:
        raise ConvertError(str(error)) from None


def _results_csv(args: argparse.Namespace) -> Events:
    from adapters.results_csv import ResultsCsvFormatError, convert_files

    matches, teams = getattr(args, "matches", None), getattr(args, "teams", None)
    if args.paths or not (matches and teams and args.league and args.season):
        raise ConvertError(
            "--format results-csv takes no FILE: it needs --matches, --teams, --league, --season"
        )
    try:
        return convert_files(matches, teams, league=args.league, season=args.season)
    except ResultsCsvFormatError as error:
        raise ConvertError(str(error)) from None


def _by_module(module: str, error_name: str) -> Callable[[argparse.Namespace], Events]:
    def run(args: argparse.Namespace) -> Events:
        import importlib

        adapter = importlib.import_module(module)
        error: type[Exception] = getattr(adapter, error_name)
        try:
            events: Events = adapter.convert(_one(args), game_id=args.game_id)
        except error as failure:
            raise ConvertError(str(failure)) from None
        return events

    return run


FORMATS: dict[str, Callable[[argparse.Namespace], Events]] = {
    "statsbomb": _statsbomb,
    "nba-live": _by_module("adapters.nba_live", "NbaLiveFormatError"),
    "nba-stats": _by_module("adapters.nba_stats", "NbaStatsFormatError"),
    "nhl-statsapi": _by_module("adapters.nhl_statsapi", "NhlStatsapiFormatError"),
    "espn-scoreboard": _espn,
    "results-csv": _results_csv,
}
