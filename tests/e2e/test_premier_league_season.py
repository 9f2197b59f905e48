"""The whole Premier League 2015/16 season, converted from its real results, recorded in
a SQLite event store and projected: the real final table, at /standings/premier-league/2015-16.

The service's wiring is not here (the composition root is the lead's): this drives the
same parts the projector role runs (Scorekeeper, LogFollower, StandingsProjection over
the SQLite store) and serves the store through the real endpoint in a small app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from adapters.results_csv import convert_files
from adapters.standings_store import SQLiteStandingsStore, open_sqlite_standings_store
from domain.events import Correction, GameEvent
from domain.scorekeeper import Scorekeeper
from domain.sports import EventType, Sport
from entrypoints.web.standings import standings_table
from projections.follower import LogFollower
from projections.standings import StandingsProjection
from tests.shared_data import shared_file

LEAGUE, SEASON = "premier-league", "2015-16"
URL = f"/standings/{LEAGUE}/{SEASON}"

# The real final table of the 2015/16 Premier League (checked against matches.csv):
# team, won, drawn, lost, goals for, goals against, points.
FINAL_TABLE = [
    ("Leicester City", 23, 12, 3, 68, 36, 81),
    ("Arsenal", 20, 11, 7, 65, 36, 71),
    ("Tottenham Hotspur", 19, 13, 6, 69, 35, 70),
    ("Manchester City", 19, 9, 10, 71, 41, 66),
    ("Manchester United", 19, 9, 10, 49, 35, 66),
    ("Southampton", 18, 9, 11, 59, 41, 63),
    ("West Ham United", 16, 14, 8, 65, 51, 62),
    ("Liverpool", 16, 12, 10, 63, 50, 60),
    ("Stoke City", 14, 9, 15, 41, 55, 51),
    ("Chelsea", 12, 14, 12, 59, 53, 50),
    ("Everton", 11, 14, 13, 59, 55, 47),
    ("Swansea City", 12, 11, 15, 42, 52, 47),
    ("Watford", 12, 9, 17, 40, 50, 45),
    ("West Bromwich Albion", 10, 13, 15, 34, 48, 43),
    ("Crystal Palace", 11, 9, 18, 39, 51, 42),
    ("AFC Bournemouth", 11, 9, 18, 45, 67, 42),
    ("Sunderland", 9, 12, 17, 48, 62, 39),
    ("Newcastle United", 9, 10, 19, 44, 65, 37),
    ("Norwich City", 9, 7, 22, 39, 67, 34),
    ("Aston Villa", 3, 8, 27, 27, 76, 17),
]
LEICESTER_NORWICH = f"{LEAGUE}-{SEASON}-3754049"  # 2016-02-27, Leicester 1-0 Norwich
UNITED_SPURS = f"{LEAGUE}-{SEASON}-3754097"  # 2015-08-08, Manchester United 1-0 Tottenham


@dataclass
class Season:
    keeper: Scorekeeper
    store: SQLiteStandingsStore
    follower: LogFollower
    client: TestClient
    data_dir: Path

    def record(self, *events: GameEvent) -> None:
        verdicts = self.keeper.record(list(events))
        assert {v.outcome for v in verdicts} == {"recorded"}, verdicts

    def project(self) -> None:
        asyncio.run(self.follower.catch_up())

    def table(self) -> dict[str, Any]:
        found = self.store.standings(LEAGUE, SEASON)
        assert found is not None
        return found

    def revise(self, game_id: str, kind: EventType, target: str, **correction: Any) -> None:
        self.record(
            GameEvent(
                event_id=f"{game_id}:review:{self.keeper.next_sequence(game_id)}",
                game_id=game_id,
                sport=Sport.SOCCER,
                sequence_number=self.keeper.next_sequence(game_id),
                event_type=kind,
                references_event_id=target,
                correction=Correction(**correction) if correction else None,
            )
        )
        self.project()


def recorded_season(data_dir: Path) -> Season:
    """The converted season recorded in batches of 500 and projected."""
    matches = shared_file("soccer/premier-league-2015-16/matches.csv")
    teams = shared_file("soccer/premier-league-2015-16/teams.csv")
    events = [
        GameEvent.from_dict(e) for e in convert_files(matches, teams, league=LEAGUE, season=SEASON)
    ]
    keeper = Scorekeeper(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(data_dir / "events.sqlite"),
        }
    )
    store = open_sqlite_standings_store(str(data_dir / "standings.sqlite"))
    app = Starlette(routes=[Route("/standings/{league}/{season}", standings_table)])
    app.state.services = SimpleNamespace(standings=store)
    found = Season(
        keeper,
        store,
        LogFollower(keeper, StandingsProjection(store, keeper.name)),
        TestClient(app),
        data_dir,
    )
    for start in range(0, len(events), 500):
        found.record(*events[start : start + 500])
    found.project()
    return found


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Season]:
    """One recorded season, shared by the tests that only read it."""
    found = recorded_season(tmp_path_factory.mktemp("season"))
    yield found
    found.keeper.close()


@pytest.fixture
def own_season(tmp_path: Path) -> Iterator[Season]:
    """A recorded season of the test's own, to revise."""
    found = recorded_season(tmp_path)
    yield found
    found.keeper.close()


