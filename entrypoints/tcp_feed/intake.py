"""Intake: one event line of an authenticated provider into Ingestion, and the
durable positions that ``ack`` and ``ready`` report.

Guarantees:
- :func:`take_event_line` returns acks only after ``Ingestion.accept`` returned, so
  every event they cover is durable; one ack per game of the line, in order of first
  appearance, each cumulative (see AckedSequences). Duplicates count as durable.
- A :class:`Refusal` means nothing of the line was accepted (a delivery is all or
  nothing); :class:`LogUnavailable` means the same, for a reason that may pass.
- Positions are never below what the event store has recorded contiguously.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from adapters.native_format import NativeFormatError, parse
from domain.ingestion import DeliveryRefused
from entrypoints.composition import Services
from entrypoints.tcp_feed.protocol import Ack, ErrorCode, Problem
from entrypoints.tcp_feed.status import ProviderFeed


@dataclass(frozen=True)
class Refusal:
    code: ErrorCode
    detail: str
    pointer: str
    problems: tuple[Problem, ...]


class LogUnavailable(Exception):
    """The event log failed; nothing of the line was accepted."""


async def take_event_line(
    services: Services, feed: ProviderFeed, body: bytes, line: int
) -> list[Ack] | Refusal:
    """Parse ``body`` (an event frame on client line ``line``) and accept it."""
    try:
        events = parse(body, provider=feed.provider, max_events=services.settings.max_batch_events)
    except NativeFormatError as error:
        problems = tuple(Problem(p.pointer, p.detail) for p in error.problems)
        return Refusal("invalid", str(error), problems[0].pointer, problems)
    try:
        outcomes = await services.ingestion.accept(events)
    except DeliveryRefused as refused:
        where = f"$[{refused.index}]" if body.lstrip()[:1] == b"[" else "$"
        pointer = f"{where}.{refused.field}".rstrip(".")
        code: ErrorCode = "conflict" if refused.kind == "conflict" else "invalid"
        return Refusal(code, refused.detail, pointer, (Problem(pointer, refused.detail),))
    except Exception as error:
        raise LogUnavailable(str(error)) from error
    per_game: dict[str, tuple[list[int], list[str]]] = {}
    for event, outcome in zip(events, outcomes, strict=True):
        seqs, kinds = per_game.setdefault(event.game_id, ([], []))
        seqs.append(event.sequence_number)
        kinds.append(outcome.outcome)
    acks: list[Ack] = []
    for game_id, (seqs, kinds) in per_game.items():
        if game_id not in feed.acked:
            recorded = await asyncio.to_thread(_recorded, services, [game_id])
            feed.acked.raise_floor(game_id, recorded[game_id])
        accepted = kinds.count("accepted")
        feed.accepted += accepted
        feed.duplicates += len(kinds) - accepted
        position = feed.acked.mark(game_id, seqs)
        acks.append(Ack(game_id, position, line, accepted, len(kinds) - accepted))
    return acks


async def resume_positions(
    services: Services, feed: ProviderFeed, asked: tuple[str, ...]
) -> dict[str, int]:
    """``ready.acked``: every game this provider sent here, and every game it asked for."""
    games = list(dict.fromkeys([*feed.acked.games(), *asked]))
    recorded = await asyncio.to_thread(_recorded, services, games)
    return {game_id: feed.acked.raise_floor(game_id, recorded[game_id]) for game_id in games}


def _recorded(services: Services, games: list[str]) -> dict[str, int]:
    keeper = services.scorekeeper
    return {game_id: keeper.next_sequence(game_id) - 1 for game_id in games}
