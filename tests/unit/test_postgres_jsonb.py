"""encode_jsonb: msgspec's JSON for the read models' jsonb parameters, the same values
as json.dumps's (adapters/postgres_jsonb.py)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.postgres_jsonb import encode_jsonb

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # any code point, lone surrogates included (json's text then)
)
keys = st.text() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(keys, inner, max_size=5)
    ),
    max_leaves=30,
)


def parsed(text: bytes | str) -> Any:
    return json.loads(text)


@given(values)
def test_any_json_value_is_written_as_json_dumps_writes_it(value: Any) -> None:
    assert parsed(encode_jsonb(value)) == parsed(json.dumps(value))


@given(values)
def test_what_msgspec_refuses_is_json_dumps_s_own_text(value: Any) -> None:
    import msgspec

    try:
        msgspec.json.encode(value)
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        assert encode_jsonb(value) == json.dumps(value).encode()


def test_keys_that_are_neither_strings_nor_numbers_fall_back_to_json() -> None:
    value = {True: 1, None: 2}
    assert encode_jsonb(value) == json.dumps(value).encode()


def test_a_lone_surrogate_falls_back_to_json() -> None:
    assert encode_jsonb({"d": "\ud800"}) == json.dumps({"d": "\ud800"}).encode()


def test_nan_and_infinities_become_null_where_json_would_write_what_postgresql_refuses() -> None:
    assert json.dumps([math.nan, math.inf]) == "[NaN, Infinity]"
    assert parsed(encode_jsonb([math.nan, math.inf, -math.inf])) == [None, None, None]
