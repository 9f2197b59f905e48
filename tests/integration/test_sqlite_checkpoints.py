"""WalCheckpoints: SQLite files checkpointed by a thread of their own, never by a commit.

Real SQLite files. A database opened ``immutable`` reads the main file alone (not its
write-ahead log): what it shows is what a checkpoint has copied back.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.event_log import SQLiteEventLog
from adapters.sqlite_checkpoints import AUTOMATIC_CHECKPOINTS_OFF, WalCheckpoints
from adapters.sqlite_connection import SQLiteConnection, read_model_datastore
from entrypoints.composition import build
from entrypoints.settings import Settings

PAGE = 4096


def writer(path: Path, *, automatic: bool) -> sqlite3.Connection:
    c = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    c.execute("PRAGMA journal_mode=WAL")
    if not automatic:
        c.execute(AUTOMATIC_CHECKPOINTS_OFF)
    c.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, blob BLOB)")
    return c


def commit_rows(c: sqlite3.Connection, first: int, count: int) -> None:
    for n in range(first, first + count):
        c.execute("INSERT INTO t VALUES (?, zeroblob(3000))", (n,))


def wal_pages(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size // PAGE if wal.exists() else 0


def in_main_file(path: Path) -> list[int]:
    """The rows of the main database file alone, as a checkpoint left them."""
    c = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return [n for (n,) in c.execute("SELECT n FROM t ORDER BY n")]
    except sqlite3.OperationalError:  # no table yet: nothing was checkpointed
        return []
    finally:
        c.close()


def in_main_file_meanwhile(path: Path) -> list[int] | None:
    """:func:`in_main_file` while a checkpoint may be writing the file; None when the
    read caught one halfway (``immutable=1`` takes no lock: a page may be half new)."""
    try:
        return in_main_file(path)
    except sqlite3.DatabaseError:  # "database disk image is malformed": a torn read
        return None


def test_without_automatic_checkpoints_no_commit_checkpoints(tmp_path: Path) -> None:
    # SQLite's own checkpoint (1,000 pages) keeps the log near that size; turned off,
    # the log only grows, until someone checkpoints: the pragma took effect.
    automatic, manual = tmp_path / "automatic.sqlite", tmp_path / "manual.sqlite"
    for path, on in [(automatic, True), (manual, False)]:
        c = writer(path, automatic=on)
        commit_rows(c, 0, 1500)
        assert (wal_pages(path) < 1200) is on
        c.close()


def test_a_checkpoint_copies_every_commit_back_and_the_log_restarts(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    c = writer(path, automatic=False)
    checkpoints = WalCheckpoints()
    checkpoints.add(str(path))
    one_round = 0
    for round_ in range(3):
        commit_rows(c, round_ * 600, 600)
        one_round = one_round or wal_pages(path)
        ((busy, frames, copied),) = checkpoints.checkpoint().values()
        assert busy == 0 and frames == copied > 0
        assert in_main_file(path) == list(range((round_ + 1) * 600))
    assert wal_pages(path) < 1.5 * one_round  # the log reused after each checkpoint
    checkpoints.close()
    assert wal_pages(path) == 0  # the last one truncates it
    assert [n for (n,) in c.execute("SELECT n FROM t")] == list(range(1800))
    c.close()


def test_the_thread_checkpoints_on_its_own(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    c = writer(path, automatic=False)
    commit_rows(c, 0, 50)
    checkpoints = WalCheckpoints(interval=0.01)
    checkpoints.add(str(path))
    checkpoints.start()
    try:
        deadline = time.monotonic() + 30
        while in_main_file_meanwhile(path) != list(range(50)):
            assert time.monotonic() < deadline, "the thread never checkpointed"
            time.sleep(0.01)
    finally:
        checkpoints.close()
        c.close()


operations = st.lists(
    st.one_of(st.integers(1, 40), st.sampled_from(["PASSIVE", "TRUNCATE", "read"])),
    max_size=20,
)


@settings(max_examples=40, deadline=None)
@given(operations)
def test_checkpoints_never_lose_nor_reorder_a_commit(steps: list[int | str]) -> None:
    """For any interleaving of commits, checkpoints (of either mode) and readers holding
    a snapshot across them, every reader sees exactly what was committed, in order;
    after a checkpoint with no reader left, so does the main file alone."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "db.sqlite"
        c = writer(path, automatic=False)
        checkpoints = WalCheckpoints()
        checkpoints.add(str(path))
        committed = 0
        reader = sqlite3.connect(path, isolation_level=None)
        snapshot: list[int] | None = None
        for step in steps:
            if isinstance(step, int):
                commit_rows(c, committed, step)
                committed += step
            elif step == "read":  # a reader opens a snapshot and keeps it a while
                if snapshot is None:
                    reader.execute("BEGIN")
                    snapshot = [n for (n,) in reader.execute("SELECT n FROM t")]
                else:
                    again = [n for (n,) in reader.execute("SELECT n FROM t")]
                    assert again == snapshot  # a checkpoint does not move a snapshot
                    reader.execute("COMMIT")
                    snapshot = None
            else:
                checkpoints.checkpoint(step)
            assert [n for (n,) in c.execute("SELECT n FROM t")] == list(range(committed))
        if snapshot is not None:
            reader.execute("COMMIT")
        reader.close()
        checkpoints.checkpoint("PASSIVE")
        assert in_main_file(path) == list(range(committed))
        checkpoints.close()
        c.close()


def autocheckpoint(c: sqlite3.Connection | sqlite3.Cursor) -> int:
    return int(c.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


def test_the_stores_leave_checkpoints_to_them(tmp_path: Path) -> None:
    checkpoints = WalCheckpoints()
    connection = SQLiteConnection(tmp_path / "a.sqlite", checkpoints=checkpoints)
    datastore = read_model_datastore(str(tmp_path / "b.sqlite"), checkpoints)
    log = SQLiteEventLog(tmp_path / "c.sqlite", checkpoints=checkpoints)
    with connection.reading() as c:
        assert autocheckpoint(c) == 0
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert int(cursor.fetchone()[0]) == 0
        cursor.execute("PRAGMA synchronous")
        assert int(cursor.fetchone()[0]) == 1  # NORMAL, as before
    assert checkpoints.paths == tuple(
        str(tmp_path / n) for n in ["a.sqlite", "b.sqlite", "c.sqlite"]
    )
    log.close()
    connection.close()
    datastore.close()
    plain = SQLiteConnection(tmp_path / "d.sqlite")  # no checkpoints given: SQLite's own
    with plain.reading() as c:
        assert autocheckpoint(c) == 1000
    plain.close()


def test_the_embedded_process_checkpoints_its_files_off_their_commits(tmp_path: Path) -> None:
    services = build(Settings(data_dir=tmp_path))
    try:
        assert services.checkpoints is not None
        names = {Path(p).name for p in services.checkpoints.paths}
        assert {"events.sqlite", "ingest.sqlite", "views.sqlite"} <= names
        assert {"standings.sqlite", "player_stats.sqlite"} <= names
        datastore = services.scorekeeper.factory.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert int(cursor.fetchone()[0]) == 0
    finally:
        services.close()
    assert wal_pages(tmp_path / "events.sqlite") == 0  # closing truncated the logs
