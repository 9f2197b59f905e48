"""``scoreline serve``'s uvicorn configuration: which roles answer polls in the protocol."""

from __future__ import annotations

import pytest

from entrypoints.cli.serving import uvicorn_config
from entrypoints.settings import ROLES, Settings
from entrypoints.web.poll_protocol import PollProtocol
from entrypoints.web.state_snapshot import Snapshot


class Held:
    def peek(self, game_id: str) -> Snapshot | None:
        return None


@pytest.mark.parametrize("role", ROLES)
def test_roles_that_serve_fans_answer_held_polls_in_the_protocol(role: str) -> None:
    held = Held()
    config = uvicorn_config(Settings(role=role), object(), held, "warning")
    assert isinstance(config.http, type) and issubclass(config.http, PollProtocol)
    expected = held if role in ("all", "gateway") else None
    assert config.http.near_cache is expected
    assert config.server_header is False
    assert config.access_log is False


def test_each_config_gets_its_own_protocol_class() -> None:
    first = uvicorn_config(Settings(role="gateway"), object(), Held(), "warning").http
    second = uvicorn_config(Settings(role="gateway"), object(), Held(), "warning").http
    assert first is not second


def test_survivors_of_the_middle_generation_are_set_aside_until_a_full_collection() -> None:
    import gc

    from entrypoints.garbage_collection import LongLivedSetAside

    was_frozen = gc.get_freeze_count()
    collector = LongLivedSetAside()
    collector.install()
    try:
        kept = [[n] for n in range(10_000)]
        gc.collect(1)
        assert gc.get_objects(2) == []  # nothing left for a full collection to walk
        frozen = gc.get_freeze_count()
        assert frozen >= len(kept)

        class Node:
            other: object = None

        first, second = Node(), Node()
        first.other, second.other = second, first  # a cycle, long-lived, then garbage
        gc.collect(1)
        assert gc.get_freeze_count() > frozen
        del first, second
        assert collector.collect_fully() >= 2  # found though it was set aside
        assert gc.get_objects(2) == []
    finally:
        collector.remove()
        if was_frozen == 0:
            gc.unfreeze()
    assert collector._after_collection not in gc.callbacks
