"""The leaderboard, player and team endpoints over ASGI, wired by the composition root
(``build_in_memory``): validation for any query text, ETags and 304s, problem+json."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from domain.events import Schedule
from domain.sports import EventType, Sport
from entrypoints.composition import Services, build_in_memory
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from tests.game_events import AWAY, HOME, GameScript


def project(services: Services) -> None:
    async def catch_up() -> None:
        await services.follower.catch_up()
        for _, follower, _ in services.read_models:
            await follower.catch_up()

    asyncio.run(catch_up())


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    services = build_in_memory(Settings())
    for n, scorers in enumerate((["a", "a", "b"], ["a", "c"])):
        game = GameScript(f"g{n}", Sport.BASKETBALL)
        schedule = Schedule(HOME, AWAY, "Home", "Away", league="nba", season="2025-26")
        game.add(EventType.GAME_SCHEDULED, schedule=schedule, created_at=f"2025-10-2{n}T00:00:00Z")
        game.start()
        for player in scorers:
            game.score(EventType.THREE_POINTER, HOME if player != "c" else AWAY, player_id=player)
        game.add(EventType.FREE_THROW, team_id=HOME, player_id="b")
        game.final()
        assert {v.outcome for v in services.scorekeeper.record(game.events)} == {"recorded"}
    project(services)
    with TestClient(create_app(services, run_workers=False)) as c:
        yield c


def test_leaderboard_player_and_team_answers(client: TestClient) -> None:
    r = client.get("/leaderboards/nba/2025-26/points?limit=2")
    assert r.status_code == 200
    assert [(x["player_id"], x["value"]) for x in r.json()["leaders"]] == [("a", 9), ("b", 5)]
    assert client.get(r.url, headers={"If-None-Match": f"W/{r.headers['etag']}"}).status_code == 304
    player = client.get("/players/b/stats?season=2025-26")
    season = player.json()["seasons"][0]
    assert season["stats"] == {
        "free_throw_points": 2, "free_throws": 2, "points": 5, "three_point_points": 3,
        "three_pointers": 1,
    }  # fmt: skip
    assert season["games"] == 2 and len(player.json()["games"]) == 2
    assert client.get("/players/b/stats").headers["etag"] == player.headers["etag"]
    home = client.get(f"/teams/{HOME}").json()
    assert home["team_name"] == "Home" and [g["game_id"] for g in home["games"]] == ["g0", "g1"]
    (nba,) = home["seasons"]
    assert nba["standing"]["won"] == 2 and nba["top_scorers"]["stat"] == "points"
    assert [x["player_id"] for x in nba["top_scorers"]["leaders"]] == ["a", "b"]
    away = client.get(f"/teams/{AWAY}").json()
    assert [x["player_id"] for x in away["seasons"][0]["top_scorers"]["leaders"]] == ["c"]
    for path in ("/players/zz/stats", "/teams/zz", "/leaderboards/nba/1999/points"):
        missing = client.get(path)
        assert (
            missing.status_code == 404
            and missing.headers["content-type"] == "application/problem+json"
        )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.text(max_size=6), st.integers(-5, 150).map(str), st.just(" 5")))
def test_any_limit_is_answered_or_refused_naming_limit(client: TestClient, limit: str) -> None:
    r = client.get("/leaderboards/nba/2025-26/points", params={"limit": limit})
    valid = limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 100
    if valid:
        assert r.status_code == 200 and r.json()["limit"] == int(limit)
    else:
        assert r.status_code == 400, limit
        assert r.json()["errors"][0]["pointer"] == "limit"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"),
        min_size=1,
        max_size=12,
    )
)
def test_any_stat_is_answered_or_refused_naming_stat(client: TestClient, stat: str) -> None:
    r = client.get(f"/leaderboards/nba/2025-26/{stat}")
    assert r.status_code in (200, 400, 404), stat
    if r.status_code == 400:
        assert r.json()["errors"][0]["pointer"] == "stat"
