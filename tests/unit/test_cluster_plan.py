"""``scoreline cluster``'s plan: every role's members on consecutive ports, and with
``--split-read-models`` each projector as two processes writing disjoint read models
that together are all of them."""

from __future__ import annotations

from entrypoints.cluster import plan
from entrypoints.settings import READ_MODELS, parse_read_models

COUNTS = {"ingest": 2, "recorder": 1, "projector": 2, "gateway": 1}


def test_members_are_in_role_order_on_consecutive_ports() -> None:
    members = plan(COUNTS, 9000)
    assert [(r, p) for r, p, _ in members] == [
        ("ingest", 9000),
        ("ingest", 9001),
        ("recorder", 9002),
        ("projector", 9003),
        ("projector", 9004),
        ("gateway", 9005),
    ]
    assert all(options == [] for _, _, options in members)


def test_split_projectors_write_every_read_model_once_each_pair() -> None:
    members = plan(COUNTS, 9000, split_read_models=True)
    projectors = [options for role, _, options in members if role == "projector"]
    assert len(projectors) == 4
    assert [p for _, p, _ in members] == list(range(9000, 9000 + len(members)))
    for pair in (projectors[:2], projectors[2:]):
        written = [parse_read_models(options[1]) for options in pair]
        assert all(options[0] == "--read-models" for options in pair)
        assert not written[0] & written[1]
        assert written[0] | written[1] == frozenset(READ_MODELS)
