"""The history shadow filled by the server (adapters/postgres_history_fill.py) holds
exactly the rows the live projector writes (``history_row`` of each decoded stored
event, by PostgresHistory.save's INSERTs), for any stored Game events: every optional
field (schedule, correction, assists, player name), unicode, backslashes and control
characters in the text, timestamps with or without microseconds, naive or with any
offset, dicts of older shapes (keys missing or unknown, null provider and description,
empty assists); events of other aggregates write no row but advance the position."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent, Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.postgres_history import COLUMNS, PostgresHistory, open_postgres_history
from adapters.postgres_history_copy import ShadowPostgresHistory
from adapters.postgres_history_fill import history_fill
from adapters.postgres_schema import postgres_env, upgrade
from domain.events import Correction, GameEvent, Schedule
from domain.game import Game
from domain.provider_aliases import ProviderAliases
from domain.recorded_event import recorded_event
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType, Sport
from projections.buffered_stores import BufferedHistoryStore
from projections.history import HistoryProjection, history_row
from projections.replay import replay
from projections.stored_event_decoding import StoredEventDecoder

words = st.text(
    st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=10
) | st.sampled_from(
    ["a\\b", "tab\there", "line\nnext", "cr\r", "\\N", "é ü 中文 🏟", '"q"', "\\u0041"]
)
maybe = st.none() | words
small = st.none() | st.integers(-(2**31), 2**31 - 1)
players = st.lists(words, max_size=3).map(tuple)
schedules = st.builds(
    Schedule, words, words, maybe, maybe, maybe, maybe, maybe, maybe
)  # fmt: skip
corrections = st.builds(
    Correction,
    st.none() | st.sampled_from(list(EventType)),
    maybe,
    maybe,
    small,
    small,
    maybe,
    st.none() | players,
    maybe,
)
game_events = st.builds(
    GameEvent,
    event_id=words,
    game_id=words,
    sport=st.sampled_from(list(Sport)),
    sequence_number=st.integers(1, 2**40),
    event_type=st.sampled_from(list(EventType)),
    provider=words,
    team_id=maybe,
    player_id=maybe,
    clock_seconds=small,
    period=small,
    description=words,
    created_at=maybe,
    references_event_id=maybe,
    schedule=st.none() | schedules,
    correction=st.none() | corrections,
    assists=players,
    player_name=maybe,
)
OLDER = ("created_at", "references_event_id", "team_id", "player_name")


@st.composite
def game_event_dicts(draw: Any) -> dict[str, Any]:
    """A GameEvent's dict as stored: to_dict's, or an older shape of it."""
    data: dict[str, Any] = draw(game_events).to_dict()
    if draw(st.booleans()):
        for key in draw(st.lists(st.sampled_from(OLDER), unique=True)):
            data.pop(key, None)
        for key in draw(st.lists(st.sampled_from(("provider", "description")), unique=True)):
            data[key] = draw(st.sampled_from([None, ""]))
        if draw(st.booleans()):
            data["unknown"] = draw(words)  # (from_dict ignores a key it does not know)
        if "assists" not in data and draw(st.booleans()):
            data["assists"] = []  # (empty: no assists)
        if "player_name" not in data and draw(st.booleans()):
            data["player_name"] = None
        if "correction" in data and "assists" not in data["correction"] and draw(st.booleans()):
            data["correction"]["assists"] = None
        if "schedule" in data and draw(st.booleans()):
            for key in ("venue", "league", "season"):
                data["schedule"].pop(key)
    return data


instants = st.builds(
    lambda at, minutes, micro, naive: (
        at.replace(microsecond=micro) if naive
        else at.replace(microsecond=micro, tzinfo=timezone(timedelta(minutes=minutes)))
    ),
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)),
    st.integers(-12 * 60, 14 * 60),
    st.sampled_from([0, 1, 500_000, 999_999]),
    st.booleans(),
)  # fmt: skip


@dataclass
class Log:
    keeper: Scorekeeper
    live: PostgresHistory
    filled: ShadowPostgresHistory

    def clear(self) -> None:
        for store in (self.live, self.filled):
            with store.datastore.transaction(commit=True) as c:
                for table in ("game_events", "game_events_tracking"):
                    c.execute(f'DELETE FROM "{store.datastore.schema}".{table}')

    def append(self, stored: list[StoredEvent]) -> list[int]:
        ids = self.keeper.recorder.insert_events(stored)
        assert ids is not None
        return list(ids)


@pytest.fixture
def log(postgres_url: str) -> Iterator[Log]:
    schemas = [f"fill_{uuid.uuid4().hex[:10]}" for _ in range(3)]
    url = f"{postgres_url}?schema={schemas[0]}"
    upgrade(url)
    keeper = Scorekeeper(env=postgres_env(url, create_table=False))
    live = open_postgres_history(postgres_url, schema=schemas[1])
    filled = ShadowPostgresHistory(open_postgres_history(postgres_url, schema=schemas[2]).datastore)
    yield Log(keeper, live, filled)
    keeper.close()
    for store in (live, filled):
        store.datastore.close()
    with open_postgres_history(postgres_url, schema=schemas[0]).datastore.transaction(
        commit=True
    ) as c:
        for schema in schemas:
            c.execute(f'DROP SCHEMA "{schema}" CASCADE')


def stored_game_event(keeper: Scorekeeper, data: dict[str, Any], at: datetime) -> StoredEvent:
    cls = Game.Scheduled if data["event_type"] == "GAME_SCHEDULED" else Game.Scored
    fields: dict[str, Any] = {"originator_id": uuid.uuid4(), "originator_version": 1}
    if cls is Game.Scheduled:
        fields["originator_topic"] = "domain.game:Game"
    event: Any = cls(**fields, timestamp=at, game_event=data)  # type: ignore[call-arg]
    return keeper.mapper.to_stored_event(event)


def stored_alias_event(keeper: Scorekeeper) -> StoredEvent:
    event: Any = ProviderAliases.Opened(  # type: ignore[call-arg]
        originator_id=uuid.uuid4(),
        originator_version=1,
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        originator_topic="domain.provider_aliases:ProviderAliases",
        game_id="g",
    )
    return keeper.mapper.to_stored_event(event)


def rows_of(store: PostgresHistory) -> list[tuple[Any, ...]]:
    with store.datastore.transaction(commit=False) as c:
        c.execute(
            f'SELECT {COLUMNS} FROM "{store.datastore.schema}".game_events'
            ' ORDER BY game_id COLLATE "C", version, recorded_at'
        )
        return [tuple(row.values()) for row in c.fetchall()]


def live_rows(log: Log, ids: list[int], stored: list[StoredEvent]) -> None:
    """What the live projector writes: history_row of each decoded Game event."""
    decode = StoredEventDecoder(log.keeper.mapper).decode
    events = [decode(s) for s in stored]
    rows = [
        history_row(recorded_event(e))
        for e in events
        if isinstance(e, (Game.Scheduled, Game.Recorded))
    ]
    log.live.save(rows, Tracking(log.keeper.name, ids[-1]))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(st.tuples(game_event_dicts(), instants), min_size=1, max_size=6),
    aliases=st.lists(st.integers(0, 6), max_size=2),
)
def test_the_server_fills_the_rows_the_live_projector_writes(
    log: Log, events: list[tuple[dict[str, Any], datetime]], aliases: list[int]
) -> None:
    log.clear()
    for number, (data, _) in enumerate(events):  # one game each: no key stored twice
        data["game_id"] = f"{data['game_id']}#{number}"
    stored = [stored_game_event(log.keeper, data, at) for data, at in events]
    for index in sorted(aliases, reverse=True):
        stored.insert(min(index, len(stored)), stored_alias_event(log.keeper))
    ids = log.append(stored)
    live_rows(log, ids, stored)
    fill = history_fill(log.filled, log.keeper.recorder, log.keeper.mapper, log.keeper.name)
    assert fill is not None
    assert fill.fill(ids[0] - 1, ids[-1], lambda position: None) == ids[-1]
    assert rows_of(log.filled) == rows_of(log.live)
    assert len(rows_of(log.filled)) == len(events)
    assert log.filled.max_tracking_id(log.keeper.name) == ids[-1]


def test_chunks_commit_their_positions_and_other_aggregates_advance_it(log: Log) -> None:
    keeper = log.keeper
    at = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    events = [
        GameEvent(f"e{n}", "g", Sport.SOCCER, n, EventType.GOAL, "p", "home").to_dict()
        for n in range(1, 8)
    ]
    stored = [stored_game_event(keeper, d, at + timedelta(seconds=n)) for n, d in enumerate(events)]
    ids = log.append(stored[:5]) + log.append([stored_alias_event(keeper)])
    fill = history_fill(log.filled, keeper.recorder, keeper.mapper, keeper.name)
    assert fill is not None
    fill.chunk = 2
    seen: list[int] = []
    assert fill.fill(ids[0] - 1, ids[-1] + 100, seen.append) == ids[-1]  # the last is an alias
    assert seen == sorted(seen) and seen[-1] == ids[-1]
    assert len(rows_of(log.filled)) == 5
    assert log.filled.max_tracking_id(keeper.name) == ids[-1]
    # Nothing after: the position stays.
    assert fill.fill(ids[-1], ids[-1] + 10, seen.append) == ids[-1]


def test_the_replay_fills_the_history_beside_the_fold(log: Log) -> None:
    """A buffered shadow projection in a replay: filled by the server, its position the
    buffer's afterwards, equal to the rows folded by the plain projection."""
    keeper = log.keeper
    at = datetime(2026, 3, 1, 12, 0, 0, 250, tzinfo=UTC)
    stored = [
        stored_game_event(
            keeper,
            GameEvent(
                f"e{n}",
                f"g{n % 3}",
                Sport.SOCCER,
                n,
                EventType.GOAL,
                "p",
                "home",
                description="x\\y\t€",
            ).to_dict(),
            at + timedelta(seconds=n),
        )
        for n in range(1, 40)
    ]
    ids = (
        log.append(stored[:20]) + log.append([stored_alias_event(keeper)]) + log.append(stored[20:])
    )
    buffer = BufferedHistoryStore(log.filled, fresh=True, background=True)
    filled = HistoryProjection(buffer, keeper.name)
    folded = HistoryProjection(log.live, keeper.name)
    assert filled.log_fill(keeper.recorder, keeper.mapper) is not None
    assert folded.log_fill(keeper.recorder, keeper.mapper) is None  # the live store: none
    assert replay(keeper, [filled, folded], stop=ids[10], batch_size=7) == ids[10]
    assert filled.position() == folded.position() == ids[10]
    assert replay(keeper, [filled, folded], stop=[ids[-1], ids[30]], batch_size=7) == ids[30]
    assert filled.position() == ids[-1]
    assert replay(keeper, folded, stop=ids[-1], batch_size=7) == ids[-1]
    buffer.flush()
    assert rows_of(log.filled) == rows_of(log.live)
    assert len(rows_of(log.filled)) == len(stored)


