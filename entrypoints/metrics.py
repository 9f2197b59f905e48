"""Prometheus metrics for one Scoreline process, served at ``GET /metrics``.

The domain knows nothing of Prometheus: the composition root hands the domain a
:class:`MeteredFeedMonitor` (counts what arrives and what is recorded) and a
:class:`MeteredRejectedStore` (counts refusals), and calls :meth:`Metrics.published`
after each batch of updates goes to fans. Gauges that describe a state rather than
a flow (lags, SSE connections) are sampled at scrape time by the callables given to
:meth:`Metrics.on_scrape`, off the event loop.

Each :class:`Metrics` has its own registry (never prometheus_client's global one),
so a test run may build many apps.

``scoreline_provider_to_fan_seconds`` is the time from this process receiving an
event (the ingestion timestamp carried in the log record) to its state update being
published to fans. It is observed only where the recorder and the projector run in
one process (the recorder tells the projector side when each event came in);
``created_at`` is not used: many providers leave it empty and replays make it old.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response

from domain.feed_monitor import FeedMonitor
from domain.ports import RejectedStore, Rejection
from domain.recording import RecordingWorker
from domain.scorekeeper import Scorekeeper
from entrypoints.thread_cpu import ThreadCpuCollector
from projections.follower import LogFollower
from projections.game_state import StateUpdate

log = logging.getLogger("scoreline.metrics")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
RECEIVED_KEPT = 10_000  # receipt times remembered for the latency histogram

Probe = Callable[[], None]
Endpoint = Callable[[Request], Awaitable[Response]]
_Key = tuple[str, str, int]  # provider, game id, sequence number


class Metrics:
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.clock = clock
        r = self.registry
        r.register(ThreadCpuCollector())
        self.events_received = Counter(
            "scoreline_events_received_total", "Events received from providers.",
            ["provider"], registry=r,
        )  # fmt: skip
        self.events_recorded = Counter(
            "scoreline_events_recorded_total", "Events recorded in the event store.", registry=r
        )
        self.events_projected = Counter(
            "scoreline_events_projected_total",
            "Events folded into the game-state view and published to fans.",
            registry=r,
        )
        self.events_rejected = Counter(
            "scoreline_events_rejected_total", "Payloads refused and kept for operators.",
            ["source", "reason"], registry=r,
        )  # fmt: skip
        self.consumer_lag = Gauge(
            "scoreline_consumer_lag",
            "Records in an event-log partition not yet recorded (head minus tracked position).",
            ["partition"], registry=r,
        )  # fmt: skip
        self.projector_lag = Gauge(
            "scoreline_projector_lag",
            "Event-store notifications the slowest read model this process writes is behind.",
            registry=r,
        )
        self.sse_connections = Gauge(
            "scoreline_sse_connections", "Open SSE connections to fans.", registry=r
        )
        self.provider_to_fan = Histogram(
            "scoreline_provider_to_fan_seconds",
            "Seconds from receiving an event to publishing its state update to fans.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.cache_hits = Counter("scoreline_cache_hits_total", "Cache hits.", registry=r)
        self.cache_misses = Counter("scoreline_cache_misses_total", "Cache misses.", registry=r)
        self._probes: list[Probe] = []
        self._received_at: OrderedDict[_Key, float] = OrderedDict()

    # ------------------------------------------------------------------ flows
    def received(self, provider: str, count: int = 1) -> None:
        self.events_received.labels(provider=provider or "unknown").inc(count)

    def recorded(
        self, provider: str, game_id: str, sequence_number: int, received_at: float
    ) -> None:
        """One event recorded; remember when it came in, for the latency histogram."""
        self.events_recorded.inc()
        key = (provider, game_id, sequence_number)
        self._received_at[key] = received_at
        self._received_at.move_to_end(key)
        while len(self._received_at) > RECEIVED_KEPT:
            self._received_at.popitem(last=False)

    def published(self, updates: Sequence[StateUpdate]) -> None:
        """State updates sent to fans: count them, observe provider-to-fan latency."""
        self.events_projected.inc(len(updates))
        now = self.clock()
        for update in updates:
            event = update.event
            sequence = event.get("sequence_number")
            if not isinstance(sequence, int):
                continue
            key = (str(event.get("provider") or ""), update.game_id, sequence)
            received_at = self._received_at.pop(key, None) or update.received_at
            if received_at is not None:
                self.provider_to_fan.observe(max(0.0, now - received_at))

    def rejected(self, source: str, reason: str) -> None:
        self.events_rejected.labels(source=source, reason=reason).inc()

    def cache_hit(self) -> None:
        self.cache_hits.inc()

    def cache_miss(self) -> None:
        self.cache_misses.inc()

    def sse_opened(self) -> None:
        self.sse_connections.inc()

    def sse_closed(self) -> None:
        self.sse_connections.dec()

    # ----------------------------------------------------------------- states
    def set_consumer_lag(self, lags: Mapping[int, int]) -> None:
        """Every owned partition's lag; partitions no longer owned disappear."""
        self.consumer_lag.clear()
        for partition, lag in lags.items():
            self.consumer_lag.labels(partition=str(partition)).set(lag)

    def set_projector_lag(self, lag: int) -> None:
        self.projector_lag.set(lag)

    def set_sse_connections(self, count: int) -> None:
        self.sse_connections.set(count)

    def on_scrape(self, probe: Probe) -> None:
        """Run ``probe`` (blocking allowed: it runs in a thread) before each scrape."""
        self._probes.append(probe)

    def refresh(self) -> None:
        for probe in self._probes:
            try:
                probe()
            except Exception:  # a failing probe leaves its gauge stale, not /metrics down
                log.exception("metrics probe %r failed", probe)

    # -------------------------------------------------------------- exposition
    def render(self) -> bytes:
        """The Prometheus text exposition (format 0.0.4) of this registry."""
        return generate_latest(self.registry)

    def negotiate(self, accept: str) -> tuple[bytes, str]:
        """The exposition in the format ``accept`` asks for (text or OpenMetrics)."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type


def metrics_endpoint(metrics: Metrics) -> Endpoint:
    """A Starlette endpoint serving ``metrics``: mount it at ``/metrics``."""

    async def serve_metrics(request: Request) -> Response:
        await asyncio.to_thread(metrics.refresh)
        body, content_type = metrics.negotiate(request.headers.get("accept", ""))
        return Response(body, headers={"Content-Type": content_type})

    return serve_metrics


# ------------------------------------------------------------ domain hooks
class MeteredFeedMonitor(FeedMonitor):
    """A FeedMonitor that also counts received and recorded events in ``metrics``."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self.metrics = metrics

    def note_received(self, provider: str, game_id: str, at: float) -> None:
        super().note_received(provider, game_id, at)
        self.metrics.received(provider)

    def note_recorded(
        self, provider: str, game_id: str, sequence_number: int, received_at: float, at: float
    ) -> None:
        super().note_recorded(provider, game_id, sequence_number, received_at, at)
        self.metrics.recorded(provider, game_id, sequence_number, received_at)


