"""WriterBoards over the real PostgreSQL view: boards read back once, the kept ones
dropped whenever another writer (or a rebuild's swap) may have written."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.postgres_game_state_view import (
    PostgresGameStateView,
    open_postgres_game_state_view,
)
from domain.scoreboard import Scoreboard
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType
from projections.follower import LogFollower
from projections.game_state import GameStateProjection
from projections.writer_boards import WriterBoards
from tests.game_events import AWAY, HOME, GameScript
from tests.integration.test_postgres_read_models import batch_of, fresh, popo_keeper

UPSTREAM = "scoreline"


@pytest.fixture
def open_view(postgres_url: str) -> Iterator[Callable[[], PostgresGameStateView]]:
    opened: list[PostgresGameStateView] = []

    def make() -> PostgresGameStateView:
        opened.append(open_postgres_game_state_view(postgres_url, schema=fresh("writer")))
        return opened[-1]

    yield make
    for view in opened:
        view.datastore.close()


def keeper_of(*scripts: GameScript) -> Scorekeeper:
    return popo_keeper(*(event for script in scripts for event in script.events))


def soccer(game_id: str, goals: int) -> GameScript:
    script = GameScript(game_id)
    script.schedule()
    script.start()
    for minute in range(goals):
        script.score(EventType.GOAL, HOME if minute % 2 else AWAY, clock_seconds=60 * minute)
    return script


def test_the_writer_reads_a_game_board_from_the_store_once(
    open_view: Callable[[], PostgresGameStateView], monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = open_view()
    reads: list[list[str]] = []
    read_boards = stored.boards

    def counted(ids: Collection[str]) -> dict[str, Scoreboard]:
        reads.append(list(ids))
        return read_boards(ids)

    monkeypatch.setattr(stored, "boards", counted)
    keeper = keeper_of(soccer("g1", 4))
    projection = GameStateProjection(WriterBoards(stored), UPSTREAM)

    for start in (1, 3, 5):
        projection.process(batch_of(keeper, start, 2))

    assert reads == [["g1"]]  # the first batch only; the others folded onto the kept board
    assert stored.board("g1") == keeper.scoreboard("g1")


def test_a_refused_save_drops_the_kept_boards(
    open_view: Callable[[], PostgresGameStateView],
) -> None:
    stored = open_view()
    writer = WriterBoards(stored)
    keeper = keeper_of(soccer("g1", 2))
    projection = GameStateProjection(writer, UPSTREAM)
    projection.process(batch_of(keeper, 1, 2))
    # Another writer got further meanwhile, with a board of its own.
    other = keeper.scoreboard("g1")
    assert other is not None
    other.home_score = 99
    stored.save({"g1": other}, Tracking(UPSTREAM, 3))

    with pytest.raises(IntegrityError):
        projection.process(batch_of(keeper, 3, 1))
    assert writer.boards(["g1"])["g1"].home_score == 99  # read from the store again


def test_a_table_swapped_in_by_a_rebuild_is_folded_onto_not_overwritten(
    open_view: Callable[[], PostgresGameStateView],
) -> None:
    stored = open_view()
    keeper = keeper_of(soccer("g1", 3))
    follower = LogFollower(
        keeper, GameStateProjection(WriterBoards(stored), UPSTREAM), batch_size=2
    )
    follower.fold_now()  # notifications 1-2: the board is kept
    # A rebuild swaps in a copy at the same position, with a board unlike the kept one.
    rebuilt = stored.board("g1")  # the board at the live position, 2
    assert rebuilt is not None
    rebuilt.home_score = 40
    schema = stored.datastore.schema
    shadow = PostgresGameStateView(
        stored.datastore, states_table_name="game_states_shadow", tracking_table_name="t_shadow"
    )
    shadow.create_table()
    shadow.save({"g1": rebuilt}, Tracking(UPSTREAM, 2))
    with stored.datastore.transaction(commit=True) as c:
        c.execute(f'DROP TABLE "{schema}".game_states')
        c.execute(f'ALTER TABLE "{schema}".game_states_shadow RENAME TO game_states')

    while follower.fold_now():  # the refused batch is read again, onto the new table
        pass

    board, live = stored.board("g1"), keeper.scoreboard("g1")
    assert board is not None and live is not None
    assert board.version == live.version == 5
    assert board.home_score == 40 + live.home_score  # the rebuilt board, folded on


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    goals=st.lists(st.integers(0, 6), min_size=1, max_size=3),
    sizes=st.lists(st.integers(1, 7), min_size=1, max_size=12),
)
def test_for_any_batching_the_writer_stores_what_the_plain_view_stores(
    open_view: Callable[[], PostgresGameStateView], goals: list[int], sizes: list[int]
) -> None:
    keeper = keeper_of(*(soccer(f"g{i}", n) for i, n in enumerate(goals)))
    plain, kept = open_view(), open_view()
    projections = [GameStateProjection(v, UPSTREAM) for v in (plain, WriterBoards(kept))]
    start, index = 1, 0
    while batch := batch_of(keeper, start, sizes[index % len(sizes)]):
        for projection in projections:
            projection.process(batch)
        start, index = batch[-1][1] + 1, index + 1
    games = [f"g{i}" for i in range(len(goals))]
    assert kept.boards(games) == plain.boards(games)
    assert kept.states() == plain.states()


async def test_the_writer_outlives_its_connection_being_killed(postgres_url: str) -> None:
    """No check before each save (pre_ping off): a connection killed by a restart fails
    one batch, which the follower reads again on a new connection."""
    import asyncio

    import psycopg

    from adapters.postgres_schema import postgres_datastore

    probe = open_postgres_game_state_view(postgres_url, schema=fresh("killed"))
    stored = PostgresGameStateView(
        postgres_datastore(postgres_url, schema=probe.datastore.schema, pool_size=1, pre_ping=False)
    )
    keeper = keeper_of(soccer("g1", 4))
    follower = LogFollower(
        keeper, GameStateProjection(WriterBoards(stored), UPSTREAM), batch_size=2
    )
    try:
        follower.fold_now()  # notifications 1-2, on the pool's one connection
        with stored.datastore.get_connection() as conn:
            backend = conn.info.backend_pid
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        task = asyncio.create_task(follower.run())
        for _ in range(200):  # a bound, not a timing check
            board = stored.board("g1")
            if board is not None and board.version == 6:
                break
            assert not task.done(), task
            follower.poke()
            await asyncio.sleep(0.05)
        task.cancel()
        assert stored.board("g1") == keeper.scoreboard("g1")
        assert stored.max_tracking_id(UPSTREAM) == 6
    finally:
        stored.datastore.close()
        probe.datastore.close()
