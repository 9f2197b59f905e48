"""The push pipeline on ``/metrics``: how far the notifier is behind the event store,
what its release enqueued, and what the workers' sends came to (by outcome).

A collector read at scrape time from the parts' own counters, so the hot paths keep
plain integer increments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from entrypoints.composition.notifications import Notifications


class PushCollector(Collector):
    def __init__(self, notifications: Notifications, scorekeeper: Any) -> None:
        self.notifications = notifications
        self.scorekeeper = scorekeeper

    def collect(self) -> Iterator[Metric]:
        parts = self.notifications
        if parts.notifier is not None:
            head = self.scorekeeper.recorder.max_notification_id() or 0
            lag = GaugeMetricFamily(
                "scoreline_notifier_lag",
                "Event-store notifications the notifier has not processed.",
            )
            lag.add_metric([], max(0, head - parts.notifier.position))
            yield lag
        if parts.release is not None:
            released = CounterMetricFamily(
                "scoreline_notifications_released",
                "What the notifier's release did: notifications, expired, batches, targets.",
                labels=["what"],
            )
            for name, value in dataclasses.asdict(parts.release.counts).items():
                released.add_metric([name], value)
            yield released
        if parts.worker is not None:
            sends = CounterMetricFamily(
                "scoreline_push_targets",
                "Push targets a notification worker finished, by outcome.",
                labels=["outcome"],
            )
            for name, value in dataclasses.asdict(parts.worker.counts).items():
                sends.add_metric([name], value)
            yield sends
            in_flight = GaugeMetricFamily(
                "scoreline_push_records_in_flight", "Fan-out records being delivered."
            )
            in_flight.add_metric([], parts.worker.in_flight())
            yield in_flight
