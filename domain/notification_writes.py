"""The notification worker's writes: what its records in flight did, to the device
registry and the delivery ledger, and the queue partitions it owns, whose positions
those writes carry (see domain/notification_worker.py for the guarantees)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Collection, Iterable, Mapping

from domain.notification_delivery_state import PartitionProgress, RecordDelivery
from domain.notification_ports import DeliveryLedger, DeviceRegistry


class OwnedPartitions:
    """The fan-out queue partitions a worker owns now, each with its progress.

    Thread-safe: the queue's rebalance callbacks may run on threads of their own. A
    partition assigned again gets a new :class:`PartitionProgress`, so a record read
    under the old assignment no longer counts as owned.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._progress: dict[int, PartitionProgress] = {}

    def assign(self, partitions: Collection[int], positions: Mapping[int, int]) -> None:
        """Own ``partitions`` from their recorded ``positions`` (0 where absent)."""
        with self._lock:
            for partition in partitions:
                self._progress[partition] = PartitionProgress(positions.get(partition, 0))

    def revoke(self, partitions: Collection[int]) -> None:
        with self._lock:
            for partition in partitions:
                self._progress.pop(partition, None)

    def progress(self, partition: int) -> PartitionProgress | None:
        """The partition's progress while it is owned (None: not owned)."""
        with self._lock:
            return self._progress.get(partition)

    def committed(self) -> dict[int, int]:
        """Per owned partition, the last position written to the ledger."""
        with self._lock:
            return {p: progress.committed for p, progress in self._progress.items()}


class DeliveryWriter:
    """Writes what records in flight did: first prunes their unregistered tokens from
    the registry, then records their accepted tokens in the ledger, with a record's
    queue position once every target of it is done.

    Guarantees: a record's accepted tokens are written before, or in the same ledger
    transaction as, its position; positions are written per partition in queue order,
    never backwards, and only while the partition is owned (:class:`OwnedPartitions`);
    a write once started runs to its end even if the caller is cancelled.
    """

    def __init__(
        self, ledger: DeliveryLedger, registry: DeviceRegistry, partitions: OwnedPartitions
    ) -> None:
        self.ledger = ledger
        self.registry = registry
        self.partitions = partitions

    async def write(
        self, deliveries: list[RecordDelivery], position: tuple[int, int] | None = None
    ) -> None:
        """Prune the unregistered tokens, then record the accepted ones (and ``position``),
        of deliveries of one notification, in one thread call finished even if cancelled."""
        async with contextlib.AsyncExitStack() as stack:
            for d in deliveries:  # a record's position waits for its tokens' write
                await stack.enter_async_context(d.writing)
            pruned: dict[str, list[str]] = {}
            accepted: list[str] = []
            for d in deliveries:
                for reason, tokens in d.unregistered.items():
                    pruned.setdefault(reason, []).extend(tokens)
                accepted.extend(d.accepted)
                d.unregistered, d.accepted = {}, []
            if pruned or accepted or position is not None:
                await _finished_in_thread(
                    self._write_now, pruned, deliveries[0].notification_id, accepted, position
                )

    def _write_now(
        self,
        pruned: dict[str, list[str]],
        notification_id: str,
        accepted: list[str],
        position: tuple[int, int] | None,
    ) -> None:
        for reason, tokens in pruned.items():
            self.registry.prune(tokens, reason)
        if accepted or position is not None:
            self.ledger.record(notification_id, accepted, position)

    async def finish(self, d: RecordDelivery) -> None:
        """Every target is done: record the rest with the position that may now be written."""
        partition = d.partition
        if partition is None or self.partitions.progress(d.item.partition) is not partition:
            await self.write([d])  # revoked: the next owner writes positions
            return
        async with partition.lock:
            upto = partition.reach(d.item.position)
            position = (d.item.partition, upto) if upto > partition.committed else None
            await self.write([d], position)
            partition.finished(d.item.position, upto)

    async def flush(self, in_flight: Iterable[RecordDelivery]) -> None:
        """Record what the records ``in_flight`` accepted or found unregistered so far,
        without positions: one write per notification."""
        by_notification: dict[str, list[RecordDelivery]] = {}
        for d in in_flight:
            if d.accepted or d.unregistered:
                by_notification.setdefault(d.notification_id, []).append(d)
        for deliveries in by_notification.values():
            await self.write(deliveries)


async def _finished_in_thread(function: Callable[..., object], *args: object) -> None:
    """Run a blocking write in a thread; if cancelled meanwhile, let it finish first (a
    successor must not read the ledger while this process still writes it)."""
    write = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        await asyncio.shield(write)
    except asyncio.CancelledError:
        while not write.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(write)
        raise


__all__ = ["DeliveryWriter", "OwnedPartitions"]
