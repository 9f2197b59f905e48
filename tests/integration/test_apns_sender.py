"""The real ApnsSender against the local APNs server, over TLS + HTTP/2 on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.push.apns import ApnsSender, apns_id
from adapters.push.apns_token import MAX_AGE_SECONDS, MIN_REFRESH_SECONDS, ProviderToken
from adapters.push.http2 import Http2Transport
from adapters.push.retry_after import parse_retry_after
from bench.push_servers import LocalPushServers, make_apns_key, write_self_signed_cert
from domain.devices import Interest
from domain.push import NotificationKind, PushNotification, SendOutcome, collapse_id


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def notification(
    game: str = "g1", *, body: str = "Arsenal 1-0 Chelsea", collapse: str | None = None
) -> PushNotification:
    now = time.time()
    return PushNotification(
        id=f"{game}:e1:goal",
        game_id=game,
        kind=NotificationKind.GOAL,
        interest=Interest.GOALS,
        title="Goal!",
        body=body,
        collapse_id=collapse or collapse_id(game),
        teams=("arsenal", "chelsea"),
        created_at=now,
        expires_at=now + 600,
        data={"game": game, "score": "1-0"},
    )


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[LocalPushServers]:
    async with LocalPushServers(tmp_path) as started:
        yield started


def sender_for(
    servers: LocalPushServers, *, topic: str | None = None, **options: object
) -> ApnsSender:
    files = servers.files
    return ApnsSender(
        files.apns_url,
        key_pem=files.apns_key_file.read_bytes(),
        key_id=files.apns_key_id,
        team_id=files.apns_team_id,
        topic=topic or files.apns_topic,
        ca_file=files.ca_file,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def sender(servers: LocalPushServers) -> AsyncIterator[ApnsSender]:
    made = sender_for(servers)
    yield made
    await made.close()


async def test_accepted_with_the_provider_token_headers_and_payload(
    servers: LocalPushServers, sender: ApnsSender
) -> None:
    sent = notification()
    result = await sender.send(sent, "a1b2c3")

    assert (result.outcome, result.status) == (SendOutcome.ACCEPTED, 200)
    [seen] = servers.apns.accepted
    assert seen.token == "a1b2c3"
    assert seen.apns_id == apns_id(sent.id, "a1b2c3")
    assert (seen.topic, seen.push_type, seen.priority) == (servers.files.apns_topic, "alert", "10")
    assert seen.expiration == str(int(sent.expires_at))
    assert seen.collapse_id == "game-g1"
    assert seen.payload == {
        "aps": {"alert": {"title": "Goal!", "body": "Arsenal 1-0 Chelsea"}, "sound": "default"},
        "game": "g1",
        "score": "1-0",
    }
    [authorization] = servers.apns.provider_tokens
    token = authorization.decode().removeprefix("bearer ")
    assert jwt.get_unverified_header(token) == {
        "alg": "ES256",
        "kid": servers.files.apns_key_id,
        "typ": "JWT",
    }
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims == {"iss": servers.files.apns_team_id, "iat": seen.provider_token_iat}


async def test_a_resend_carries_the_same_apns_id_and_provider_token(
    servers: LocalPushServers, sender: ApnsSender
) -> None:
    sent = notification()
    for _ in range(3):
        assert (await sender.send(sent, "tok")).outcome is SendOutcome.ACCEPTED
    await sender.send(notification("g2"), "tok")

    ids = [seen.apns_id for seen in servers.apns.accepted]
    assert ids[0] == ids[1] == ids[2] != ids[3]
    assert servers.apns.recorder.duplicates == 2
    assert len(servers.apns.provider_tokens) == 1


async def test_dead_and_bad_tokens_are_unregistered(
    servers: LocalPushServers, sender: ApnsSender
) -> None:
    servers.apns.faults.dead_tokens.add("gone")
    servers.apns.faults.bad_tokens.add("garbled")

    dead = await sender.send(notification(), "gone")
    bad = await sender.send(notification(), "garbled")

    assert (dead.outcome, dead.reason, dead.status) == (
        SendOutcome.UNREGISTERED,
        "Unregistered",
        410,
    )
    assert (bad.outcome, bad.reason, bad.status) == (
        SendOutcome.UNREGISTERED,
        "BadDeviceToken",
        400,
    )
    assert servers.apns.accepted == []


async def test_too_many_requests_is_retried_after_retry_after(
    servers: LocalPushServers, sender: ApnsSender
) -> None:
    servers.apns.faults.answer_first(429, count=2, retry_after=7)

    first = await sender.send(notification(), "tok")
    second = await sender.send(notification(), "tok")
    third = await sender.send(notification(), "tok")

    assert (first.outcome, first.reason, first.retry_after) == (
        SendOutcome.RETRY,
        "TooManyRequests",
        7.0,
    )
    assert second == first
    assert third.outcome is SendOutcome.ACCEPTED


@pytest.mark.parametrize(
    ("status", "reason"), [(500, "InternalServerError"), (503, "ServiceUnavailable")]
)
async def test_server_errors_are_retried(
    servers: LocalPushServers, sender: ApnsSender, status: int, reason: str
) -> None:
    servers.apns.faults.answer_first(status)

    result = await sender.send(notification(), "tok")

    assert (result.outcome, result.reason, result.status) == (SendOutcome.RETRY, reason, status)
    assert result.retry_after is None
    assert (await sender.send(notification(), "tok")).outcome is SendOutcome.ACCEPTED


async def test_an_expired_provider_token_is_renewed_and_the_send_retried(
    servers: LocalPushServers,
) -> None:
    clock = Clock(time.time() - 5)
    sender = sender_for(servers, clock=clock)
    try:
        assert (await sender.send(notification(), "tok")).outcome is SendOutcome.ACCEPTED
        servers.apns.expire_provider_tokens()
        clock.now += 1  # well inside the 30 minutes: only Apple's answer renews it

        refused = await asyncio.gather(*(sender.send(notification(), "tok") for _ in range(20)))
        again = await sender.send(notification(), "tok")
    finally:
        await sender.close()

    assert {(r.outcome, r.reason, r.status, r.retry_after) for r in refused} == {
        (SendOutcome.RETRY, "ExpiredProviderToken", 403, None)
    }
    assert again.outcome is SendOutcome.ACCEPTED
    first, renewed = servers.apns.accepted
    assert renewed.provider_token_iat == first.provider_token_iat + 1
    assert len(servers.apns.provider_tokens) == 2  # one renewal for the twenty refusals


async def test_a_token_signed_with_another_key_is_rejected(servers: LocalPushServers) -> None:
    files = servers.files
    sender = ApnsSender(
        files.apns_url,
        key_pem=make_apns_key().private_pem,
        key_id=files.apns_key_id,
        team_id=files.apns_team_id,
        topic=files.apns_topic,
        ca_file=files.ca_file,
    )
    try:
        result = await sender.send(notification(), "tok")
    finally:
        await sender.close()

    assert (result.outcome, result.reason, result.status) == (
        SendOutcome.REJECTED,
        "InvalidProviderToken",
        403,
    )


async def test_what_apple_refuses_for_good_is_rejected(
    servers: LocalPushServers, sender: ApnsSender
) -> None:
    long_collapse = await sender.send(notification(collapse="c" * 65), "tok")
    too_large = await sender.send(notification(body="x" * 5000), "tok")

    assert (long_collapse.outcome, long_collapse.reason) == (SendOutcome.REJECTED, "BadCollapseId")
    assert (too_large.outcome, too_large.reason, too_large.status) == (
        SendOutcome.REJECTED,
        "PayloadTooLarge",
        413,
    )
    wrong_topic = sender_for(servers, topic="com.example.other")
    try:
        refused = await wrong_topic.send(notification(), "tok")
    finally:
        await wrong_topic.close()
    assert (refused.outcome, refused.reason) == (SendOutcome.REJECTED, "TopicDisallowed")


async def test_connection_refused_and_timeouts_are_retried(
    servers: LocalPushServers, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    files = servers.files
    nowhere = ApnsSender(
        f"https://127.0.0.1:{free_port}",
        key_pem=files.apns_key_file.read_bytes(),
        key_id=files.apns_key_id,
        team_id=files.apns_team_id,
        topic=files.apns_topic,
        ca_file=files.ca_file,
    )
    slow = sender_for(servers, timeout=0.2)
    servers.apns.faults.delay = 2.0
    try:
        refused = await nowhere.send(notification(), "tok")
        timed_out = await slow.send(notification(), "tok")
    finally:
        await nowhere.close()
        await slow.close()

    assert (refused.outcome, refused.reason, refused.status) == (
        SendOutcome.RETRY,
        "connection",
        None,
    )
    assert (timed_out.outcome, timed_out.reason) == (SendOutcome.RETRY, "connection")


TRUST_PROBE = """
import asyncio, sys
from adapters.push.http2 import Http2Transport, TransportError
async def probe():
    transport = Http2Transport(ca_file=sys.argv[2] or None, timeout=5)
    try:
        print((await transport.get(sys.argv[1] + "/_stats")).status)
    except TransportError:
        print("refused")
    finally:
        await transport.close()
