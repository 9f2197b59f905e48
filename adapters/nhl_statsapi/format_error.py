"""The one exception the NHL statsapi adapter raises for input it refuses, and how it quotes."""

from __future__ import annotations

from adapters.provider_format import ProviderFormatError, show

__all__ = ["NhlStatsapiFormatError", "show"]


class NhlStatsapiFormatError(ProviderFormatError):
    """The input is not an NHL statsapi game feed (or not one Scoreline can score)."""
