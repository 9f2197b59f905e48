"""Structured logs: one JSON object per line, for every record of the process.

Each line has ``ts`` (ISO 8601, UTC, milliseconds), ``level``, ``logger``,
``message``, ``role`` (which part of Scoreline this process plays), and every
field given with ``extra=`` (``game_id``, ``event_id``, ...), so that a line about
an event can be found by the event::

    log.warning("event refused", extra={"game_id": e.game_id, "event_id": e.event_id})

An exception is one string field, ``exception`` (its traceback); ``stack`` likewise.
Values JSON cannot hold are written as their ``str``. An ``extra`` field named like
one of the fixed fields is kept as ``extra_<name>``. Pure stdlib.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# Attributes every LogRecord has: whatever else a record carries came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's coloured copy of the message
}
FIXED = ("ts", "level", "logger", "message", "role")


class JsonFormatter(logging.Formatter):
    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "role": self.role,
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            entry[f"extra_{key}" if key in FIXED else key] = value
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
            entry["exception"] = record.exc_text
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ensure_ascii: no character in the line that any reader could take for a line break
        return json.dumps(entry, default=str, ensure_ascii=True)


def _timestamp(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def configure_json_logging(
    level: int | str, role: str, *, stream: TextIO | None = None
) -> logging.Handler:
    """Send every log record of the process, as JSON lines, to ``stream`` (stderr).

    Replaces the root logger's handlers; loggers that propagate (uvicorn's do when
    it is given ``log_config=None``) come out the same way. Returns the handler.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(role))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    logging.captureWarnings(True)
    return handler
