"""Session-wide real services (see tests/services.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services import Tansu, postgres_database, redis_prefix


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_service() -> Iterator[tuple[str, str]]:
    """(redis url, key/channel prefix of this run)."""
    with redis_prefix() as found:
        yield found


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    broker = Tansu().start()
    yield broker.bootstrap
    broker.stop()
