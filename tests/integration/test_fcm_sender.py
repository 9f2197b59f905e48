"""The real FcmSender (and its OAuth2 access tokens) against the local FCM server and
token endpoint, over TLS + HTTP/2 on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.push.fcm import FcmSender
from adapters.push.service_account import ServiceAccount
from bench.push_servers import LocalPushServers, make_service_account_key, push_servers_in_thread
from domain.devices import Interest
from domain.push import NotificationKind, PushNotification, SendOutcome, collapse_id


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def notification(game: str = "g1") -> PushNotification:
    now = time.time()
    return PushNotification(
        id=f"{game}:e1:goal",
        game_id=game,
        kind=NotificationKind.GOAL,
        interest=Interest.GOALS,
        title="Goal!",
        body="Arsenal 1-0 Chelsea",
        collapse_id=collapse_id(game),
        teams=("arsenal", "chelsea"),
        created_at=now,
        expires_at=now + 600,
        data={"game": game, "score": "1-0"},
    )


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[LocalPushServers]:
    async with LocalPushServers(tmp_path) as started:
        yield started


def account_of(servers: LocalPushServers) -> ServiceAccount:
    return ServiceAccount.from_file(servers.files.fcm_credentials_file)


def sender_for(
    servers: LocalPushServers,
    account: ServiceAccount | None = None,
    *,
    url: str | None = None,
    **options: object,
) -> FcmSender:
    return FcmSender(
        url or servers.files.fcm_url,
        credentials=account or account_of(servers),
        ca_file=servers.files.ca_file,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def sender(servers: LocalPushServers) -> AsyncIterator[FcmSender]:
    made = sender_for(servers)
    yield made
    await made.close()


async def test_accepted_with_the_access_token_and_message(
    servers: LocalPushServers, sender: FcmSender
) -> None:
    sent = notification()
    results = [await sender.send(sent, f"fcm-token-{i}") for i in range(3)]

    assert {(r.outcome, r.status) for r in results} == {(SendOutcome.ACCEPTED, 200)}
    first = servers.fcm.accepted[0]
    assert first.name == "projects/scoreline-local/messages/1"
    ttl = first.message["android"].pop("ttl")
    assert first.message == {
        "token": "fcm-token-0",
        "notification": {"title": "Goal!", "body": "Arsenal 1-0 Chelsea"},
        "data": {"game": "g1", "score": "1-0"},
        "android": {"collapse_key": "game-g1"},
        "apns": {
            "headers": {
                "apns-collapse-id": "game-g1",
                "apns-expiration": str(int(sent.expires_at)),
            }
        },
    }
    assert 590 <= int(ttl.removesuffix("s")) <= 600
    assert servers.fcm.token_requests == 1  # one access token for every send
    assert len({seen.access_token for seen in servers.fcm.accepted}) == 1


async def test_dead_and_invalid_tokens_are_unregistered(
    servers: LocalPushServers, sender: FcmSender
) -> None:
    servers.fcm.faults.dead_tokens.add("gone")
    servers.fcm.faults.bad_tokens.add("garbled")

    dead = await sender.send(notification(), "gone")
    bad = await sender.send(notification(), "garbled")

    assert (dead.outcome, dead.reason, dead.status) == (
        SendOutcome.UNREGISTERED,
        "UNREGISTERED",
        404,
    )
    assert (bad.outcome, bad.reason, bad.status) == (
        SendOutcome.UNREGISTERED,
        "INVALID_ARGUMENT",
        400,
    )
    assert servers.fcm.accepted == []


@pytest.mark.parametrize(
    ("status", "reason", "retry_after"),
    [(429, "QUOTA_EXCEEDED", 30), (503, "UNAVAILABLE", 4), (500, "INTERNAL", None)],
)
async def test_quota_and_server_errors_are_retried_honouring_retry_after(
    servers: LocalPushServers,
    sender: FcmSender,
    status: int,
    reason: str,
    retry_after: int | None,
) -> None:
    servers.fcm.faults.answer_first(status, retry_after=retry_after)

    result = await sender.send(notification(), "tok")

    assert (result.outcome, result.reason, result.status) == (SendOutcome.RETRY, reason, status)
    assert result.retry_after == (None if retry_after is None else float(retry_after))
    assert (await sender.send(notification(), "tok")).outcome is SendOutcome.ACCEPTED


async def test_a_refused_access_token_is_refreshed_once(
    servers: LocalPushServers, sender: FcmSender
) -> None:
    assert (await sender.send(notification(), "tok")).outcome is SendOutcome.ACCEPTED
    servers.fcm.revoke_access_tokens()

    refused = await asyncio.gather(*(sender.send(notification(), "tok") for _ in range(20)))
    again = await sender.send(notification(), "tok")

    assert {(r.outcome, r.reason, r.status) for r in refused} == {
        (SendOutcome.RETRY, "UNAUTHENTICATED", 401)
    }
    assert again.outcome is SendOutcome.ACCEPTED
    assert servers.fcm.token_requests == 2
    first, renewed = servers.fcm.accepted
    assert first.access_token != renewed.access_token


async def test_the_access_token_is_cached_until_shortly_before_it_expires(
    servers: LocalPushServers,
) -> None:
    clock = Clock(time.time())
    sender = sender_for(servers, clock=clock)
    try:
        await sender.send(notification(), "tok")
        clock.now += 3600 - 301  # more than five minutes left: reused
        await sender.send(notification(), "tok")
        reused = servers.fcm.token_requests
        clock.now += 2  # under five minutes left: refreshed
        await sender.send(notification(), "tok")
    finally:
        await sender.close()

    assert reused == 1
    assert servers.fcm.token_requests == 2


async def test_concurrent_first_sends_share_one_token_request(
    servers: LocalPushServers, sender: FcmSender
) -> None:
    results = await asyncio.gather(*(sender.send(notification(), f"t{i}") for i in range(50)))

    assert {r.outcome for r in results} == {SendOutcome.ACCEPTED}
    assert servers.fcm.token_requests == 1
    assert sender.access_tokens.refreshes == 1


async def test_a_service_account_the_endpoint_refuses_is_rejected(
    servers: LocalPushServers,
) -> None:
    stranger = make_service_account_key()
    account = dataclasses.replace(account_of(servers), private_key=stranger.private_pem.decode())
    sender = sender_for(servers, account)
    try:
        result = await sender.send(notification(), "tok")
    finally:
        await sender.close()

    assert (result.outcome, result.reason, result.status) == (
        SendOutcome.REJECTED,
        "invalid_grant",
        400,
    )
    assert servers.fcm.recorder.requests == 0


async def test_connection_refused_is_retried(servers: LocalPushServers) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nowhere = f"https://127.0.0.1:{probe.getsockname()[1]}"
    unreachable_fcm = sender_for(servers, url=nowhere)
    unreachable_tokens = sender_for(
        servers, dataclasses.replace(account_of(servers), token_uri=f"{nowhere}/token")
    )
    try:
        sending = await unreachable_fcm.send(notification(), "tok")
        authenticating = await unreachable_tokens.send(notification(), "tok")
    finally:
        await unreachable_fcm.close()
        await unreachable_tokens.close()

    assert (sending.outcome, sending.reason) == (SendOutcome.RETRY, "connection")
    assert (authenticating.outcome, authenticating.reason) == (SendOutcome.RETRY, "connection")


async def test_many_concurrent_sends_multiplex_on_few_connections(
    servers: LocalPushServers,
) -> None:
    servers.fcm.faults.delay = 0.3
    sender = sender_for(servers, max_connections=2)
    try:
        results = await asyncio.gather(
            *(sender.send(notification(), f"device{i}") for i in range(300))
        )
    finally:
        await sender.close()

    assert {r.outcome for r in results} == {SendOutcome.ACCEPTED}
    assert {seen.token for seen in servers.fcm.accepted} == {f"device{i}" for i in range(300)}
    assert servers.fcm.load.connections <= 2
    assert servers.fcm.load.peak_in_flight >= 50


def test_servers_in_a_thread_serve_synchronous_callers(tmp_path: Path) -> None:
    with push_servers_in_thread(tmp_path) as servers:
        servers.fcm.faults.dead_tokens.add("gone")

        async def send_both() -> list[SendOutcome]:
            sender = sender_for(servers)
            try:
                return [(await sender.send(notification(), t)).outcome for t in ("ok", "gone")]
            finally:
                await sender.close()

        outcomes = asyncio.run(send_both())
        accepted = servers.fcm.recorder.accepted

    assert outcomes == [SendOutcome.ACCEPTED, SendOutcome.UNREGISTERED]
    assert accepted == 1
