"""The one exception the ESPN adapter raises for input it refuses, and how it quotes input."""

from __future__ import annotations


class EspnScoreboardFormatError(ValueError):
    """The input is not an ESPN NFL scoreboard snapshot, or contradicts an earlier one."""


def show(value: object) -> str:
    """``repr(value)``, cut short: garbage input can be arbitrarily large."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
