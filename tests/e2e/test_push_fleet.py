"""Push notifications in the production topology: ``scoreline serve --role R`` processes
on real PostgreSQL, Kafka (Tansu) and Redis, the real APNs and FCM senders against local
servers speaking those protocols.

1. ingest, recorder, projector, gateway, notifier and two notification workers: a real
   match notifies each of a few hundred devices registered on the gateway exactly once
   per goal (card, final) it asked for, all with the game's collapse id; a dead token is
   pruned and refused once; a goal retracted inside the hold sends nothing, one
   retracted after it went out sends a correction.
2. A worker killed with SIGKILL mid-fan-out: the other takes over its partitions and
   finishes; every device gets the goal, the resends are only the killed worker's
   documented window (sends in flight, acceptances not yet recorded) and only to tokens
   of its partitions, and the delivery ledger holds each device once.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from kafka import KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from adapters.postgres_device_registry import PostgresDeviceRegistry
from adapters.postgres_schema import postgres_datastore
from bench.push_servers import LocalPushServers, push_servers_in_thread
from domain.devices import Device, register_device
from domain.events import GameEvent, Schedule
from domain.push import DeliveryBatch, collapse_id
from domain.sports import EventType
from tests.e2e.fleet import Fleet, Member
from tests.e2e.statsbomb_feeds import convert
from tests.game_events import GameScript
from tests.services import postgres_database

HOLD = 1.0
PARTITIONS = 6
CONCURRENCY = 20  # sends in flight per worker: the crash window's bound
DELAY = 0.1  # seconds each push server takes to answer in the crash test
# Each worker sends at most CONCURRENCY / DELAY = 200 a second: its ~600 take it 3 s or
# more, and it is killed after 100, so it dies mid-fan-out even on a loaded machine.
CRASH_DEVICES = 1200
PIPELINE = ("ingest", "recorder", "projector", "gateway", "notifier")
WORKERS = ("notification-worker", "notification-worker")
SCORING = {"GOAL", "OWN_GOAL", "PENALTY_GOAL"}
CARDS = {"YELLOW_CARD", "RED_CARD"}
Key = tuple[str, bool]  # (event id, is a correction): one notification of a game


@dataclass
class PushFleet(Fleet):
    """A :class:`Fleet` with the push settings; its workers log their partitions."""

    settings: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.settings}

    def start(self, member: Member) -> None:
        level = "info" if member.role == "notification-worker" else "warning"
        member.process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve", "--role", member.role,
             "--port", str(member.port), "--log-level", level],
            env=self.env(),
            stdout=self.log_of(member).open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def log_of(self, member: Member) -> Path:
        return self.logs / f"{member.role}-{member.port}.log"

    def owned(self, worker: Member) -> set[int]:
        """The fan-out partitions the worker holds, as its log tells."""
        owned: set[int] = set()
        for line in self.log_of(worker).read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            found = re.match(r"(assigned|revoked) partitions \[([\d, ]*)\]", _message(line))
            if found:
                parts = {int(p) for p in found.group(2).split(",") if p.strip()}
                owned = owned | parts if found.group(1) == "assigned" else owned - parts
        return owned


def _message(line: str) -> str:
    try:
        return str(json.loads(line).get("message", ""))
    except ValueError:
        return ""


@pytest.fixture(scope="module")
def push_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPushServers]:
    with push_servers_in_thread(tmp_path_factory.mktemp("push")) as servers:
        yield servers


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    # A database of its own: the workers' queue positions are keyed by partition alone
    # (not by topic), so a fleet on a fresh topic must not inherit another test's.
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def fleet(
    database_url: str,
    redis_service: tuple[str, str],
    kafka_bootstrap: str,
    tmp_path_factory: pytest.TempPathFactory,
    push_servers: LocalPushServers,
) -> Iterator[PushFleet]:
    """One fleet for this module's tests (starting seven processes is most of their
    time); the crash test, which kills a worker, runs last."""
    f = PushFleet(database_url, redis_service[0], kafka_bootstrap, tmp_path_factory.mktemp("fleet"))
    f.redis_prefix = f"{redis_service[1]}push-{uuid.uuid4().hex[:8]}:"
    f.settings = {
        **push_servers.files.env(),
        "SCORELINE_NOTIFICATIONS_TOPIC": f"notifications-{uuid.uuid4().hex[:8]}",
        "SCORELINE_NOTIFICATIONS_PARTITIONS": str(PARTITIONS),
        "SCORELINE_NOTIFY_HOLD_SECONDS": str(HOLD),
        "SCORELINE_NOTIFY_WORKER_CONCURRENCY": str(CONCURRENCY),
    }
    f.upgrade()
    try:
        for role in (*PIPELINE, *WORKERS):
            f.add(role)
        f.wait_healthy(timeout=120)
        yield f
    finally:
        f.stop()


def eventually(
    check: Callable[[], bool], what: str, timeout: float = 60, seen: Callable[[], object] = str
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never: {what} ({seen()})"
        time.sleep(0.1)


def received(servers: LocalPushServers) -> dict[str, list[tuple[Key, str]]]:
    """Per token, what was accepted for it: (its notification, its collapse id)."""
    found: dict[str, list[tuple[Key, str]]] = {}
    for a in list(servers.apns.accepted):
        key = (a.payload["event_id"], "corrects" in a.payload)
        found.setdefault(a.token, []).append((key, a.collapse_id or ""))
    for f in list(servers.fcm.accepted):
        data, collapse = f.message["data"], f.message["android"]["collapse_key"]
        found.setdefault(f.token, []).append(((data["event_id"], "corrects" in data), collapse))
    return found


def native(event: GameEvent) -> dict[str, Any]:
    data = event.to_dict()
    data.pop("provider")
    return {k: v for k, v in data.items() if v is not None and v != ""}


def apns_token() -> str:
    return secrets.token_hex(32)


def fcm_token() -> str:
    return "fcm:" + secrets.token_urlsafe(105)


def test_a_real_match_through_the_fleet_notifies_each_device_once_per_thing_it_asked_for(
    fleet: PushFleet, push_servers: LocalPushServers
) -> None:
    run = uuid.uuid4().hex[:8]
    game, var = f"bar-gir-{run}", f"var-{run}"
    events = convert("15986", game, "Barcelona", "Girona")  # 2-2 (shared data README)
    schedule = events[0]["schedule"]
    home, away = schedule["home_team_id"], schedule["away_team_id"]
    by_kind = {
        "goals": {e["event_id"] for e in events if e["event_type"] in SCORING},
        "cards": {e["event_id"] for e in events if e["event_type"] in CARDS},
        "finals": {e["event_id"] for e in events if e["event_type"] == "GAME_FINAL"},
    }
    assert [len(by_kind[k]) for k in ("goals", "cards", "finals")] == [4, 9, 1]
    by_kind["all"] = set().union(*by_kind.values())
    script = GameScript(var)
    script.add(EventType.GAME_SCHEDULED, schedule=Schedule(f"vh-{run}", f"va-{run}", "H", "A"))
    script.start()
    disallowed = script.score(EventType.GOAL, team=f"vh-{run}")
    script.retract(disallowed)  # inside the hold: nobody hears of it
    stands = script.score(EventType.GOAL, team=f"va-{run}")
    overturned = script.retract(stands)  # after it went out: a correction follows

    ingest, gateway = fleet.of("ingest")[0], fleet.of("gateway")[0]
    plan: list[tuple[int, str, dict[str, list[str]], str]] = [
        (60, "apns", {"teams": [home]}, "goals"),
        (60, "fcm", {"teams": [away]}, "goals"),
        (20, "apns", {"teams": [home], "games": [game]}, "goals"),  # twice a follower
        (30, "apns", {"games": [game]}, "finals"),
        (30, "fcm", {"games": [game]}, "all"),
        (30, "apns", {"teams": [away]}, "cards"),
        (30, "fcm", {"teams": [home]}, "goals+finals"),
        (30, "apns", {"teams": [home]}, "all"),
        (20, "fcm", {"teams": ["nobody-plays"]}, "all"),
        (20, "apns", {"teams": [f"vh-{run}"]}, "var"),
        (20, "fcm", {"games": [var]}, "var"),
    ]
    var_keys = [(stands.event_id, False), (stands.event_id, True)]
    expected: dict[str, list[Key]] = {}
    dead = apns_token()
    push_servers.apns.faults.dead_tokens.add(dead)
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        for count, platform, follows, wants in plan:
            for _ in range(count):
                token = apns_token() if platform == "apns" else fcm_token()
                asked = ["all"] if wants == "var" else wants.split("+")
                body = {"token": token, "platform": platform, **follows, "wants": asked}
                assert client.post("/devices", json=body).status_code == 201
                if wants == "var":
                    expected[token] = var_keys
                elif follows != {"teams": ["nobody-plays"]}:
                    ids = set().union(*(by_kind[w] for w in asked))
                    expected[token] = [(i, False) for i in sorted(ids)]
        body = {"token": dead, "platform": "apns", "teams": [home]}
        assert client.post("/devices", json=body).status_code == 201

    for start in range(0, len(events), 10):  # the match as it happens
        fleet.push(ingest, events[start : start + 10])
    fleet.push(ingest, [native(e) for e in script.events[:4]])
    eventually(lambda: (fleet.state(gateway, var) or {}).get("version") == 4, "VAR game")
    fleet.push(ingest, [native(stands)])
    var_tokens = [t for t, keys in expected.items() if keys is var_keys]
    eventually(lambda: all(received(push_servers).get(t) for t in var_tokens), "the VAR goal")
    fleet.push(ingest, [native(overturned)])

    def arrived() -> bool:
        got = received(push_servers)
        return all(len(got.get(t, [])) >= len(keys) for t, keys in expected.items())

    eventually(arrived, "every notification", timeout=90)
    eventually(
        lambda: httpx.get(f"{gateway.url}/devices/{dead}").status_code == 404,
        "the dead token was pruned",
    )
    time.sleep(HOLD + 1)  # and nothing more arrives after

    got = received(push_servers)
    for token, keys in expected.items():
        assert sorted(k for k, _ in got.get(token, [])) == sorted(keys), token
    assert set(got) - {dead} == set(expected), "devices following nobody in play got nothing"
    assert not any(i == disallowed.event_id for sent in got.values() for (i, _), _ in sent)
    game_of = {**dict.fromkeys(by_kind["all"], game), stands.event_id: var}
    assert all(c == collapse_id(game_of[i]) for sent in got.values() for (i, _), c in sent)
    # One refused request (410) for the dead token, the first it was sent; none after.
    assert push_servers.apns.recorder.stats()["by_status"].get("410") == 1
    assert dead not in got
    titles = [a.payload["aps"]["alert"]["title"] for a in push_servers.apns.accepted] + [
        f.message["notification"]["title"] for f in push_servers.fcm.accepted
    ]
    finals = [t for t in titles if t.startswith("Full time")]
    wanted = sum(1 for keys in expected.values() for i, _ in keys if i in by_kind["finals"])
    assert len(finals) == wanted == 120 and all("2-2" in t for t in finals), finals[:3]


def push_counts(worker: Member) -> dict[str, float]:
    """The worker's ``scoreline_push_targets`` by outcome, and ``in_flight`` records."""
    text = httpx.get(f"{worker.url}/metrics", timeout=5).text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "scoreline_push_targets_total":
                found[sample.labels["outcome"]] = sample.value
            elif sample.name == "scoreline_push_records_in_flight":
                found["in_flight"] = sample.value
    return found


