"""The one exception the stats.nba.com adapter raises for input it refuses, and how it quotes."""

from __future__ import annotations


class NbaStatsFormatError(ValueError):
    """The input is not a stats.nba.com play-by-play (or summary) Scoreline can score."""


def show(value: object) -> str:
    """``repr(value)``, cut short: garbage input can be arbitrarily large."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
