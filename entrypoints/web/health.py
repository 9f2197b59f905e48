"""``GET /healthz`` (the process is alive) and ``GET /readyz`` (it can serve now).

Readiness runs named checks concurrently, each bounded by a timeout, so ``/readyz``
answers within about that timeout whatever hangs. A check is an async callable that
returns None when all is well and raises (any exception) to say what is wrong.
Ready: 200 ``{"status": "ready", "checks": {name: "ok"}}``. Not ready: 503
problem+json whose ``failed`` lists the failing checks and ``checks`` says why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.ports import StateCache
from domain.scorekeeper import Scorekeeper
from entrypoints.composition import WORKERS, Services
from entrypoints.metrics import projector_lag
from entrypoints.web.problems import problem
from projections.follower import LogFollower

Check = Callable[[], Awaitable[None]]
Endpoint = Callable[[Request], Awaitable[Response]]

CHECK_TIMEOUT = 2.0
MAX_PROJECTOR_LAG = 1000  # notifications; generous, so readiness does not flap under load


class NotReady(Exception):
    """Raised by a check: the message says what is wrong."""


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def _run(check: Check, timeout: float) -> str:
    try:
        await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        return f"timed out after {timeout:g} s"
    except Exception as error:
        return str(error) or type(error).__name__
    return "ok"


def readyz_endpoint(checks: Mapping[str, Check], *, timeout: float = CHECK_TIMEOUT) -> Endpoint:
    """The ``/readyz`` endpoint over ``checks`` (name -> check)."""
    named = dict(checks)

    async def readyz(request: Request) -> Response:
        results = await asyncio.gather(*(_run(c, timeout) for c in named.values()))
        outcome = dict(zip(named, results, strict=True))
        failed = [name for name, result in outcome.items() if result != "ok"]
        headers = {"Cache-Control": "no-store"}
        if failed:
            return problem(
                503,
                "Not ready",
                "failing: " + ", ".join(failed),
                kind="not-ready",
                headers=headers,
                failed=failed,
                checks=outcome,
            )
        return JSONResponse({"status": "ready", "checks": outcome}, headers=headers)

    return readyz


# ------------------------------------------------------------------ checks
def caught_up(lag: Callable[[], int], bound: int, *, what: str = "behind") -> Check:
    """Passes while ``lag()`` (blocking allowed: it runs in a thread) is within ``bound``."""

    async def check() -> None:
        behind = await asyncio.to_thread(lag)
        if behind > bound:
            raise NotReady(f"{behind} {what} (bound {bound})")

    return check


def reachable(probe: Callable[[], object]) -> Check:
    """Passes when the blocking ``probe()`` returns; it runs in a thread."""

    async def check() -> None:
        await asyncio.to_thread(probe)

    return check


def cache_reachable(cache: StateCache) -> Check:
    """Passes when the cache answers a read (Redis: one GET round trip)."""

    async def check() -> None:
        await cache.get("readyz-probe")

    return check


def tasks_running(tasks: Callable[[], Sequence[asyncio.Task[None]]]) -> Check:
    """Passes while every task is running (and there is at least one)."""

    async def check() -> None:
        current = tasks()
        if not current:
            raise NotReady("workers not started")
        stopped = [t.get_name() for t in current if t.done()]
        if stopped:
            raise NotReady("stopped: " + ", ".join(stopped))

    return check


def service_checks(services: Services, *, max_lag: int = MAX_PROJECTOR_LAG) -> dict[str, Check]:
    """The readiness checks of one process, by its role (``services.settings.role``).

    Every role: the event store and the state cache answer. A role with workers: they
    all run (so ``create_app(run_workers=False)`` is never ready). A projector: it is
    within ``max_lag`` notifications of the head, or lingering there (:func:`readiness_lag`;
    a standby waiting for the writer lock is therefore not ready, which is right: it
    serves nothing yet).
    """
    workers = WORKERS[services.settings.role]
    checks: dict[str, Check] = {
        "event_store": reachable(services.scorekeeper.recorder.max_notification_id),
        "cache": cache_reachable(services.cache),
    }
    if workers:
        checks["workers"] = tasks_running(lambda: services.tasks)
    if "projector" in workers:
        checks["projector"] = caught_up(
            lambda: readiness_lag(services.scorekeeper, services.projector_followers()),
            max_lag,
            what="notifications behind",
        )
    return checks


def readiness_lag(
    scorekeeper: Scorekeeper,
    followers: Sequence[LogFollower],
    now: Callable[[], float] = time.monotonic,
) -> int:
    """:func:`~entrypoints.metrics.projector_lag` of the followers that are behind for a
    reason: one waiting out its linger at the head (``LogFollower.lingering_at_head``)
    counts as caught up, since it gathers what is recorded meanwhile by design (at
    hundreds of events a second a linger of seconds is more than ``max_lag``). The
    metric ``scoreline_projector_lag`` counts every follower as it is."""
    at = now()
    return projector_lag(scorekeeper, [f for f in followers if not f.lingering_at_head(at)])
