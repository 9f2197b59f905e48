"""Projectors split by read model (``--read-models``): on one PostgreSQL store, one
process writes the game states and another the history, standings and player stats;
each writes only its own, and both reach the head of the log."""

from __future__ import annotations

import asyncio
from pathlib import Path

from adapters.postgres_schema import postgres_env, upgrade
from domain.scorekeeper import Scorekeeper
from entrypoints.composition import Services, build
from entrypoints.metrics import projector_lag
from entrypoints.settings import Settings
from tests.game_events import finished_soccer_game
from tests.services import postgres_database

REST = frozenset({"history", "standings", "player_stats"})


def projector(url: str, data_dir: Path, read_models: frozenset[str]) -> Services:
    return build(
        Settings(data_dir=data_dir, database_url=url, role="projector", read_models=read_models)
    )


def test_each_projector_builds_and_runs_only_its_read_models(tmp_path: Path) -> None:
    with postgres_database() as url:
        upgrade(url)
        states = projector(url, tmp_path / "a", frozenset({"game_state"}))
        rest = projector(url, tmp_path / "b", REST)

        async def main() -> tuple[list[str], list[str]]:
            await states.start()
            await rest.start()
            try:
                return [t.get_name() for t in states.tasks], [t.get_name() for t in rest.tasks]
            finally:
                await states.stop()
                await rest.stop()

        try:
            assert states.read_models == []
            assert states.projector_followers() == [states.follower]
            assert {name for name, _, _ in rest.read_models} == {
                "history",
                "standings+player_stats",
            }
            assert rest.follower not in rest.projector_followers()
            states_tasks, rest_tasks = asyncio.run(main())
            assert states_tasks == ["projector"]
            assert sorted(rest_tasks) == ["projector:history", "projector:standings+player_stats"]
        finally:
            states.close()
            rest.close()


def test_split_projectors_both_reach_the_head_and_write_only_their_own(tmp_path: Path) -> None:
    with postgres_database() as url:
        upgrade(url)
        keeper = Scorekeeper(env=postgres_env(url, create_table=False))
        keeper.record(finished_soccer_game("split-1").events)
        head = keeper.recorder.max_notification_id()
        states = projector(url, tmp_path / "a", frozenset({"game_state"}))
        rest = projector(url, tmp_path / "b", REST)

        def lags() -> list[int]:
            return [projector_lag(p.scorekeeper, p.projector_followers()) for p in (states, rest)]

        async def main() -> None:
            await states.start()
            await rest.start()
            try:
                async with asyncio.timeout(30):
                    while await asyncio.to_thread(lags) != [0, 0]:
                        await asyncio.sleep(0.05)
            finally:
                await states.stop()
                await rest.stop()

        try:
            asyncio.run(main())
            # Each wrote its own read models up to the head, and nothing of the other's.
            assert states.follower.position == head
            assert all(f.position == head for _, f, _ in rest.read_models)
            assert rest.follower.position == 0  # never ran: the game states are not its
            state = states.view.state("split-1")
            assert state is not None and state["status"] == "FINAL"
            assert state["home_score"] == 2 and state["away_score"] == 1
            assert rest.standings is not None and rest.player_stats is not None
        finally:
            states.close()
            rest.close()
            keeper.close()
