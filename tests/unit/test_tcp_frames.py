"""The TCP feed's frames: decoding never raises, encoding round-trips; cumulative acks."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.tcp_feed.acked import AckedSequences
from entrypoints.tcp_feed.protocol import (
    Ack,
    Auth,
    BlankLine,
    Error,
    EventsFrame,
    FrameError,
    Hello,
    Ping,
    Pong,
    Problem,
    Ready,
    ServerFrame,
    auth_signature,
    decode_client_frame,
    decode_server_frame,
    encode,
    signature_matches,
)

names = st.text(st.characters(blacklist_categories=["Z", "Cc", "Cs"]), min_size=1, max_size=30)
texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)
server_frames: st.SearchStrategy[ServerFrame] = st.one_of(
    st.builds(Hello, st.text("0123456789abcdef", min_size=32, max_size=32), st.floats(0.1, 60)),
    st.builds(Ready, st.dictionaries(names, st.integers(0, 10_000_000), max_size=5)),
    st.builds(Ack, names, st.integers(0, 10_000_000), st.integers(1, 10**9), st.integers(0, 1000)),
    st.builds(
        Error,
        st.sampled_from(["invalid", "conflict", "bad-json", "too-long"]),
        texts,
        pointer=st.none() | texts,
        line=st.none() | st.integers(1, 10**9),
        errors=st.lists(st.builds(Problem, texts, texts), max_size=3).map(tuple),
        rejected_id=st.none() | st.integers(1, 10**9),
        close=st.booleans(),
    ),
    st.just(Ping()),
    st.just(Pong()),
)


@given(st.binary(max_size=2000))
def test_any_bytes_decode_to_a_frame_or_a_clear_error(data: bytes) -> None:
    client = decode_client_frame(data)
    assert isinstance(client, Auth | Ping | Pong | EventsFrame | BlankLine | FrameError)
    if isinstance(client, FrameError):
        assert client.code in ("bad-json", "bad-frame") and client.detail
    server = decode_server_frame(data)
    assert isinstance(server, Hello | Ready | Ack | Error | Ping | Pong | FrameError)


@given(json_values, st.sampled_from([None, "auth", "ping", "pong", "hello", "nope", 5]))
def test_any_json_is_a_frame_or_a_clear_error(value: Any, kind: Any) -> None:
    if kind is not None and isinstance(value, dict):
        value = {**value, "type": kind}
    frame = decode_client_frame(json.dumps(value).encode() + b"\r\n")
    if isinstance(value, list) or (isinstance(value, dict) and "type" not in value):
        assert isinstance(frame, EventsFrame)  # the native format parser judges those
    elif isinstance(value, dict) and value["type"] is None:
        assert isinstance(frame, EventsFrame)
    else:
        assert isinstance(frame, Auth | Ping | Pong | FrameError)
        assert not isinstance(frame, FrameError) or frame.code == "bad-frame"


def test_nesting_too_deep_is_an_error_not_a_crash() -> None:
    for data in (b"[" * 100_000, b'{"a":' + b"[" * 100_000, b'{"type":"ping","x":' + b"[" * 10**5):
        frame = decode_client_frame(data)
        assert isinstance(frame, FrameError) and frame.code == "bad-json"
        assert isinstance(decode_server_frame(data), FrameError)


@given(server_frames)
def test_server_frames_are_one_line_and_round_trip(frame: ServerFrame) -> None:
    line = encode(frame)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_server_frame(line) == frame
    assert json.loads(line)["type"] == type(frame).__name__.lower()


@given(names.filter(lambda n: " " not in n), texts, st.lists(names, max_size=3))
def test_auth_round_trips_or_is_refused_clearly(provider: str, secret: str, games: Any) -> None:
    frame = Auth(provider, auth_signature(secret, "ab" * 16), tuple(games))
    decoded = decode_client_frame(encode(frame))
    if all(not c.isspace() for name in [provider, *games] for c in name):
        assert decoded == frame
    else:
        assert isinstance(decoded, FrameError) and decoded.code == "bad-frame"


@given(json_values)
def test_an_events_frame_is_one_line_whatever_its_json_layout(value: Any) -> None:
    body = json.dumps([value], indent=2).encode()
    line = encode(EventsFrame(body))
    assert line.count(b"\n") == 1
    assert json.loads(line) == [value]


def test_examples() -> None:
    assert decode_client_frame(b"\n") == BlankLine()
    assert decode_client_frame(b'{"type": "ping"}\n') == Ping()
    assert decode_client_frame(b'[{"event_id": "e1"}]') == EventsFrame(b'[{"event_id": "e1"}]')
    error = decode_client_frame(b'{"type": "auth", "provider": "acme"}')
    assert isinstance(error, FrameError) and error.code == "bad-frame"
    assert "signature" in error.detail
    unknown = decode_client_frame(b'{"type": "subscribe"}')
    assert unknown == FrameError("bad-frame", "Invalid value 'subscribe'", "$.type")
    assert isinstance(decode_client_frame(b"{'single': 'quotes'}"), FrameError)
    assert encode(Ack("g1", 7, line=3, accepted=1)) == (
        b'{"type":"ack","game_id":"g1","sequence_number":7,"line":3,"accepted":1}\n'
    )


@given(texts, st.text("0123456789abcdef", min_size=32, max_size=32))
def test_a_signature_matches_only_its_secret_and_nonce(secret: str, nonce: str) -> None:
    signature = auth_signature(secret, nonce)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert signature_matches(secret, nonce, signature)
    assert not signature_matches(secret + "x", nonce, signature)
    assert not signature_matches(secret, nonce[::-1] + "0", signature)
    assert not signature_matches(secret, nonce, signature.upper())
    assert not signature_matches(secret, nonce, "ünïcode")


@given(st.lists(st.integers(1, 40), max_size=60), st.integers(0, 10))
def test_the_ack_is_the_highest_contiguous_sequence_marked(marks: list[int], floor: int) -> None:
    acked = AckedSequences()
    acked.raise_floor("g", floor)
    seen: set[int] = set(range(1, floor + 1))
    previous = acked.contiguous("g")
    for seq in marks:
        position = acked.mark("g", [seq])
        seen.add(seq)
        expected = 0
        while expected + 1 in seen:
            expected += 1
        assert position == expected == acked.contiguous("g")
        assert position >= previous
        previous = position


def test_acked_sequences_stay_bounded() -> None:
    acked = AckedSequences(max_games=3, max_held=5)
    for game in "abcd":
        acked.mark(game, [1])
    assert acked.games() == ["b", "c", "d"]
    acked.mark("b", list(range(3, 20)))
    assert acked.contiguous("b") == 1
    assert acked.mark("b", [2]) == 7  # 3..7 were kept, the higher ones forgotten
    assert acked.snapshot() == {"c": 1, "d": 1, "b": 7}
