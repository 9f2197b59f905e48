"""The one exception the NHL statsapi adapter raises for input it refuses, and how it quotes."""

from __future__ import annotations


class NhlStatsapiFormatError(ValueError):
    """The input is not an NHL statsapi game feed (or not one Scoreline can score)."""


def show(value: object) -> str:
    """``repr(value)``, cut short: garbage input can be arbitrarily large."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
