"""The one exception the StatsBomb adapter raises for input it refuses, and how it quotes input."""

from __future__ import annotations

from adapters.provider_format import ProviderFormatError, show

__all__ = ["StatsBombFormatError", "show"]


class StatsBombFormatError(ProviderFormatError):
    """The input is not a StatsBomb events file (or does not match the teams given)."""