def test_the_key_and_index_are_built_after_the_first_fill(log: Log, postgres_url: str) -> None:
    """A fresh table is loaded without its key and index, which are built (same names)
    before the fill returns; later fills skip a row already stored, as the live
    projector does, and a row stored twice within the first load fails it."""
    keeper = log.keeper
    at = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    event = GameEvent("e1", "g", Sport.SOCCER, 1, EventType.GOAL, "p", "home").to_dict()
    fresh = open_postgres_history(postgres_url, schema=f"fill_{uuid.uuid4().hex[:10]}")
    shadow = ShadowPostgresHistory(fresh.datastore)
    try:
        twice = stored_game_event(keeper, event, at)
        again = StoredEvent(uuid.uuid4(), 1, twice.topic, twice.state)  # same row
        ids = log.append([twice, again])
        fill = history_fill(shadow, keeper.recorder, keeper.mapper, keeper.name)
        assert fill is not None
        with pytest.raises(Exception, match="could not create unique index"):
            fill.fill(ids[0] - 1, ids[-1], lambda position: None)
    finally:
        with fresh.datastore.transaction(commit=True) as c:
            c.execute(f'DROP SCHEMA "{fresh.datastore.schema}" CASCADE')
        fresh.datastore.close()
    log.clear()
    first = log.append([stored_game_event(keeper, event, at)])
    fill = history_fill(log.filled, keeper.recorder, keeper.mapper, keeper.name)
    assert fill is not None
    assert fill.fill(first[0] - 1, first[0], lambda position: None) == first[0]
    assert indexes(log.filled) == indexes(log.live)
    repeated = log.append([StoredEvent(uuid.uuid4(), 1, twice.topic, twice.state)])
    assert fill.fill(first[0], repeated[0], lambda position: None) == repeated[0]
    assert len(rows_of(log.filled)) == 1


def indexes(store: PostgresHistory) -> set[tuple[str, str]]:
    schema = store.datastore.schema
    with store.datastore.transaction(commit=False) as c:
        c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s", (schema,))
        return {(r["indexname"], r["indexdef"].replace(f"{schema}.", "")) for r in c.fetchall()}