def summary(table: dict[str, Any]) -> list[tuple[Any, ...]]:
    keys = ("team_name", "won", "drawn", "lost", "goals_for", "goals_against", "points")
    return [tuple(row[k] for k in keys) for row in table["rows"]]


def test_the_season_gives_the_real_final_table(season: Season) -> None:
    response = season.client.get(URL)
    assert response.status_code == 200
    table = response.json()
    assert (table["league"], table["season"], table["sport"]) == (LEAGUE, SEASON, "soccer")
    assert summary(table) == FINAL_TABLE
    assert [row["rank"] for row in table["rows"]] == list(range(1, 21))
    assert {row["played"] for row in table["rows"]} == {38}
    first, *_, city, united = table["rows"][:5]
    assert (first["team_name"], first["points"]) == ("Leicester City", 81)
    assert city["points"] == united["points"] == 66  # City above United on goal difference
    assert (city["goal_difference"], united["goal_difference"]) == (30, 14)
    assert table["version"] == season.keeper.recorder.max_notification_id()


def test_the_endpoint_caches_by_etag_and_knows_unknown_tables(season: Season) -> None:
    response = season.client.get(URL)
    tag = response.headers["etag"]
    assert tag == f'"v{response.json()["version"]}"'
    assert response.headers["cache-control"] == "no-cache"
    edge = "max-age=1, stale-while-revalidate=5, stale-if-error=60"
    assert response.headers["cdn-cache-control"] == response.headers["surrogate-control"] == edge
    for header in (tag, f"W/{tag}", f'"v0", {tag}', "*"):
        again = season.client.get(URL, headers={"If-None-Match": header})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    assert season.client.get(URL, headers={"If-None-Match": '"v0"'}).status_code == 200
    missing = season.client.get(f"/standings/{LEAGUE}/1888-89")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "urn:scoreline:problem:unknown-standings"


def test_corrections_of_final_games_move_the_table_and_back(own_season: Season) -> None:
    season = own_season
    before = season.table()
    tag = season.client.get(URL).headers["etag"]
    # Leicester's goal against Norwich is struck off: 0-0.
    season.revise(LEICESTER_NORWICH, EventType.EVENT_RETRACTED, f"{LEICESTER_NORWICH}:goal:home:1")
    struck = season.table()
    rows = {row["team_name"]: row for row in struck["rows"]}
    leicester, norwich = rows["Leicester City"], rows["Norwich City"]
    assert (leicester["rank"], leicester["points"], leicester["drawn"]) == (1, 79, 13)
    assert (leicester["goals_for"], norwich["points"], norwich["drawn"]) == (67, 35, 8)
    assert struck["version"] > before["version"]
    assert season.client.get(URL, headers={"If-None-Match": tag}).status_code == 200
    # United's opening-day goal is credited to Tottenham instead, then given back.
    goal = f"{UNITED_SPURS}:goal:home:1"
    season.revise(UNITED_SPURS, EventType.EVENT_CORRECTED, goal, team_id="38")
    flipped = {row["team_name"]: row for row in season.table()["rows"]}
    assert (flipped["Tottenham Hotspur"]["rank"], flipped["Tottenham Hotspur"]["points"]) == (2, 73)
    assert (flipped["Arsenal"]["rank"], flipped["Manchester United"]["points"]) == (3, 63)
    season.revise(UNITED_SPURS, EventType.EVENT_CORRECTED, goal, team_id="39")
    back = season.table()
    assert back["rows"] == struck["rows"]
    assert back["version"] > struck["version"]
    # The table is the log's: a store rebuilt from scratch gives the same one.
    rebuilt = open_sqlite_standings_store(str(season.data_dir / "rebuilt.sqlite"))
    asyncio.run(
        LogFollower(season.keeper, StandingsProjection(rebuilt, season.keeper.name)).catch_up()
    )
    assert rebuilt.standings(LEAGUE, SEASON) == back
