"""Schemathesis against the ``/devices`` part of ``/openapi.json``: every generated
registration, valid or not, gets a documented answer (never a 5xx), a valid one is
registered as sent, and every refused body is kept raw in the rejected store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from entrypoints.composition import Services, build_in_memory
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from tests.integration.test_provider_api_fuzz import both_modes, fuzz_settings, session_for

BASE_URL = "http://testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def services() -> Iterator[Services]:
    # (rate limiting, a 429, is not what is fuzzed here: tests/integration/test_device_endpoints.py)
    built = build_in_memory(Settings(device_rate=1_000_000, device_burst=1_000_000))
    yield built
    built.close()


def test_device_endpoints_fuzz(services: Services) -> None:
    statuses: Counter[int] = Counter()
    with TestClient(create_app(services, run_workers=False), raise_server_exceptions=False) as c:
        session = session_for(c)
        config = schemathesis.Config.from_dict(
            {"checks": {"negative_data_rejection": {"expected-statuses": [400, 404, 413, 422]}}}
        )
        schema = schemathesis.openapi.from_dict(c.get("/openapi.json").json(), config=config)
        operations = [
            schema["/devices"]["POST"],
            schema["/devices/{token}"]["GET"],
            schema["/devices/{token}"]["DELETE"],
        ]

        @fuzz_settings(150)
        @given(case=st.one_of([both_modes(o) for o in operations]))
        def fuzz(case: Case[Any]) -> None:
            response = case.call(base_url=BASE_URL, session=session)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS, transport_kwargs={"base_url": BASE_URL})
            if case.method == "POST" and response.status_code in (200, 201):
                sent = response.json()
                shown = c.get(f"/devices/{sent['token']}")
                assert shown.status_code == 200 and shown.json() == sent
            if response.status_code in (400, 422):
                kept = services.rejected.get(response.json()["rejected_id"])
                assert kept is not None and kept.source == "devices"
                sent_body = response.request.body or b""
                raw = sent_body.encode() if isinstance(sent_body, str) else sent_body
                assert kept.body == raw  # raw, as it came

        fuzz()
    assert statuses[201] > 0 and statuses[422] > 0, statuses
