"""The history shadow filled by PostgreSQL itself from the stored events.

A history row is a pure function of one stored Game event (projections/history.py
``history_row``): its columns are fields of the event's ``game_event`` dict, its
``originator_version`` and its ``timestamp``, all in the stored event's ``state``, the
eventsourcing JSON of the domain event. So when the event store and the shadow copy
are tables of one database, one ``INSERT ... SELECT`` per chunk of the log writes a
chunk's rows without a single event crossing to Python: :class:`PostgresHistoryFill`,
run by the rebuild's replay beside the Python fold of the other read models
(projections/log_fills.py).

The ``event`` column is built as ``GameEvent.from_dict(game_event).to_dict()`` builds it
(:data:`EVENT`): the thirteen plain keys (absent ones null; ``provider`` and
``description`` "" when null or absent), ``schedule`` with all its fields when the
stored one is a non-empty object, ``correction`` likewise (its ``assists`` and
``player_name`` only when not null), ``assists`` only when a non-empty list,
``player_name`` only when not null; a stored dict already in that form (:data:`CANONICAL`:
every event but schedules and corrections) is taken as it is. ``recorded_at`` is the
``datetime_iso`` text of the ``timestamp`` read in UTC (a naive one is UTC, as
``history_row`` says).

Guarantees of :func:`history_fill` and :meth:`PostgresHistoryFill.fill`:
- A fill is given only where it writes the rows the Python fold would: eventsourcing's
  PostgreSQL recorder in the same database (same server, same database), a mapper
  with no cipher and no compressor, exactly the library's ``JSONTranscoder`` with its
  ``datetime_iso`` transcoding, every Game event class at class version 1. Otherwise
  None: the projection is folded in Python.
- Rows are written for the notifications of Game event topics only (every topic of a
  chunk not known to be one is resolved before the chunk is written, and counted in if
  it names a Game event class); every other notification (provider aliases) writes no
  row but still advances the position.
- Each chunk of at most ``chunk`` notification ids is one transaction: its rows and
  the tracking position (the chunk's last notification id) commit together, or
  nothing of it does. The position reached is the last notification id at or below
  ``upto`` (``after`` if there is none), as the replay's own pages reach.
- A table empty at the first fill is loaded without its primary key and index, which
  are built (same names, same definitions) before that fill returns; a row stored
  twice within that load fails it, as the shadow's COPY would. Later fills, into the
  indexed table, skip a row already stored (``ON CONFLICT DO NOTHING``), as the live
  projector does.
- The shadow's connection writes with ``synchronous_commit`` off: a crash may lose its
  last chunks, but a shadow is discarded on any failure; the swap commits normally on
  the live connection (and its commit, flushed, makes the WAL before it durable too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Tracking
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic, resolve_topic
from psycopg.sql import SQL, Identifier

from adapters.postgres_history import COLUMNS, PostgresHistory
from domain.game import Game

CHUNK = 50_000  # notification ids per transaction
GAME_EVENTS = (Game.Scheduled, Game.Recorded)

_PLAIN = ("event_id", "game_id", "sport")
_NULLABLE = ("team_id", "player_id", "clock_seconds", "period")
_LATER = ("created_at", "references_event_id")
_SCHEDULE = (
    "home_team_id",
    "away_team_id",
    "home_team_name",
    "away_team_name",
    "venue",
    "start_time",
    "league",
    "season",
)
_CORRECTION = ("event_type", "team_id", "player_id", "clock_seconds", "period", "description")


def _keys(source: str, names: Sequence[str]) -> str:
    return ", ".join(f"'{name}', {source}->'{name}'" for name in names)


def _or_empty(value: str) -> str:
    """A str field read as ``data.get(name) or ""``: "" for null or absent."""
    return f"coalesce(nullif(nullif({value}, 'null'::jsonb), '\"\"'::jsonb), '\"\"'::jsonb)"


def _object_present(value: str) -> str:
    return f"(jsonb_typeof({value}) = 'object' AND {value} <> '{{}}'::jsonb)"


def _not_null(value: str) -> str:
    return f"({value} IS NOT NULL AND {value} <> 'null'::jsonb)"


SEQUENCE = "trunc((g->>'sequence_number')::numeric)::bigint"
_EMPTY = "'{}'::jsonb"
_SCHEDULED, _CORRECTED = "g->'schedule'", "g->'correction'"
_PROVIDER, _DESCRIPTION, _NAME = "g->'provider'", "g->'description'", "g->'player_name'"
_CORRECTED_ASSISTS, _CORRECTED_NAME = f"{_CORRECTED}->'assists'", f"{_CORRECTED}->'player_name'"
EVENT = (
    f"jsonb_build_object({_keys('g', _PLAIN)}, 'sequence_number', to_jsonb({SEQUENCE}),"
    f" 'event_type', g->'event_type', 'provider', {_or_empty(_PROVIDER)},"
    f" {_keys('g', _NULLABLE)}, 'description', {_or_empty(_DESCRIPTION)},"
    f" {_keys('g', _LATER)})"
    f" || CASE WHEN {_object_present(_SCHEDULED)} THEN jsonb_build_object('schedule',"
    f" jsonb_build_object({_keys(_SCHEDULED, _SCHEDULE)})) ELSE {_EMPTY} END"
    f" || CASE WHEN {_object_present(_CORRECTED)} THEN jsonb_build_object('correction',"
    f" jsonb_build_object({_keys(_CORRECTED, _CORRECTION)})"
    f" || CASE WHEN {_not_null(_CORRECTED_ASSISTS)}"
    f" THEN jsonb_build_object('assists', {_CORRECTED_ASSISTS}) ELSE {_EMPTY} END"
    f" || CASE WHEN {_not_null(_CORRECTED_NAME)}"
    f" THEN jsonb_build_object('player_name', {_CORRECTED_NAME}) ELSE {_EMPTY} END)"
    f" ELSE {_EMPTY} END"
    " || CASE WHEN jsonb_typeof(g->'assists') = 'array' AND jsonb_array_length(g->'assists') > 0"
    f" THEN jsonb_build_object('assists', g->'assists') ELSE {_EMPTY} END"
    f" || CASE WHEN {_not_null(_NAME)}"
    f" THEN jsonb_build_object('player_name', g->'player_name') ELSE {_EMPTY} END"
)
_KNOWN = (*_PLAIN, "sequence_number", "event_type", "provider", *_NULLABLE, "description", *_LATER)
_ARRAY = "ARRAY[" + ", ".join(f"'{name}'" for name in _KNOWN) + "]"
_MORE = "ARRAY[" + ", ".join(f"'{name}'" for name in (*_KNOWN, "assists", "player_name")) + "]"
# The stored dict as to_dict gives it already (every event but the schedules and
# corrections): taken as it is, as from_dict's own fast path takes it.
CANONICAL = (
    f"(g ?& {_ARRAY} AND (g - {_MORE}) = {_EMPTY}"
    " AND jsonb_typeof(g->'provider') = 'string' AND jsonb_typeof(g->'description') = 'string'"
    f" AND g->>'sequence_number' = ({SEQUENCE})::text"
    " AND (NOT g ? 'assists'"
    " OR (jsonb_typeof(g->'assists') = 'array' AND jsonb_array_length(g->'assists') > 0))"
    f" AND (NOT g ? 'player_name' OR g->'player_name' <> 'null'::jsonb))"
)
ROW = (
    f"g->>'game_id', {SEQUENCE}, e.originator_version, g->>'event_id', g->>'event_type',"
    " g->>'team_id', g->>'player_id', (g->>'period')::integer,"
    " (g->>'clock_seconds')::integer, coalesce(g->>'provider', ''),"
    f" e.at::timestamptz, CASE WHEN {CANONICAL} THEN g ELSE {EVENT} END"
)


def _braces(text: str) -> str:
    """``text`` as literal text of a psycopg ``SQL`` template."""
    return text.replace("{", "{{").replace("}", "}}")


def game_event_topics() -> set[str]:
    """The topics of every Game event class (Scheduled, Recorded and its subclasses)."""
    found: set[str] = set()
    classes: list[type] = list(GAME_EVENTS)
    while classes:
        cls = classes.pop()
        found.add(get_topic(cls))
        classes.extend(cls.__subclasses__())
    return found


def _all_at_version_one() -> bool:
    classes: list[type] = list(GAME_EVENTS)
    while classes:
        cls = classes.pop()
        if getattr(cls, "class_version", 1) != 1:
            return False
        classes.extend(cls.__subclasses__())
    return True


def _server(datastore: Any) -> tuple[Any, ...]:
    with datastore.transaction(commit=False) as c:
        c.execute(
            "SELECT current_database() AS d, inet_server_port() AS p,"
            " pg_postmaster_start_time() AS t, inet_server_addr()::text AS a"
        )
        found = c.fetchone()
    return (found["d"], found["p"], found["t"], found["a"])


def history_fill(
    shadow: PostgresHistory, recorder: Any, mapper: Any, upstream: str
) -> PostgresHistoryFill | None:
    """A fill of ``shadow`` from the recorder's stored events, or None where it would
    not be exact (see the module docstring)."""
    transcoder = getattr(mapper, "transcoder", None)
    if (
        not isinstance(recorder, PostgresApplicationRecorder)
        or getattr(mapper, "cipher", True) is not None
        or getattr(mapper, "compressor", True) is not None
        or type(transcoder) is not JSONTranscoder
        or type(transcoder.names.get("datetime_iso")) is not DatetimeAsISO
        or not _all_at_version_one()
        or _server(recorder.datastore) != _server(shadow.datastore)
    ):
        return None
    return PostgresHistoryFill(shadow, recorder, upstream)


class PostgresHistoryFill:
    """The history rows of a range of the log, written by the server (module docstring)."""

    def __init__(
        self,
        shadow: PostgresHistory,
        recorder: PostgresApplicationRecorder,
        upstream: str,
        *,
        chunk: int = CHUNK,
    ) -> None:
        self.shadow, self.upstream, self.chunk = shadow, upstream, chunk
        self.topics = game_event_topics()
        self._others: set[str] = set()  # topics resolved to something else
        events = Identifier(recorder.datastore.schema, recorder.events_table_name)
        self._table = Identifier(shadow.datastore.schema, shadow.table_name)
        self._indexed: bool | None = None  # None: not looked at yet
        # (OFFSET 0: each state parsed once, not once for every field read from it)
        self._append = SQL(
            "INSERT INTO {table} (" + COLUMNS + ") SELECT " + _braces(ROW) + " FROM"
            " (SELECT originator_version, s->'game_event' AS g, s->'timestamp'->>'_data_' AS at"
            " FROM (SELECT originator_version, convert_from(state, 'UTF8')::jsonb AS s"
            " FROM {events} WHERE notification_id > %s AND notification_id <= %s"
            " AND topic = ANY(%s) OFFSET 0) AS parsed OFFSET 0) AS e"
        ).format(table=self._table, events=events)
        self._insert = self._append + SQL(" ON CONFLICT (game_id, version, recorded_at) DO NOTHING")
        self._last = SQL(
            "SELECT max(notification_id) AS n FROM {events}"
            " WHERE notification_id > %s AND notification_id <= %s"
        ).format(events=events)
        self._topics = SQL(
            "SELECT DISTINCT topic FROM {events}"
            " WHERE notification_id > %s AND notification_id <= %s AND topic <> ALL(%s)"
        ).format(events=events)

    def fill(self, after: int, upto: int, progress: Callable[[int], None] = lambda n: None) -> int:
        """Write the rows of the notifications in (``after``, ``upto``], a chunk per
        transaction with its position; the position reached (see the module docstring)."""
        if self._indexed is None:
            self._indexed = not self._unindex_if_empty()
        reached = after
        while after < upto:
            end = min(after + self.chunk, upto)
            reached = self._chunk(after, end) or reached
            after = end
            progress(reached)
        if not self._indexed:
            self._index()
        return reached

    def _unindex_if_empty(self) -> bool:
        """Drop the key and index of a table that holds no rows yet (they are built
        once the first fill has loaded its rows: :meth:`_index`); whether it did."""
        with self.shadow.datastore.transaction(commit=True) as c:
            c.execute(SQL("SELECT EXISTS (SELECT FROM {}) AS rows").format(self._table))
            found = c.fetchone()
            if found is None or found["rows"]:
                return False
            c.execute(SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(self._table, self._key))
            c.execute(SQL("DROP INDEX {}").format(self._index_name))
        return True

    def _index(self) -> None:
        """The primary key and index the table was made with, built over its rows
        (the same names; a row stored twice fails it, as the shadow's COPY would)."""
        with self.shadow.datastore.transaction(commit=True) as c:
            c.execute("SET LOCAL synchronous_commit = off")
            c.execute(
                SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY (game_id, version, recorded_at)")
                .format(self._table, self._key)
            )  # fmt: skip
            c.execute(
                SQL("CREATE INDEX {} ON {} (game_id, sequence_number)").format(
                    Identifier(self.shadow.index_name), self._table
                )
            )
        self._indexed = True

    @property
    def _key(self) -> Identifier:
        return Identifier(f"{self.shadow.table_name}_pkey")

    @property
    def _index_name(self) -> Identifier:
        return Identifier(self.shadow.datastore.schema, self.shadow.index_name)

    def _chunk(self, after: int, end: int) -> int | None:
        with self.shadow.datastore.transaction(commit=True) as c:
            c.execute("SET LOCAL synchronous_commit = off")
            c.execute("SET LOCAL TIME ZONE 'UTC'")
            c.execute(self._last, (after, end))
            found = c.fetchone()
            last = found["n"] if found else None
            if last is None:
                return None
            c.execute(self._topics, (after, end, sorted(self.topics | self._others)))
            for row in c.fetchall():
                self._learn(row["topic"])
            insert = self._insert if self._indexed else self._append
            c.execute(insert, (after, end, sorted(self.topics)))
            self.shadow._insert_tracking(c, Tracking(self.upstream, int(last)))
            return int(last)

    def _learn(self, topic: str) -> None:
        """Count ``topic`` among the Game event topics if it names a Game event class."""
        cls = resolve_topic(topic)  # (raises as the Python fold's decoding would)
        if isinstance(cls, type) and issubclass(cls, GAME_EVENTS):
            self.topics.add(topic)
        else:
            self._others.add(topic)


__all__ = ["CHUNK", "PostgresHistoryFill", "game_event_topics", "history_fill"]