class MeteredRejectedStore:
    """A RejectedStore that counts every refusal it is asked to keep."""

    def __init__(self, inner: RejectedStore, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    def keep(
        self,
        *,
        source: str,
        provider: str,
        reason: str,
        detail: dict[str, Any],
        body: bytes,
        content_type: str = "application/json",
        dedupe_key: str | None = None,
    ) -> int:
        kept = self.inner.keep(
            source=source,
            provider=provider,
            reason=reason,
            detail=detail,
            body=body,
            content_type=content_type,
            dedupe_key=dedupe_key,
        )
        self.metrics.rejected(source, reason)
        return kept

    def list(self, *, after_id: int = 0, limit: int = 100) -> list[Rejection]:
        return self.inner.list(after_id=after_id, limit=limit)

    def get(self, rejection_id: int) -> Rejection | None:
        return self.inner.get(rejection_id)

    def note_replay(self, rejection_id: int, result: dict[str, Any]) -> None:
        self.inner.note_replay(rejection_id, result)

    def close(self) -> None:
        self.inner.close()


# ------------------------------------------------------------------- lags
@runtime_checkable
class PartitionHeads(Protocol):
    """An event log that can say the position of the last record in a partition."""

    def head(self, partition: int) -> int:
        """The last position appended to ``partition`` (0: none), as tracked positions."""
        ...


def projector_lag(scorekeeper: Scorekeeper, followers: Sequence[LogFollower]) -> int:
    """Notifications in the event store the slowest of ``followers`` (the read models
    this process writes) has not processed; 0 for none (blocking)."""
    if not followers:
        return 0
    head = scorekeeper.recorder.max_notification_id() or 0
    return max(0, head - min(f.position for f in followers))


def consumer_lags(recorder: RecordingWorker, log: PartitionHeads) -> dict[int, int]:
    """Per partition the recorder owns: records after its tracked position (blocking)."""
    owned = list(recorder.partitions.items())  # a copy: a rebalance may change it meanwhile
    return {p: max(0, log.head(p) - state.tracked) for p, state in owned}
