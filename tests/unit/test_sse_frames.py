"""SSE frames as encoded once for every subscriber: any data reads back whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.web.fanout.frames import DRAINING, FALLING_BEHIND, RetryHints, encode_event


def parse(frame: bytes) -> tuple[int | None, str, bytes]:
    """(id, event, data) of one frame, as an EventSource reads it."""
    assert frame.endswith(b"\n\n")
    ident, event, data = None, "message", []
    for line in frame[:-2].split(b"\n"):
        name, _, value = line.partition(b": ")
        if name == b"id":
            ident = int(value)
        elif name == b"event":
            event = value.decode()
        elif name == b"data":
            data.append(value)
    return ident, event, b"\n".join(data)


@given(
    st.binary().filter(lambda b: b"\r" not in b and not b.endswith(b"\n")),
    st.integers(min_value=0, max_value=10**9),
)
def test_any_data_reads_back_with_its_id_and_event(data: bytes, version: int) -> None:
    frame = encode_event(data, event="game_event", event_id=version)
    assert parse(frame) == (version, "game_event", data)


def test_retry_hints_are_jittered_within_their_range_and_end_the_response() -> None:
    for hints, low, high in ((DRAINING, 500, 10_000), (FALLING_BEHIND, 1000, 5000)):
        values = {int(m["body"].split(b"\n")[0][len(b"retry: ") :]) for m in hints.variants}
        assert len(values) > 8 and low <= min(values) and max(values) <= high
        assert all(m["more_body"] is False for m in hints.variants)
    opening = RetryHints("welcome", 1000, 3000, more=True)
    assert all(m["more_body"] is True for m in opening.variants)