def fan_out(
    bootstrap: str, topic: str, notification_id: str
) -> tuple[dict[str, int], dict[int, int]]:
    """The notification's tokens, each with its fan-out partition; and each partition's
    end (the position after its last record, read: the broker's end offsets can lag)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        where: dict[str, int] = {}
        ends = dict.fromkeys(range(PARTITIONS), 0)
        while fetched := consumer.poll(timeout_ms=1000):
            for tp, records in fetched.items():
                for record in records:
                    ends[tp.partition] = record.offset + 1
                    batch = DeliveryBatch.decode(record.value)
                    if batch.notification.id == notification_id:
                        where.update((t.token, tp.partition) for t in batch.targets)
        return where, ends
    finally:
        consumer.close()


def ledger(database_url: str, notification_id: str) -> tuple[list[str], dict[int, int]]:
    """The delivery ledger's tokens for the notification, and the workers' positions."""
    with psycopg.connect(database_url) as conn:
        tokens = [
            row[0]
            for row in conn.execute(
                "SELECT token FROM notification_deliveries WHERE notification_id = %s",
                (notification_id,),
            )
        ]
        rows = conn.execute("SELECT partition, position FROM notification_positions")
        positions = {int(p): int(at) for p, at in rows}
    return tokens, positions


def follower(token: str, team: str) -> Device:
    platform = "fcm" if token.startswith("fcm:") else "apns"
    return register_device(
        {"token": token, "platform": platform, "teams": [team], "wants": ["goals"]}
    )


def test_a_worker_killed_mid_fan_out_the_other_finishes_with_resends_only_in_its_window(
    fleet: PushFleet,
    push_servers: LocalPushServers,
    database_url: str,
    kafka_bootstrap: str,
) -> None:
    run = uuid.uuid4().hex[:8]
    team = f"crash-home-{run}"
    tokens = [apns_token() if n % 2 else fcm_token() for n in range(CRASH_DEVICES)]
    everyone = set(tokens)
    registry = PostgresDeviceRegistry(postgres_datastore(database_url))
    try:
        registry.register_many([follower(t, team) for t in tokens])
    finally:
        registry.close()
    victim, survivor = fleet.of("notification-worker")

    def split() -> bool:
        mine, theirs = fleet.owned(victim), fleet.owned(survivor)
        return bool(mine) and not mine & theirs and mine | theirs == set(range(PARTITIONS))

    eventually(split, "both workers hold fan-out partitions")
    push_servers.apns.faults.delay = push_servers.fcm.faults.delay = DELAY
    script = GameScript(f"crash-{run}")
    script.add(EventType.GAME_SCHEDULED, schedule=Schedule(team, f"crash-away-{run}", "H", "A"))
    script.start()
    goal = script.score(EventType.GOAL, team=team)
    notification_id = f"{script.game_id}/{goal.event_id}/goal"
    sent_before = push_counts(victim).get("sent", 0)
    fleet.push(fleet.of("ingest")[0], [native(e) for e in script.events])

    eventually(lambda: push_counts(victim).get("sent", 0) >= sent_before + 100, "it sends")
    victims_partitions = fleet.owned(victim)
    fleet.kill(victim)  # SIGKILL: sends in flight, acceptances not yet recorded
    before_kill = set(received(push_servers)) & everyone
    recorded_at_kill = set(ledger(database_url, notification_id)[0])

    eventually(lambda: everyone <= set(received(push_servers)), "every device got the goal")
    eventually(lambda: fleet.owned(survivor) == set(range(PARTITIONS)), "the takeover")
    topic = fleet.settings["SCORELINE_NOTIFICATIONS_TOPIC"]
    where, ends = fan_out(kafka_bootstrap, topic, notification_id)

    def committed() -> dict[int, int]:
        positions = ledger(database_url, notification_id)[1]
        return {p: positions.get(p, 0) for p in ends}

    eventually(
        lambda: committed() == ends, "positions at the ends", seen=lambda: (committed(), ends)
    )
    recorded, _ = ledger(database_url, notification_id)
    assert sorted(recorded) == sorted(tokens), "the ledger records each device once"
    assert set(where) == everyone
    victims_tokens = {t for t, p in where.items() if p in victims_partitions}
    assert victims_tokens - before_kill, "killed mid-fan-out: the survivor sent the rest"
    keys = Counter(
        [(a.token, a.apns_id) for a in push_servers.apns.accepted if a.token in everyone]
        + [
            (f.token, f.message["data"]["event_id"])
            for f in push_servers.fcm.accepted
            if f.token in everyone
        ]
    )
    twice = {token for (token, _), n in keys.items() if n > 1}
    resends = sum(n - 1 for n in keys.values())
    assert set(keys.values()) <= {1, 2}
    # Sent again: only tokens of the killed worker's partitions it had not recorded.
    assert twice <= victims_tokens - recorded_at_kill
    # Its window: at most CONCURRENCY sends in flight at the kill, and what was accepted
    # since its last ledger write began (flushed every 0.05 s, at most CONCURRENCY / DELAY
    # = 200 acceptances a second; the rest is slack for a write slowed by a loaded machine).
    assert 0 < resends <= 3 * CONCURRENCY, resends
