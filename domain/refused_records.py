"""What the recorder keeps of records it cannot record: raw, in the RejectedStore.

Guarantees: each kept record carries where it was in the log (partition and position)
and a ``dedupe_key`` naming that place, so a record read again after a crash or a
rebalance is kept once. Called before any position past the record is stored: a
record is never skipped without being kept.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from domain.events import GameEvent, Verdict
from domain.ports import Positioned, RejectedStore

log = logging.getLogger("scoreline.recorder")


Upstream = Callable[[int], str]  # a partition's tracking name (RecordingWorker.upstream)


def keep_undecodable(
    rejected: RejectedStore, upstream: Upstream, found: Sequence[tuple[Positioned, Exception]]
) -> None:
    """Keep records that are not events, as they came (ingestion writes only valid
    events: another writer of the topic, or a release that wrote another shape; it must
    not stop the partition)."""
    for item, error in found:
        log.error("undecodable record at %s:%d kept as rejected", item.partition, item.position)
        rejected.keep(
            source="recorder",
            provider="unknown",
            reason="undecodable",
            detail={
                "detail": f"not a game event: {error!r}"[:500],
                "key": item.record.key,
                "log_partition": item.partition,
                "log_position": item.position,
            },
            body=item.record.value,
            dedupe_key=f"{upstream(item.partition)}:{item.position}",
        )


def keep_refused(
    rejected: RejectedStore,
    upstream: Upstream,
    partition: int,
    verdict: Verdict,
    event: GameEvent,
    position: int,
) -> None:
    """Keep an event the Scorekeeper refused (a conflict, a broken rule), with why."""
    log.warning(
        "event refused by recorder: %s",
        verdict.reason,
        extra={"game_id": event.game_id, "event_id": event.event_id},
    )
    rejected.keep(
        source="recorder",
        provider=event.provider,
        reason="conflict" if verdict.outcome == "conflict" else "rule",
        detail={
            "detail": verdict.reason,
            **verdict.extra,
            "game_id": event.game_id,
            "event_id": event.event_id,
            "log_partition": partition,
            "log_position": position,
        },
        body=json.dumps(event.to_dict()).encode(),
        dedupe_key=f"{upstream(partition)}:{position}:{event.event_id}",
    )
