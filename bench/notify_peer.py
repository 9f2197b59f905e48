"""The peer of the notification benchmark: bare senders, no queue, ledger or registry.

``processes`` processes (as many as notification workers, under the same ``nice``),
each building the service's own senders (``push_senders`` of the same push settings:
ApnsSender, FcmSender on pyreqwest HTTP/2) and sending its share of the same devices
one notification each, ``concurrency`` sends in flight (the worker's setting), retrying
a RETRY answer. The figure: every notification accepted / (last process done - "go").
What this measures is the ceiling of the senders and the local servers on this
machine: the fleet's rate as a ratio to it is the cost of the queue, the ledger and
the registry around the same sends.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
import uuid
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

from bench.notify_load import AWAY, HOME, device_token
from bench.report import CpuWindow
from domain.devices import Interest
from domain.push import NotificationKind, PushNotification, SendOutcome, collapse_id

ATTEMPTS = 20


def peer_notification(game_id: str) -> PushNotification:
    """A goal notification like the notifier's (same title, body and data sizes)."""
    now = time.time()
    return PushNotification(
        id=f"{game_id}/peer-{uuid.uuid4().hex[:8]}/goal",
        game_id=game_id,
        kind=NotificationKind.GOAL,
        interest=Interest.GOALS,
        title="GOAL! Notify Home 1-0 Notify Away",
        body="Notify Home score · 2', 1st half",
        collapse_id=collapse_id(game_id),
        teams=(HOME, AWAY),
        created_at=now,
        expires_at=now + 3600,
        data={
            "game_id": game_id,
            "event_id": f"{game_id}-peer",
            "team_id": HOME,
            "home_score": "1",
            "away_score": "0",
            "version": "5",
        },
    )


def run_peer(
    env: Mapping[str, str],
    devices: int,
    *,
    concurrency: int,
    processes: int,
    nice: int,
    cpu_pids: Mapping[str, list[int]],
) -> dict[str, Any]:
    """Send one notification to each of ``devices`` devices; the figures."""
    context = multiprocessing.get_context("spawn")
    children = []
    for k in range(processes):
        parent, child = context.Pipe()
        process = context.Process(
            target=_main,
            args=(dict(env), k, processes, devices, concurrency, nice, child),
            daemon=True,
        )
        process.start()
        children.append((process, parent))
    try:
        for _, conn in children:
            if not conn.poll(60) or conn.recv() != "ready":
                raise RuntimeError("a peer process never became ready")
        assert all(p.pid is not None for p, _ in children)
        pids = {"peer senders": [p.pid for p, _ in children if p.pid is not None], **cpu_pids}
        window = CpuWindow(pids).start()
        go = time.monotonic()
        for _, conn in children:
            conn.send("go")
        results = [conn.recv() for _, conn in children]
        ended = max(r["end"] for r in results)
        cpu = window.stop()
    finally:
        for process, _ in children:
            process.join(30)
            if process.is_alive():
                process.kill()
    seconds = ended - go
    accepted = sum(r["accepted"] for r in results)
    return {
        "processes": processes,
        "concurrency": concurrency,
        "nice": nice,
        "accepted": accepted,
        "not_accepted": sum(r["failed"] for r in results),
        "retries": sum(r["retries"] for r in results),
        "seconds": seconds,
        "per_s": accepted / seconds,
        "cpu_cores": cpu,
        "cpu_s_per_1000": {k: v * seconds / max(1, accepted) * 1000 for k, v in cpu.items()},
    }


def _main(
    env: dict[str, str],
    first: int,
    step: int,
    devices: int,
    concurrency: int,
    nice: int,
    conn: Connection,
) -> None:
    if nice:
        os.nice(nice)
    import uvloop

    conn.send(uvloop.run(_send_all(env, range(first, devices, step), concurrency, conn)))


async def _send_all(
    env: dict[str, str], indexes: range, concurrency: int, conn: Connection
) -> dict[str, Any]:
    from entrypoints.composition.notifications import push_senders
    from entrypoints.push_settings import PushSettings

    senders = push_senders(PushSettings.from_env(env))
    notification = peer_notification("notify-peer")
    targets = iter([device_token(i) for i in indexes])
    counts = {"accepted": 0, "failed": 0, "retries": 0}

    async def sender() -> None:
        for token, platform in targets:
            send = senders[platform.value].send
            for _ in range(ATTEMPTS):
                result = await send(notification, token)
                if result.outcome is SendOutcome.ACCEPTED:
                    counts["accepted"] += 1
                    break
                if result.outcome is not SendOutcome.RETRY:
                    counts["failed"] += 1
                    break
                counts["retries"] += 1
                await asyncio.sleep(result.retry_after or 0.05)
            else:
                counts["failed"] += 1

    conn.send("ready")
    await asyncio.to_thread(conn.recv)  # "go"
    start = time.monotonic()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    end = time.monotonic()
    for s in senders.values():
        await s.close()
    return {**counts, "start": start, "end": end}
