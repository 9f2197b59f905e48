"""``scoreline replay GAME_ID``: a finished game's replay stream, printed as readable lines.

Guarantees:
- One line per event the server's ``/games/{id}/replay`` stream sends, in its order, each
  written and flushed as it arrives: the offset on the game's original timeline, the
  version, the score after the event, the event type, and its team and description.
- The server's ``event: end`` gives one summary line and exit status 0.
- A refusal (404 unknown game, 409 not finished, 400 bad speed, any other non-200) or a
  service that cannot be reached gives one line on stderr and exit status 1.
- A stream that drops before ``end`` is resumed with ``Last-Event-ID`` (up to
  :data:`RECONNECTS` times in a row), so no event is printed twice or skipped.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import quote

import httpx

RECONNECTS = 5  # waits of 0.5, 1, 2, 4, 5 s between tries: rides out a restart
TIMEOUT = httpx.Timeout(10, read=60)  # the server pings every 15 s


class ReplayError(Exception):
    """The replay cannot be shown; the message is the one line to print."""


@dataclass
class Frame:
    event: str
    id: str | None
    data: str


@dataclass
class Progress:
    """How far a replay has got: what reconnecting resumes from."""

    last_id: str | None = None
    connected: bool = False
    printed: int = 0
    ended: bool = False


def replay_game(
    base_url: str,
    game_id: str,
    *,
    speed: float = 1.0,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Print the game's replay at ``speed``; the exit status (0 after ``end``, else 1)."""
    try:
        follow(base_url, game_id, speed, out, err)
    except ReplayError as error:
        err.write(f"scoreline replay: {error}\n")
        err.flush()
        return 1
    return 0


def follow(
    base_url: str, game_id: str, speed: float, out: TextIO, err: TextIO | None = None
) -> Progress:
    """Read the replay stream to its ``end``, resuming after drops; raises ReplayError.

    Each drop is noted once on ``err`` (if given) before the first attempt to resume.
    """
    url = f"{base_url.rstrip('/')}/games/{quote(game_id, safe='')}/replay"
    progress = Progress()
    drops = 0
    while True:
        before = progress.printed
        try:
            _read(url, speed, progress, out)
        except httpx.TransportError as error:
            if not progress.connected:
                raise ReplayError(f"cannot reach {url}: {error or type(error).__name__}") from None
            reason = str(error) or type(error).__name__
        else:
            if progress.ended:
                return progress
            reason = "the stream closed before its end"
        drops = 1 if progress.printed > before or not drops else drops + 1
        if drops > RECONNECTS:
            raise ReplayError(f"lost the replay after {progress.printed} events: {reason}")
        if drops == 1 and err is not None:
            _emit(
                err,
                f"scoreline replay: dropped after {progress.printed} events ({reason}); resuming",
            )
        time.sleep(min(0.25 * 2**drops, 5.0))


def _read(url: str, speed: float, progress: Progress, out: TextIO) -> None:
    headers = {"Accept": "text/event-stream"}
    if progress.last_id is not None:
        headers["Last-Event-ID"] = progress.last_id
    with httpx.stream(
        "GET", url, params={"speed": str(speed)}, headers=headers, timeout=TIMEOUT
    ) as response:
        if response.status_code != 200:
            response.read()
            raise ReplayError(_refusal(response))
        progress.connected = True
        last_state: dict[str, Any] | None = None
        for frame in frames(response.iter_lines()):
            if frame.event == "game_event":
                message = json.loads(frame.data)
                last_state = message["state"]
                _emit(out, describe(message))
                progress.printed += 1
                progress.last_id = frame.id
            elif frame.event == "end":
                _emit(out, summary(json.loads(frame.data), last_state, progress.printed))
                progress.ended = True
                return


def frames(lines: Iterable[str]) -> Iterator[Frame]:
    """Server-Sent Events frames from a stream's lines (comments skipped)."""
    event, event_id = "message", None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield Frame(event, event_id, "\n".join(data))
            event, event_id, data = "message", None, []
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "id":
                event_id = value
            elif name == "data":
                data.append(value)


def describe(message: dict[str, Any]) -> str:
    """One replayed event as a line: ``+0:01:05  v3    ars 1-0 che  GOAL  [ars] header``."""
    event, state = message["event"], message["state"]
    team = event.get("team_id")
    detail = " ".join(p for p in (f"[{team}]" if team else "", event.get("description")) if p)
    line = (
        f"{offset(float(message.get('offset_seconds') or 0))}  v{message['version']:<4} "
        f"{score(state)}  {event['event_type']:<16} {detail}"
    )
    return line.rstrip()


def summary(end: dict[str, Any], state: dict[str, Any] | None, printed: int) -> str:
    """The closing line, from the ``end`` frame and the last state seen."""
    where = f"{state['status']}, {score(state)}" if state is not None else "nothing to replay"
    return f"end: {where}; {printed} events shown, version {end.get('version')}"


def score(state: dict[str, Any]) -> str:
    home = state.get("home_team_name") or state["home_team_id"]
    away = state.get("away_team_name") or state["away_team_id"]
    text = f"{home} {state['home_score']}-{state['away_score']} {away}"
    if state.get("shootout_home") or state.get("shootout_away"):
        text += f" (shoot-out {state['shootout_home']}-{state['shootout_away']})"
    return text


def offset(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"+{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _refusal(response: httpx.Response) -> str:
    try:
        body = response.json()
        detail = body.get("detail") if isinstance(body, dict) else None
    except ValueError:
        detail = None
    text = detail or response.text.strip() or response.reason_phrase
    return f"{response.status_code} {response.reason_phrase}: {text}"


def _emit(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()
