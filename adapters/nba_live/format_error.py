"""The one exception the NBA live adapter raises for input it refuses, and how it quotes input."""

from __future__ import annotations


class NbaLiveFormatError(ValueError):
    """The input is not an NBA live play-by-play feed (or not one Scoreline can score)."""


def show(value: object) -> str:
    """``repr(value)``, cut short: garbage input can be arbitrarily large."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
