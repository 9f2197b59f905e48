"""How the embedded process (and a projector on PostgreSQL) follows its read models:
the game states alone (the fans' path: no linger), and the standings and player stats
as one lingering group."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from entrypoints.composition import build
from entrypoints.settings import Settings
from projections.board_fold import FoldedGroup


def test_the_embedded_followers(tmp_path: Path) -> None:
    services = build(Settings(data_dir=tmp_path))
    try:
        assert services.follower.linger == 0
        [(name, group, lock)] = services.read_models
        assert name == "standings+player_stats"
        assert isinstance(group.projection, FoldedGroup) and lock is None
        assert [m.name for m in group.projection.members] == ["standings", "player_stats"]
        assert services.notifications is not None
        notifier = services.notifications.notifier
        assert notifier is not None
        assert group.linger > 0 and notifier.linger > 0
    finally:
        services.close()


def test_the_embedded_recorder_folds_the_game_states_on_its_thread(tmp_path: Path) -> None:
    from entrypoints.composition.wiring import folds_on_recorder

    services = build(Settings(data_dir=tmp_path))
    try:
        assert services.recorder.after_commit == services.follower.fold_now
    finally:
        services.close()
    # A fleet's roles (and any process on PostgreSQL, whose read-model writer is the
    # holder of its advisory lock) leave the game states to the projector's follower.
    for role in ("recorder", "projector", "ingest", "gateway"):
        assert not folds_on_recorder(Settings(data_dir=tmp_path, role=role))
    assert not folds_on_recorder(
        Settings(data_dir=tmp_path, database_url="postgresql://localhost/x")
    )


def test_a_projector_on_postgresql_follows_standings_and_player_stats_as_one(
    postgres_url: str, tmp_path: Path
) -> None:
    """As embedded, one follower folds both (half the boards read and folded), under
    one writer lock; the history follows alone, under its own."""
    from adapters.postgres_schema import upgrade

    upgrade(postgres_url)
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, role="projector")
    services = build(settings)
    try:
        found = {name: (follower, lock) for name, follower, lock in services.read_models}
        assert set(found) == {"standings+player_stats", "history"}
        group, lock = found["standings+player_stats"]
        assert isinstance(group.projection, FoldedGroup)
        assert [m.name for m in group.projection.members] == ["standings", "player_stats"]
        assert lock is not None and lock.name == "scoreline:standings+player_stats"
        assert group.linger > 0 and found["history"][0].linger > 0
    finally:
        services.close()


async def test_a_batch_that_recorded_nothing_wakes_no_follower(tmp_path: Path) -> None:
    from domain.events import Verdict

    services = build(Settings(data_dir=tmp_path))
    followers = [services.follower, *(f for _, f, _ in services.read_models)]
    try:
        nothing = [
            Verdict("e1", "g1", "duplicate"),
            Verdict("e2", "g1", "conflict", "another event has this id"),
        ]
        await services.wake_projectors(nothing)
        assert not any(f._wake.is_set() for f in followers)
        await services.wake_projectors([*nothing, Verdict("e3", "g1", "recorded", version=1)])
        assert all(f._wake.is_set() for f in followers)
    finally:
        services.close()


def test_a_projector_s_read_models_commit_without_waiting_for_the_disk(
    postgres_url: str, tmp_path: Path
) -> None:
    """Read models are projections with their position in the same transaction: a
    commit a database crash loses is projected again. The event store's commits wait.
    The read models compress with lz4 where the server has it (their boards are saved
    whole every batch); the event store keeps the server's default. The read models'
    connections encode jsonb parameters with msgspec; the event store's are untouched."""
    from psycopg.adapt import PyFormat
    from psycopg.types.json import Jsonb

    from adapters.postgres_jsonb import encode_jsonb
    from adapters.postgres_schema import upgrade

    def jsonb_dumps(recorder: Any) -> Any:
        with recorder.datastore.get_connection() as conn:
            return conn.adapters.get_dumper(Jsonb, PyFormat.BINARY)(Jsonb, conn).dumps

    def setting(recorder: Any, name: str) -> str:
        with recorder.datastore.transaction(commit=False) as c:
            c.execute("SELECT current_setting(%s) AS value", (name,))
            return str(c.fetchone()["value"])

    upgrade(postgres_url)
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, role="projector")
    services = build(settings)
    try:
        stores = {"game_state": cast(Any, services.view).view}
        for name, follower, _ in services.read_models:
            projection: Any = follower.projection
            for member in getattr(projection, "members", [projection]):
                stores[f"{name}/{member.name}"] = member.store
        assert set(stores) == {
            "game_state",
            "standings+player_stats/standings",
            "standings+player_stats/player_stats",
            "history/history",
        }
        found = {name: setting(store, "synchronous_commit") for name, store in stores.items()}
        assert set(found.values()) == {"off"}, found
        keeper = cast(Any, services.scorekeeper.recorder)
        assert setting(keeper, "synchronous_commit") == "on"
        with keeper.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT enumvals, reset_val FROM pg_settings"
                " WHERE name = 'default_toast_compression'"
            )
            row = c.fetchone()
        expected = "lz4" if "lz4" in row["enumvals"] else row["reset_val"]
        compression = {n: setting(s, "default_toast_compression") for n, s in stores.items()}
        assert set(compression.values()) == {expected}, compression
        assert setting(keeper, "default_toast_compression") == row["reset_val"]
        encoders = {name: jsonb_dumps(store) for name, store in stores.items()}
        assert set(encoders.values()) == {encode_jsonb}, encoders
        assert jsonb_dumps(keeper) is not encode_jsonb
    finally:
        services.close()
