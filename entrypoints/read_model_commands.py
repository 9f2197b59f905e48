"""``scoreline rebuild`` and ``scoreline audit``: read models replayed from the log.

- :func:`rebuild` replays the whole log into fresh copies of the read models (one
  or all), showing progress, and swaps each in without downtime: readers see the old
  copy or the new, never a half-built one. With ``dry_run`` it builds, compares with
  the live copy and reports, and changes nothing.
- :func:`audit` rebuilds into shadow copies and compares them with the live read
  models row by row: per model the checksums, then the differing keys. Exit status 0
  if every model is equal, 1 (with the report) if not, 2 if it could not audit.

Read models live where the settings say: PostgreSQL tables if a database URL is
set, else SQLite files in the data directory. Which read models each backend keeps
is the registries of :mod:`entrypoints.read_model_registry`.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, TextIO

import psycopg
from eventsourcing.persistence import PersistenceError

from adapters.read_model_copies import (
    PostgresCopies,
    SQLiteCopies,
)
from domain.scoreboard_record import records_shared
from domain.scorekeeper import Scorekeeper
from entrypoints.read_model_registry import POSTGRES_READ_MODELS, SQLITE_READ_MODELS
from entrypoints.settings import Settings
from projections.rebuild import RebuildError, rebuild_all
from projections.rebuild import audit as audit_model


def read_model_names(settings: Settings) -> list[str]:
    """The read models the settings' backend keeps, in rebuild order."""
    return list(POSTGRES_READ_MODELS if settings.database_url else SQLITE_READ_MODELS)


def rebuild(settings: Settings, projection: str, dry_run: bool, out: TextIO) -> int:
    """Rebuild read model ``projection`` (or ``"all"``) and swap it in, or with
    ``dry_run`` only build and compare; 0 when done, 1 if it failed (nothing live
    changed then), 2 for an unknown read model or a missing event store."""
    names = read_model_names(settings)
    if projection != "all" and projection not in names:
        out.write(f"scoreline rebuild: no read model {projection!r}; known: {', '.join(names)}\n")
        return 2
    keeper = None
    try:
        keeper = _scorekeeper(settings, out)
        if keeper is None:
            return 2
        chosen = names if projection == "all" else [projection]
        if not dry_run:
            _swap_in(keeper, settings, chosen, out)
        for name in chosen if dry_run else []:
            copies = _copies(settings, name, keeper.name)
            try:
                bar = ProgressLine(out, name)
                comparison = audit_model(keeper, copies, progress=bar)
                bar.finish("dry run: nothing swapped")
                out.writelines(f"{line}\n" for line in comparison.report())
            finally:
                copies.close()
    except (RebuildError, PersistenceError, psycopg.Error, sqlite3.Error, OSError) as error:
        out.write(f"\nscoreline rebuild: {error or type(error).__name__}\n")
        return 1
    finally:
        if keeper is not None:
            keeper.close()
    return 0


def _swap_in(keeper: Scorekeeper, settings: Settings, names: list[str], out: TextIO) -> None:
    """Rebuild ``names`` over one reading of the log (one bar), then swap each in (a bar
    each for its catch-up; a single model keeps the one bar)."""
    models: list[SQLiteCopies[Any] | PostgresCopies[Any]] = []
    try:
        for name in names:
            models.append(_copies(settings, name, keeper.name))
        shared = ProgressLine(out, "all" if len(names) > 1 else names[0])
        bars = {names[0]: shared} if len(names) == 1 else {}

        def each(name: str) -> ProgressLine:
            if name not in bars:
                if not bars:
                    shared.finish(f"replayed into {', '.join(names)}")
                bars[name] = ProgressLine(out, name)
            return bars[name]

        # The swaps' last flushes write the same boards, model after model: their
        # records and JSON are made once (a saved board never changes; the folds'
        # own records_shared nest inside this one).
        with records_shared():
            for name, position in rebuild_all(keeper, models, progress=shared, each=each):
                bars[name].finish(f"swapped in at notification {position}")
    finally:
        for copies in models:
            copies.close()


def audit(settings: Settings, out: TextIO) -> int:
    """Compare every live read model with a copy rebuilt from the log; 0 if all are
    equal, 1 with a report if not, 2 if the audit could not be done."""
    keeper, equal = None, True
    try:
        keeper = _scorekeeper(settings, out)
        if keeper is None:
            return 2
        for name in read_model_names(settings):
            copies = _copies(settings, name, keeper.name)
            try:
                bar = ProgressLine(out, name)
                comparison = audit_model(keeper, copies, progress=bar)
                bar.finish("compared")
            finally:
                copies.close()
            out.writelines(f"{line}\n" for line in comparison.report())
            equal = equal and comparison.equal
    except Exception as error:  # any failure: exit 2, never 1 ("different")
        out.write(f"\nscoreline audit: could not audit: {error or type(error).__name__}\n")
        return 2
    finally:
        if keeper is not None:
            keeper.close()
    return 0 if equal else 1


def _copies(
    settings: Settings, name: str, upstream: str
) -> SQLiteCopies[Any] | PostgresCopies[Any]:
    if settings.database_url:
        return PostgresCopies(POSTGRES_READ_MODELS[name], settings.database_url, upstream)
    return SQLiteCopies(SQLITE_READ_MODELS[name], settings.data_dir, upstream)


def _scorekeeper(settings: Settings, out: TextIO) -> Scorekeeper | None:
    """The event store the settings name (None, said on ``out``, if there is none)."""
    if settings.database_url:
        from adapters.postgres_schema import postgres_env

        return Scorekeeper(env=postgres_env(settings.database_url, create_table=False))
    events = settings.data_dir / "events.sqlite"
    if not events.exists():
        out.write(f"scoreline: no event store at {events} (is --data-dir right?)\n")
        return None
    return Scorekeeper(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(events)}
    )


class ProgressLine:
    """A progress callback drawing one updating line: position / target, events/s and
    time left; redrawn at most every ``interval`` seconds, with a carriage return."""

    def __init__(self, out: TextIO, label: str, *, interval: float = 0.2) -> None:
        self.out, self.label, self.interval = out, label, interval
        self.started = time.monotonic()
        self.first: int | None = None
        self.position = self.target = 0
        self._drawn = 0.0
        self._width = 0

    def __call__(self, position: int, target: int) -> None:
        if self.first is None:
            self.first = position
        self.position, self.target = position, max(self.target, target)
        now = time.monotonic()
        if now - self._drawn >= self.interval:
            self._drawn = now
            self._draw(self.line(now))

    def events_per_second(self, now: float | None = None) -> float:
        elapsed = max((now or time.monotonic()) - self.started, 1e-6)
        return (self.position - (self.first or 0)) / elapsed

    def line(self, now: float | None = None) -> str:
        rate = self.events_per_second(now)
        left = max(self.target - self.position, 0)
        eta = _clock(left / rate) if rate > 0 else ("0:00" if not left else "?")
        target = max(self.target, self.position)
        return (
            f"{self.label}: {self.position:,}/{target:,} events  {rate:,.0f} events/s  {eta} left"
        )

    def finish(self, note: str) -> None:
        self._draw(f"{self.line()}  {note}", end="\n")

    def _draw(self, text: str, end: str = "") -> None:
        self.out.write(f"\r{text}{' ' * max(self._width - len(text), 0)}{end}")
        self.out.flush()
        self._width = len(text)


def _clock(seconds: float) -> str:
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
