"""The one exception the NBA live adapter raises for input it refuses, and how it quotes input."""

from __future__ import annotations

from adapters.provider_format import ProviderFormatError, show

__all__ = ["NbaLiveFormatError", "show"]


class NbaLiveFormatError(ProviderFormatError):
    """The input is not an NBA live play-by-play feed (or not one Scoreline can score)."""
