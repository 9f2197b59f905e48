"""The JSON log formatter: one valid JSON object per record, with role and extras."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from entrypoints.json_logs import JsonFormatter, configure_json_logging


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("recorder"))
    logger = logging.getLogger("scoreline.test.json_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    parsed: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines()]
    return parsed


def test_fixed_fields(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("recorded %d events for %s", 3, "g1")
    [entry] = lines(stream)
    assert entry["message"] == "recorded 3 events for g1"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "scoreline.test.json_logs"
    assert entry["role"] == "recorder"
    assert entry["ts"].endswith("Z")
    moment = datetime.fromisoformat(entry["ts"].replace("Z", "+00:00"))
    assert moment.utcoffset() == timedelta(0)
    assert "exception" not in entry


def test_every_extra_field_is_kept(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.warning(
        "event refused",
        extra={"game_id": "g1", "event_id": "e7", "partition": 0, "detail": {"a": [1, 2]}},
    )
    [entry] = lines(stream)
    assert entry["game_id"] == "g1"
    assert entry["event_id"] == "e7"
    assert entry["partition"] == 0
    assert entry["detail"] == {"a": [1, 2]}
    assert "args" not in entry and "msg" not in entry and "levelno" not in entry


def test_extras_never_overwrite_fixed_fields(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("hello", extra={"role": "impostor", "level": "x", "ts": 0})
    [entry] = lines(stream)
    assert entry["role"] == "recorder"
    assert entry["level"] == "INFO"
    assert entry["extra_role"] == "impostor"
    assert entry["extra_level"] == "x"
    assert entry["extra_ts"] == 0


def test_values_json_cannot_hold_become_strings(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured

    class Thing:
        def __str__(self) -> str:
            return "a thing"

    logger.info("odd", extra={"thing": Thing(), "raw": b"\x00\xff"})
    [entry] = lines(stream)
    assert entry["thing"] == "a thing"
    assert isinstance(entry["raw"], str)


def test_exception_is_one_string_field(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        logger.exception("cannot record", extra={"game_id": "g1"})
    [entry] = lines(stream)
    assert entry["message"] == "cannot record"
    assert entry["level"] == "ERROR"
    assert isinstance(entry["exception"], str)
    assert "Traceback" in entry["exception"]
    assert "ValueError: bad" in entry["exception"]
    assert entry["game_id"] == "g1"


def test_stack_info_is_a_string_field(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("where am I", stack_info=True)
    [entry] = lines(stream)
    assert "test_stack_info_is_a_string_field" in entry["stack"]


@pytest.mark.parametrize(
    "message",
    [
        "line one\nline two\r\nthree",
        'quotes " and \\ backslashes',
        "unicode: Zürich \u2013 東京 ⚽ \u2028 \u2029 \x85",
        "\x00 control \x1b[31m chars",
        "{not: json}",
        "",
    ],
)
def test_odd_messages_stay_one_valid_line(
    captured: tuple[logging.Logger, io.StringIO], message: str
) -> None:
    logger, stream = captured
    logger.info(message)
    logger.info("%s", message)
    text = stream.getvalue()
    assert text.count("\n") == 2
    assert len(text.splitlines()) == 2  # splitlines also breaks on \u2028, \x85, ...
    for entry in lines(stream):
        assert entry["message"] == message


def test_a_percent_in_a_message_without_args(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("100% done")
    [entry] = lines(stream)
    assert entry["message"] == "100% done"


def test_configure_json_logging_sends_every_logger_as_json() -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    try:
        handler = configure_json_logging("debug", "gateway", stream=stream)
        assert root.handlers == [handler]
        assert root.level == logging.DEBUG
        # Loggers of their own: other tests may have set levels on the real ones.
        logging.getLogger("test_json_logs.server").info("started")
        logging.getLogger("test_json_logs.recorder").debug("x", extra={"event_id": "e1"})
        first, second = lines(stream)
        assert first["logger"] == "test_json_logs.server" and first["role"] == "gateway"
        assert second["event_id"] == "e1" and second["level"] == "DEBUG"
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved_handlers:
            root.addHandler(h)
        root.setLevel(saved_level)
        logging.captureWarnings(False)
