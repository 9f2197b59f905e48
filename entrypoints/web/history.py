"""Historians' endpoints: a game's state as of a version, and a paced replay of a finished game.

``GET /games/{game_id}/state?at_version=N`` (routed here by :mod:`entrypoints.web.polling`)
- answers the state after the game's first ``N`` recorded events, folded with
  :class:`~domain.scoreboard.Scoreboard` exactly as the live stream folds them;
- the event store only appends, so that state never changes: it carries the strong ETag
  ``"vN"``, ``Cache-Control: public, max-age=31536000, immutable``, and a matching
  ``If-None-Match`` gets a 304;
- 400 problem+json for an ``at_version`` that is not an integer, is below 1, or is above
  the game's version (the detail says which, the last case with ``latest_version``);
  404 for a game with no recorded events.
- Without ``at_version`` the request is the live state (:mod:`entrypoints.web.polling`).

``GET /games/{game_id}/replay?speed=X`` (:func:`replay`)
- 404 for an unknown game; 409 for a game whose status is not FINAL; 400 unless ``speed``
  is a finite number > 0 (default 1).
- Otherwise an SSE stream: every recorded event above ``Last-Event-ID`` (header, or the
  ``last_event_id`` query parameter; an id above the game's version starts afresh) exactly
  once, in version order, as ``event: game_event`` with ``id:`` the version and data
  ``{"game_id", "version", "event", "state", "offset_seconds"}``: what the live stream sends,
  the state after the event, plus the event's offset on the original timeline. Then one
  ``event: end`` (data ``{"game_id", "version", "events", "timeline"}``) and the stream closes.
- Pacing: the first event goes at once; each next one follows after its original gap,
  capped at :data:`MAX_GAP_SECONDS`, divided by ``speed``. Waits are scheduled from the
  stream's start, so they do not drift: the whole replay takes sum(capped gaps) / speed.
- The timeline is the events' ``created_at`` (the provider's clock) when every event has
  a parsable one, else their ``recorded_at`` (the store's clock, always present). Times are
  taken as their running maximum, so an out-of-order timestamp adds no gap and
  offsets never go back.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.recorded_event import RecordedEvent
from domain.scoreboard import Scoreboard
from entrypoints.composition import Services
from entrypoints.web.problems import problem

MAX_GAP_SECONDS = 30.0
"""The longest original gap a replay reproduces (a half-time break plays as 30 s / speed)."""
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_LIMIT = 2**62


@dataclass(frozen=True)
class Step:
    """One recorded event as a replay sends it: its frame data, and when it goes."""

    version: int
    data: str
    wait_after_start: float  # original seconds from the first event, gaps capped, unscaled


async def state_at(request: Request) -> Response:
    """The game's state after its first ``at_version`` recorded events (see the module doc)."""
    services: Services = request.app.state.services
    game_id = request.path_params["game_id"]
    raw = request.query_params.get("at_version", "")
    try:
        wanted = int(raw)
    except ValueError:
        return _bad_version(f"at_version must be an integer, not {raw!r}")
    if wanted < 1:
        return _bad_version(f"at_version must be >= 1 (version 1 is the first event), not {wanted}")
    limit = min(wanted, MAX_LIMIT)  # a store's LIMIT is a 64-bit integer
    recorded = await asyncio.to_thread(services.scorekeeper.recorded_events, game_id, 0, limit)
    if not recorded:
        return _unknown(game_id)
    latest = recorded[-1].version
    if latest < wanted:
        return _bad_version(
            f"game {game_id!r} is at version {latest}; at_version {wanted} is beyond it",
            latest_version=latest,
        )
    board = _fold(recorded)
    tag = f'"v{wanted}"'
    headers = {"ETag": tag, "Cache-Control": IMMUTABLE}
    if _matches(request, tag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(board.public(), headers=headers)


async def replay(request: Request) -> Response:
    """A finished game's recorded events over SSE at ``speed`` times their original pace."""
    services: Services = request.app.state.services
    game_id = request.path_params["game_id"]
    raw = request.query_params.get("speed", "1")
    try:
        speed = float(raw)
    except ValueError:
        speed = math.nan
    if not (math.isfinite(speed) and speed > 0):
        return problem(
            400,
            "Bad speed",
            f"speed must be a finite number > 0 (1 is the original pace), not {raw!r}",
            errors=[{"pointer": "speed", "detail": f"{raw!r} is not a speed > 0"}],
        )
    recorded = await asyncio.to_thread(services.scorekeeper.recorded_events, game_id)
    if not recorded:
        return _unknown(game_id)
    steps, status, timeline = _plan(game_id, recorded)
    if status != "FINAL":
        return problem(
            409,
            "Game not finished",
            f"game {game_id!r} is {status}; only a FINAL game can be replayed",
            kind="game-not-final",
            game_status=status,
        )
    head = steps[-1].version
    after = _last_event_id(request)
    if after is None or after > head:
        after = 0
    todo = [s for s in steps if s.version > after]

    async def frames() -> AsyncIterator[ServerSentEvent]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        origin = todo[0].wait_after_start if todo else 0.0
        for step in todo:
            delay = started + (step.wait_after_start - origin) / speed - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            yield ServerSentEvent(step.data, event="game_event", id=str(step.version))
        end = {"game_id": game_id, "version": head, "events": len(todo), "timeline": timeline}
        yield ServerSentEvent(json.dumps(end), event="end")

    return EventSourceResponse(frames(), ping=15, headers={"Cache-Control": "no-cache"})


def _fold(recorded: Sequence[RecordedEvent]) -> Scoreboard:
    board = Scoreboard.scheduled(recorded[0].event)
    for r in recorded:
        board.apply(r.event, r.version)
    return board


def _plan(game_id: str, recorded: Sequence[RecordedEvent]) -> tuple[list[Step], str, str]:
    """Every event's frame and unscaled send time; the final status; the timeline's name."""
    times, timeline = _timeline(recorded)
    board = Scoreboard.scheduled(recorded[0].event)
    steps: list[Step] = []
    waited = 0.0
    for i, r in enumerate(recorded):
        board.apply(r.event, r.version)
        if i:
            waited += min(times[i] - times[i - 1], MAX_GAP_SECONDS)
        message: dict[str, Any] = {
            "game_id": game_id,
            "version": r.version,
            "event": r.event.to_dict(),
            "state": board.public(),
            "offset_seconds": round(times[i] - times[0], 3),
        }
        steps.append(Step(r.version, json.dumps(message), waited))
    return steps, board.status, timeline


def _timeline(recorded: Sequence[RecordedEvent]) -> tuple[list[float], str]:
    """Each event's time in seconds, as a running maximum, and which clock gave them."""
    created = [_seconds(r.event.created_at) for r in recorded]
    if all(t is not None for t in created):
        chosen, name = [t for t in created if t is not None], "created_at"
    else:
        stored = [_seconds(r.recorded_at) for r in recorded]
        chosen, name = [t if t is not None else 0.0 for t in stored], "recorded_at"
    running: list[float] = []
    for t in chosen:
        running.append(max(t, running[-1]) if running else t)
    return running, name


def _seconds(stamp: str | None) -> float | None:
    """An ISO 8601 timestamp as POSIX seconds (naive means UTC); None if it is not one."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _matches(request: Request, tag: str) -> bool:
    """If-None-Match's weak comparison: ``W/"v3"`` and ``*`` match ``"v3"`` too."""
    header = request.headers.get("if-none-match", "")
    candidates = [t.strip().removeprefix("W/") for t in header.split(",")]
    return tag in candidates or "*" in candidates


def _last_event_id(request: Request) -> int | None:
    """The version a reconnecting client last saw; None if absent or not a version."""
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return None
    return int(text)


def _bad_version(detail: str, **extra: Any) -> Response:
    return problem(
        400,
        "Bad at_version",
        detail,
        errors=[{"pointer": "at_version", "detail": detail}],
        **extra,
    )


def _unknown(game_id: str) -> Response:
    return problem(
        404, "Unknown game", f"no game {game_id!r} has been recorded", kind="unknown-game"
    )