asyncio.run(probe())
"""


async def test_the_platform_roots_and_the_ca_file_are_both_trusted(
    servers: LocalPushServers, tmp_path: Path
) -> None:
    """The platform's roots (on Linux: SSL_CERT_FILE / SSL_CERT_DIR) stay trusted beside
    SCORELINE_PUSH_CA_FILE, which adds to them and replaces nothing."""
    other = write_self_signed_cert(tmp_path / "other")
    no_dir = tmp_path / "no-certs"
    no_dir.mkdir()

    async def probe(platform_roots: Path, ca_file: Path | None) -> str:
        env = dict(os.environ, SSL_CERT_FILE=str(platform_roots), SSL_CERT_DIR=str(no_dir))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            TRUST_PROBE,
            servers.files.apns_url,
            str(ca_file or ""),
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
        return out.decode().strip()

    server_cert = servers.files.ca_file
    assert await probe(server_cert, other.cert_file) == "200"  # trusted by the platform
    assert await probe(other.cert_file, server_cert) == "200"  # trusted by the extra CA file
    assert await probe(other.cert_file, None) == "refused"  # trusted by neither


async def test_many_concurrent_sends_multiplex_on_few_connections(
    servers: LocalPushServers,
) -> None:
    servers.apns.faults.delay = 0.3  # answers held back so the requests pile up in flight
    sender = sender_for(servers, max_connections=2)
    try:
        sending = asyncio.gather(*(sender.send(notification(), f"device{i}") for i in range(300)))
        await servers.apns.recorder.wait_for_accepted(300, timeout=30)
        results = await sending
    finally:
        await sender.close()

    assert {r.outcome for r in results} == {SendOutcome.ACCEPTED}
    assert {seen.token for seen in servers.apns.accepted} == {f"device{i}" for i in range(300)}
    assert servers.apns.load.connections <= 2
    assert servers.apns.load.peak_in_flight >= 50


async def test_the_server_process_reports_ready_and_counts(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.push_servers", "--dir", str(tmp_path), "--no-uvloop"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        env = ready["env"]
        sender = ApnsSender(
            env["SCORELINE_APNS_URL"],
            key_pem=Path(env["SCORELINE_APNS_KEY_FILE"]).read_bytes(),
            key_id=env["SCORELINE_APNS_KEY_ID"],
            team_id=env["SCORELINE_APNS_TEAM_ID"],
            topic=env["SCORELINE_APNS_TOPIC"],
            ca_file=env["SCORELINE_PUSH_CA_FILE"],
        )
        try:
            for _ in range(2):
                assert (await sender.send(notification(), "tok")).outcome is SendOutcome.ACCEPTED
        finally:
            await sender.close()
        transport = Http2Transport(ca_file=env["SCORELINE_PUSH_CA_FILE"])
        try:
            stats = json.loads((await transport.get(f"{env['SCORELINE_APNS_URL']}/_stats")).body)
        finally:
            await transport.close()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0

    assert ready["ready"] is True
    assert stats["accepted"] == 2
    assert stats["duplicates"] == 1
    assert stats["by_status"] == {"200": 2}


@given(st.lists(st.floats(min_value=0, max_value=4000), min_size=1, max_size=40))
def test_the_provider_token_lives_between_20_and_60_minutes(advances: list[float]) -> None:
    """For any clock, a request never carries a token older than an hour, and a new one
    is never signed sooner than 20 minutes after the last."""
    key = make_apns_key()
    clock = Clock(1_800_000_000.0)
    provider = ProviderToken(key.private_pem, key_id=key.key_id, team_id=key.team_id, clock=clock)
    header = provider.header()
    signed_at = clock.now
    for advance in advances:
        clock.now += advance
        current = provider.header()
        if current != header:
            assert clock.now - signed_at >= MIN_REFRESH_SECONDS
            header, signed_at = current, clock.now
        claims = jwt.decode(current.split()[1], options={"verify_signature": False})
        assert clock.now - claims["iat"] < MAX_AGE_SECONDS


@given(st.integers(min_value=0, max_value=10**6))
def test_retry_after_reads_seconds_and_http_dates(seconds: int) -> None:
    now = 1_800_000_000.0
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + seconds))
    assert parse_retry_after(str(seconds), now) == seconds
    assert parse_retry_after(date, now) == seconds
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
