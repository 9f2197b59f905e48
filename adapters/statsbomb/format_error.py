"""The one exception the StatsBomb adapter raises for input it refuses, and how it quotes input."""

from __future__ import annotations


class StatsBombFormatError(ValueError):
    """The input is not a StatsBomb events file (or does not match the teams given)."""


def show(value: object) -> str:
    """``repr(value)``, cut short: garbage input can be arbitrarily large."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
