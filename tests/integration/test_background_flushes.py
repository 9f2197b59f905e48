"""PostgreSQL rebuilds whose shadow copies flush often, in the background
(projections/write_behind.py ``background``, the process's one write-behind thread):
audit finds every model equal, and a rebuild swaps in exactly the live rows, for any
flush interval. (At the default interval a small log never flushes before the swap.)"""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entrypoints import read_model_commands
from entrypoints.read_model_commands import audit, rebuild
from entrypoints.read_model_registry import POSTGRES_READ_MODELS
from tests.integration.test_rebuild_and_audit import postgres_deployment, run, scripts


def often(flush_every: int) -> dict[str, Any]:
    """The PostgreSQL models, their buffers flushing every ``flush_every`` notifications."""
    models = {}
    for name, model in POSTGRES_READ_MODELS.items():
        assert isinstance(model.buffer, partial) and model.buffer.keywords == {"background": True}
        buffer = partial(model.buffer.func, background=True, flush_every=flush_every)
        models[name] = dataclasses.replace(model, buffer=buffer)
    return models


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(flush_every=st.integers(1, 120))
def test_frequent_background_flushes_rebuild_the_live_rows(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flush_every: int
) -> None:
    deployment = postgres_deployment(postgres_url, tmp_path, scripts(3))
    try:
        deployment.catch_up()
        with monkeypatch.context() as patch:
            patch.setattr(read_model_commands, "POSTGRES_READ_MODELS", often(flush_every))
            status, report = run(audit, deployment.settings)
            assert status == 0, report
            assert report.count(": equal") == len(POSTGRES_READ_MODELS), report
            before = deployment.states()
            status, output = run(rebuild, deployment.settings, "all", False)
            assert status == 0, output
            assert deployment.states() == before == deployment.expected()
        status, report = run(audit, deployment.settings)  # the default buffers agree
        assert status == 0 and report.count(": equal") == len(POSTGRES_READ_MODELS), report
    finally:
        deployment.close()
