"""The shared raw-field readers: for any JSON value, a typed value or the adapter's error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.provider_format import ProviderFormatError, RawFields, show
from tests.json_values import JSON


class ExampleFormatError(ProviderFormatError):
    pass


FIELDS = RawFields(ExampleFormatError)


@given(JSON, st.integers(-5, 5), st.none() | st.integers(-5, 10), st.booleans())
def test_integer_is_in_bounds_none_or_the_adapters_error(
    value: Any, low: int, high: int | None, required: bool
) -> None:
    try:
        read = FIELDS.integer({"k": value}, "k", "row 1", low, high, required=required)
    except ExampleFormatError as error:
        assert str(error).startswith("row 1: 'k' must be an integer")
        return
    if read is None:
        assert value is None and not required
    else:
        assert type(read) is int and low <= read and (high is None or read <= high)


@given(JSON)
def test_text_object_and_list_accept_only_their_shape(value: Any) -> None:
    raw = {"k": value}
    for read, shape in (
        (FIELDS.text, str),
        (FIELDS.optional_object, dict),
        (FIELDS.items, list),
    ):
        try:
            result = read(raw, "k", "here")
        except ExampleFormatError:
            assert value is not None and not isinstance(value, shape)
        else:
            assert value is None or isinstance(result, shape)


def test_required_fields_refuse_absence_naming_where_and_key() -> None:
    with pytest.raises(ExampleFormatError, match=r"^event 3: 'period' must be an integer 1\.\.9"):
        FIELDS.required_integer({}, "period", "event 3", 1, 9)
    with pytest.raises(ExampleFormatError, match="'team' must be an object, not None"):
        FIELDS.obj({}, "team", "event 3", required=True)
    assert FIELDS.obj({}, "team", "event 3") == {}


def test_show_cuts_long_input_short() -> None:
    assert show("x" * 1000).endswith("...") and len(show("x" * 1000)) == 60
    assert show(12) == "12"
