"""The one exception the ESPN adapter raises for input it refuses, and how it quotes input."""

from __future__ import annotations

from adapters.provider_format import ProviderFormatError, show

__all__ = ["EspnScoreboardFormatError", "show"]


class EspnScoreboardFormatError(ProviderFormatError):
    """The input is not an ESPN NFL scoreboard snapshot, or contradicts an earlier one."""
