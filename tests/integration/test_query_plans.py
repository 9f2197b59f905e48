"""EXPLAIN-checked access paths of the PostgreSQL query tables.

- ``GET /players/{id}/stats?season=S`` reads ``player_season_stats`` through its index
  on (player_id, season); a leaderboard reads ``player_season_leaders`` through its
  ranking index (league, season, stat, value DESC, player_id), no sort.
- A history query by date touches only the matching monthly partition of
  ``game_events`` (partition pruning).

Each table gets enough rows, then ANALYZE, so the planner chooses on real statistics;
``enable_seqscan`` is left on: the plans are the planner's own choice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from psycopg import ClientCursor
from psycopg.sql import SQL, Identifier

from adapters.postgres_history import open_postgres_history
from adapters.postgres_player_stats import (
    LEADERS_INDEX,
    LEADERS_QUERY,
    SEASON_INDEX,
    SEASON_QUERY,
    open_postgres_player_stats,
)


@pytest.fixture
def schema(postgres_url: str) -> Iterator[str]:
    name = f"plans_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(name)))


def plan(postgres_url: str, query: str, params: tuple[Any, ...]) -> dict[str, Any]:
    """The planner's plan (EXPLAIN FORMAT JSON) of ``query`` with ``params`` inlined."""
    with psycopg.connect(postgres_url, cursor_factory=ClientCursor) as conn:
        found = conn.execute("EXPLAIN (FORMAT JSON) " + query, params).fetchone()
    assert found is not None
    return dict(found[0][0]["Plan"])


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def index_scans(node: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (n["Node Type"], n["Index Name"])
        for n in nodes(node)
        if n["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
    }


def test_player_season_and_leaderboard_queries_use_their_indexes(
    postgres_url: str, schema: str
) -> None:
    store = open_postgres_player_stats(postgres_url, schema=schema)
    store.datastore.close()
    s = Identifier(schema)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # 10,000 players over 3 seasons of 4 leagues; 4 stats each in the leaderboards.
        conn.execute(
            SQL(
                "INSERT INTO {}.player_season_stats"
                " (league, season, player_id, sport, team_id, games, record)"
                " SELECT 'league-' || (p % 4), 'season-' || y, 'player-' || p, 'soccer',"
                " 'team-' || (p % 80), 10, '{{}}'::jsonb"
                " FROM generate_series(1, 10000) p, generate_series(1, 3) y"
            ).format(s)
        )
        conn.execute(
            SQL(
                "INSERT INTO {}.player_season_leaders"
                " (league, season, stat, player_id, team_id, value)"
                " SELECT 'league-' || (p % 4), 'season-' || y, 'stat-' || k, 'player-' || p,"
                " 'team-' || (p % 80), (p * 7919 + k) % 50 + 1"
                " FROM generate_series(1, 10000) p, generate_series(1, 3) y,"
                " generate_series(1, 4) k"
            ).format(s)
        )
        conn.execute(SQL("ANALYZE {}.player_season_stats").format(s))
        conn.execute(SQL("ANALYZE {}.player_season_leaders").format(s))
    season = plan(postgres_url, SEASON_QUERY.format(s=f'"{schema}"'), ("player-123", "season-2"))
    assert any(index == SEASON_INDEX for _, index in index_scans(season)), season
    assert all(n["Node Type"] != "Seq Scan" for n in nodes(season)), season

    leaders = plan(
        postgres_url,
        LEADERS_QUERY.format(s=f'"{schema}"'),
        ("league-1", "season-3", "stat-2", 10),
    )
    assert any(index == LEADERS_INDEX for _, index in index_scans(leaders)), leaders
    assert all(n["Node Type"] not in ("Seq Scan", "Sort") for n in nodes(leaders)), leaders


def test_a_history_query_by_date_reads_only_that_months_partition(
    postgres_url: str, schema: str
) -> None:
    history = open_postgres_history(postgres_url, schema=schema, today=date(2026, 1, 15))
    months = history.ensure_partitions(date(2025, 7, 1), date(2026, 6, 1))
    history.datastore.close()
    s = Identifier(schema)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # 100 events a day, every day of the year of partitions.
        conn.execute(
            SQL(
                "INSERT INTO {}.game_events (game_id, sequence_number, version, event_id,"
                " event_type, provider, recorded_at, event)"
                " SELECT 'g' || (n / 100), n % 100 + 1, n % 100 + 1, 'e' || n, 'GOAL', 'p',"
                " timestamptz '2025-07-01 00:00:00+00' + n * interval '864 seconds',"
                " '{{}}'::jsonb FROM generate_series(0, 36499) n"
            ).format(s)
        )
        conn.execute(SQL("ANALYZE {}.game_events").format(s))
    query = SQL(
        "SELECT game_id, sequence_number, event_type FROM {}.game_events"
        " WHERE recorded_at >= %s AND recorded_at < %s ORDER BY recorded_at"
    ).format(s)
    with psycopg.connect(postgres_url) as conn:
        text = query.as_string(conn)
    found = plan(postgres_url, text, ("2026-03-10 00:00:00+00", "2026-03-11 00:00:00+00"))
    touched = {n["Relation Name"] for n in nodes(found) if "Relation Name" in n}
    assert touched == {"game_events_2026_03"}, found
    assert "game_events_2026_03" in months
    # A range across a month boundary reads exactly the two months it spans.
    found = plan(postgres_url, text, ("2026-03-31 12:00:00+00", "2026-04-01 12:00:00+00"))
    touched = {n["Relation Name"] for n in nodes(found) if "Relation Name" in n}
    assert touched == {"game_events_2026_03", "game_events_2026_04"}, found
