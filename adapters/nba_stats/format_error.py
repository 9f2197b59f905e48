"""The one exception the stats.nba.com adapter raises for input it refuses, and how it quotes."""

from __future__ import annotations

from adapters.provider_format import ProviderFormatError, show

__all__ = ["NbaStatsFormatError", "show"]


class NbaStatsFormatError(ProviderFormatError):
    """The input is not a stats.nba.com play-by-play (or summary) Scoreline can score."""
