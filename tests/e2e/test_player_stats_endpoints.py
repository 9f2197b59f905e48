"""Player stats, leaderboards and team pages through the real service, from real data.

- Two real La Liga 2018/19 StatsBomb matches of Barcelona (2-2 Girona, 3-0 Alavés) and
  Euro 2020's Turkey 0-3 Italy: the real scorers and goal counts (Messi 3, Stuani 2,
  Coutinho 1, Piqué 1; Lenglet's red card; Demiral's own goal), a team page, strong
  ETags and 304s, problem+json for bad input, and a correction of a FINAL game moving a
  goal between players.
- A real NBA game (2020-12-22, Golden State at Brooklyn, 125-99): points split by free
  throws, twos and threes equal to the real box score.
- A real NHL game (2016 Stanley Cup Final game 1) and the real 2015/16 Premier League
  results (no scorers in them: the top teams and a team page).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tests.e2e.conftest import LiveServer
from tests.e2e.statsbomb_feeds import scoreline
from tests.shared_data import shared_file

LA_LIGA = ("la-liga", "2018-19")
MATCHES = [  # file, game id, home, away, league, season
    ("15986", "bar-gir", "Barcelona", "Girona", *LA_LIGA),
    ("barcelona-alaves", "bar-ala", "Barcelona", "Deportivo Alavés", *LA_LIGA),
    ("3788741", "tur-ita", "Turkey", "Italy", "euro", "2020"),
]
# StatsBomb player ids (their lineups' names) and their real goals in those matches.
MESSI, STUANI, COUTINHO, PIQUE, LENGLET = "5503", "6351", "3501", "5213", "6826"
IMMOBILE, INSIGNE, DEMIRAL = "7788", "7037", "23558"
BARCELONA = "217"
# The real box score of 0022000001: (points, free throws, twos, threes) made.
BOX_SCORE = {
    "202681": (26, 2, 6, 4),  # Kyrie Irving
    "201142": (22, 7, 6, 1),  # Kevin Durant
    "201939": (20, 4, 5, 2),  # Stephen Curry
    "1627747": (20, 5, 3, 3),  # Caris LeVert
}


def convert(file_id: str, game_id: str, home: str, away: str, league: str, season: str) -> Any:
    path = shared_file(f"soccer/statsbomb/{file_id}.events.json")
    out = scoreline(
        *("feed", "convert", "--format", "statsbomb", str(path), "--game-id", game_id),
        *("--home-team", home, "--away-team", away, "--league", league, "--season", season),
    )
    return [json.loads(line) for line in out.decode().splitlines()]


def get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", headers=headers, timeout=10)


def wait_json(server: LiveServer, path: str, ready: Any, timeout: float = 90) -> Any:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        r = get(server, path)
        if r.status_code == 200:
            last = r.json()
            if ready(last):
                return last
        time.sleep(0.2)
    raise AssertionError(f"{path} never ready; last {last}")


def season_stats(found: dict[str, Any]) -> dict[str, int]:
    return dict(found["seasons"][0]["stats"]) if found["seasons"] else {}


def test_real_scorers_leaderboards_and_team_pages(live_server: LiveServer) -> None:
    feeds = {m[1]: convert(*m) for m in MATCHES}
    for events in feeds.values():
        assert live_server.push(events).status_code == 202
    messi = wait_json(
        live_server,
        f"/players/{MESSI}/stats?season=2018-19",
        lambda p: season_stats(p).get("goals") == 3,
    )
    assert messi["seasons"][0]["games"] == 2 and messi["seasons"][0]["team_id"] == BARCELONA
    assert sorted(g["game_id"] for g in messi["games"]) == ["bar-ala", "bar-gir"]
    assert {g["game_id"]: g["stats"]["goals"] for g in messi["games"]} == {
        "bar-ala": 2,
        "bar-gir": 1,
    }
    for game_id in feeds:  # every game FINAL and projected before the first board read
        live_server.wait_for(game_id, lambda s: s["status"] == "FINAL")
    wait_json(live_server, f"/players/{INSIGNE}/stats", lambda p: bool(p["seasons"]))

    r = get(live_server, "/leaderboards/la-liga/2018-19/goals?limit=4")
    assert r.status_code == 200, r.text
    board = r.json()
    assert board["sport"] == "soccer" and board["limit"] == 4
    assert [(x["rank"], x["player_id"], x["value"]) for x in board["leaders"]] == [
        (1, MESSI, 3),
        (2, STUANI, 2),
        (3, COUTINHO, 1),
        (3, PIQUE, 1),
    ]
    assert (
        r.headers["etag"].startswith('"')
        and "stale-while-revalidate" in r.headers["cdn-cache-control"]
    )
    again = get(live_server, "/leaderboards/la-liga/2018-19/goals?limit=4", **{
        "If-None-Match": r.headers["etag"]
    })  # fmt: skip
    assert again.status_code == 304 and again.headers["etag"] == r.headers["etag"]
    reds = get(live_server, "/leaderboards/la-liga/2018-19/red_cards").json()["leaders"]
    assert [(x["player_id"], x["value"]) for x in reds] == [(LENGLET, 1)]
    euro = get(live_server, "/leaderboards/euro/2020/goals").json()["leaders"]
    assert sorted(x["player_id"] for x in euro) == sorted([IMMOBILE, INSIGNE])
    own = get(live_server, "/leaderboards/euro/2020/own_goals").json()["leaders"]
    assert [(x["player_id"], x["value"]) for x in own] == [(DEMIRAL, 1)]
    teams = get(live_server, "/leaderboards/la-liga/2018-19/teams?limit=1").json()["leaders"]
    assert [(t["team_name"], t["points"]) for t in teams] == [("Barcelona", 4)]

    for path, pointer in (
        ("/leaderboards/la-liga/2018-19/goals?limit=0", "limit"),
        ("/leaderboards/la-liga/2018-19/goals?limit=101", "limit"),
        ("/leaderboards/la-liga/2018-19/goals?limit=ten", "limit"),
        ("/leaderboards/la-liga/2018-19/bogus", "stat"),
        ("/leaderboards/la-liga/2018-19/three_pointers", "stat"),  # not a soccer stat
    ):
        bad = get(live_server, path)
        assert bad.status_code == 400, path
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["errors"][0]["pointer"] == pointer, bad.json()
    assert get(live_server, "/leaderboards/nowhere/1999/goals").status_code == 404
    assert get(live_server, "/players/nobody/stats").status_code == 404
    empty = get(live_server, f"/players/{MESSI}/stats?season=")
    assert empty.status_code == 400 and empty.json()["errors"][0]["pointer"] == "season"

    team = get(live_server, f"/teams/{BARCELONA}")
    assert team.status_code == 200
    page = team.json()
    assert page["team_name"] == "Barcelona"
    (la_liga,) = page["seasons"]
    assert (la_liga["league"], la_liga["season"]) == LA_LIGA
    standing = la_liga["standing"]
    assert (standing["played"], standing["won"], standing["drawn"], standing["points"]) == (
        2,
        1,
        1,
        4,
    )
    top = [(x["player_id"], x["value"]) for x in la_liga["top_scorers"]["leaders"]]
    assert top == [(MESSI, 3), (COUTINHO, 1), (PIQUE, 1)]
    scores = {g["game_id"]: (g["score_for"], g["score_against"]) for g in page["games"]}
    assert scores == {"bar-gir": (2, 2), "bar-ala": (3, 0)}
    tagged = get(live_server, f"/teams/{BARCELONA}", **{"If-None-Match": team.headers["etag"]})
    assert tagged.status_code == 304
    assert get(live_server, "/teams/nobody").status_code == 404

    # A correction after FINAL: Messi's last goal against Alavés given to Coutinho.
    alaves = feeds["bar-ala"]
    last_goal = [e for e in alaves if e["event_type"] == "GOAL" and e["player_id"] == MESSI][-1]
    correction = {
        **{k: alaves[-1][k] for k in ("game_id", "sport")},
        "event_id": "bar-ala:fix-1",
        "sequence_number": alaves[-1]["sequence_number"] + 1,
        "event_type": "EVENT_CORRECTED",
        "references_event_id": last_goal["event_id"],
        "correction": {"player_id": COUTINHO},
    }
    assert live_server.push([correction]).status_code == 202
    moved = wait_json(
        live_server,
        f"/players/{COUTINHO}/stats?season=2018-19",
        lambda p: season_stats(p).get("goals") == 2,
    )
    assert moved["seasons"][0]["games"] == 1
    assert season_stats(get(live_server, f"/players/{MESSI}/stats").json())["goals"] == 2
    etag = get(live_server, f"/players/{MESSI}/stats").headers["etag"]
    assert etag != get(live_server, f"/players/{COUTINHO}/stats").headers["etag"]


def test_nba_points_by_free_throws_twos_and_threes_match_the_box_score(
    live_server: LiveServer,
) -> None:
    path = shared_file("basketball/nba/0022000001.live-playbyplay.json")
    out = scoreline("feed", "convert", "--format", "nba-live", str(path))
    events = [json.loads(line) for line in out.decode().splitlines()]
    for start in range(0, len(events), 500):
        assert live_server.push(events[start : start + 500]).status_code == 202
    game_id = events[0]["game_id"]
    state = live_server.wait_for(game_id, lambda s: s["status"] == "FINAL", timeout=120)
    assert (state["home_score"], state["away_score"]) == (125, 99)
    for player, (points, free_throws, twos, threes) in BOX_SCORE.items():
        found = wait_json(
            live_server, f"/players/{player}/stats?season=2020-21", lambda p: bool(p["seasons"])
        )
        s = season_stats(found)
        assert (s["points"], s["free_throws"], s["two_pointers"], s["three_pointers"]) == (
            points,
            free_throws,
            twos,
            threes,
        ), player
        assert (s["free_throw_points"], s["two_point_points"], s["three_point_points"]) == (
            free_throws,
            2 * twos,
            3 * threes,
        )
    board = get(live_server, "/leaderboards/nba/2020-21/points?limit=100").json()
    assert [x["player_id"] for x in board["leaders"][:2]] == ["202681", "201142"]
    assert [(x["rank"], x["player_id"]) for x in board["leaders"][2:4]] == [
        (3, "1627747"),
        (3, "201939"),
    ]  # LeVert and Curry, 20 each: equal rank, then by player id
    assert sum(x["value"] for x in board["leaders"]) == 125 + 99


def test_premier_league_season_top_teams_and_a_team_page(live_server: LiveServer) -> None:
    """The real 2015/16 results (no scorers in them: no player leaders, only teams)."""
    matches = shared_file("soccer/premier-league-2015-16/matches.csv")
    teams = shared_file("soccer/premier-league-2015-16/teams.csv")
    out = scoreline(
        *("feed", "convert", "--format", "results-csv", "--matches", str(matches)),
        *("--teams", str(teams), "--league", "premier-league", "--season", "2015-16"),
    )
    events = [json.loads(line) for line in out.decode().splitlines()]
    for start in range(0, len(events), 1000):
        assert live_server.push(events[start : start + 1000]).status_code == 202
    leicester = wait_json(
        live_server,
        "/teams/22",
        lambda t: bool(t["seasons"]) and (t["seasons"][0]["standing"] or {}).get("played") == 38,
        timeout=180,
    )
    assert leicester["team_name"] == "Leicester City" and len(leicester["games"]) == 38
    standing = leicester["seasons"][0]["standing"]
    assert (standing["rank"], standing["won"], standing["points"]) == (1, 23, 81)
    assert leicester["seasons"][0]["top_scorers"]["leaders"] == []
    wait_json(
        live_server,
        "/standings/premier-league/2015-16",
        lambda t: sum(r["played"] for r in t["rows"]) == 760,
        timeout=180,
    )
    top = get(live_server, "/leaderboards/premier-league/2015-16/teams?limit=3").json()
    assert [(t["team_name"], t["points"]) for t in top["leaders"]] == [
        ("Leicester City", 81),
        ("Arsenal", 71),
        ("Tottenham Hotspur", 70),
    ]
    goals = get(live_server, "/leaderboards/premier-league/2015-16/goals")
    assert goals.status_code == 200 and goals.json()["leaders"] == []


def test_nhl_goal_scorers_and_penalties_of_a_real_game(live_server: LiveServer) -> None:
    """2016 Stanley Cup Final game 1, Pittsburgh 3-2 San Jose: Rust, Sheary and Bonino
    score for Pittsburgh, Hertl and Marleau for San Jose (Marleau also sits a penalty)."""
    path = shared_file("hockey/nhl/2015030411.feed-live.json")
    out = scoreline("feed", "convert", "--format", "nhl-statsapi", str(path))
    events = [json.loads(line) for line in out.decode().splitlines()]
    assert live_server.push(events).status_code == 202
    live_server.wait_for(events[0]["game_id"], lambda s: s["status"] == "FINAL", timeout=120)
    marleau = wait_json(
        live_server, "/players/8466139/stats?season=2015-16", lambda p: bool(p["seasons"])
    )
    assert season_stats(marleau) == {"goals": 1, "penalties": 1}
    board = get(live_server, "/leaderboards/nhl/2015-16/goals").json()["leaders"]
    rust, sheary, bonino, hertl = "8475810", "8477839", "8474009", "8476881"
    assert sorted((x["player_id"], x["value"], x["team_id"]) for x in board) == sorted(
        [(rust, 1, "5"), (sheary, 1, "5"), (bonino, 1, "5"), (hertl, 1, "28"),
         ("8466139", 1, "28")]
    )  # fmt: skip
    penguins = get(live_server, "/teams/5").json()
    assert penguins["team_name"] == "Pittsburgh Penguins"
    standing = penguins["seasons"][0]["standing"]
    assert (standing["won"], standing["points"]) == (1, 2)
    assert len(penguins["seasons"][0]["top_scorers"]["leaders"]) == 3
