"""Where the real feeds live (../shared/data beside the checkout), and skipping without them."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_file(relative: str) -> Path:
    """The path of a real data file; the test is skipped, saying why, if it is absent."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"real data file {path} is not there (../shared/data beside the checkout)")
    return path
