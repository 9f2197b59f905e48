"""End to end: the fan pages in a real headless Chromium against the live server.

Chromium is driven over the DevTools protocol (CDP) through ``--remote-debugging-pipe``:
CDP messages are NUL-terminated JSON on the browser's file descriptors 3 (commands in)
and 4 (replies and events out). That needs no websocket client, no WebDriver and no
package beyond the standard library, and every check waits on the page's real DOM.

Needs the Debian ``chromium`` package (or ``CHROMIUM=/path/to/chrome``); without it
these tests fail, they do not skip.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.chromium import Browser, Page


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = Browser()  # started by the first test that opens a page
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    tab = Page(browser)
    yield tab
    if not tab.session:
        return
    shots = os.environ.get("SCORELINE_E2E_SCREENSHOTS")
    if shots:
        os.makedirs(shots, exist_ok=True)
        tab.screenshot(os.path.join(shots, f"{uuid.uuid4().hex[:6]}.png"))
    tab.close()
    assert not tab.errors, f"JavaScript errors on the page: {tab.errors}"


# ------------------------------------------------------------------ game feed
class Match:
    """A soccer game fed to the live server, Arsenal v Chelsea."""

    def __init__(self, live_server: Any, game_id: str | None = None) -> None:
        self.server = live_server
        self.game_id = game_id or f"fan-{uuid.uuid4().hex[:10]}"
        self.seq = 0

    def push(self, event_type: str, **fields: Any) -> str:
        self.seq += 1
        event = {
            "event_id": f"{self.game_id}-e{self.seq}",
            "game_id": self.game_id,
            "sport": "soccer",
            "sequence_number": self.seq,
            "event_type": event_type,
            **fields,
        }
        response = self.server.push([event])
        assert response.status_code < 300, (
            f"push {event_type}: {response.status_code} {response.text}"
        )
        return str(event["event_id"])

    def schedule(self) -> Match:
        self.push(
            "GAME_SCHEDULED",
            schedule={
                "home_team_id": "ars",
                "away_team_id": "che",
                "home_team_name": "Arsenal",
                "away_team_name": "Chelsea",
            },
        )
        return self

    def start(self) -> Match:
        self.push("GAME_STARTED")
        return self

    def goal(
        self,
        team: str = "ars",
        player: str = "p9",
        minute: int = 10,
        description: str = "Goal: Saka",
    ) -> str:
        return self.push(
            "GOAL",
            team_id=team,
            player_id=player,
            clock_seconds=minute * 60,
            period=1 if minute < 45 else 2,
            description=description,
        )

    @property
    def url_path(self) -> str:
        return f"/games/{self.game_id}"


SCORE = (
    "document.querySelector('#home-score').textContent + '-' + "
    "document.querySelector('#away-score').textContent"
)
CONNECTION = "document.querySelector('#connection').textContent"


def wait_score(page: Page, score: str, timeout: float) -> float:
    """Wait for the scoreboard to read ``score`` (e.g. "1-0"); return how long it took."""
    started = time.monotonic()
    page.wait_for(f"{SCORE} === {json.dumps(score)}", timeout)
    return time.monotonic() - started


def test_game_page_shows_a_goal_live_without_reload(live_server: Any, page: Page) -> None:
    match = Match(live_server).schedule().start()
    page.goto(live_server.base_url + match.url_path)
    page.wait_for(f"{CONNECTION} === 'live'")
    wait_score(page, "0-0", 5)
    assert page.text("#home-name") == "Arsenal"
    assert page.text("#away-name") == "Chelsea"
    assert page.eval("document.querySelector('#status').dataset.status") == "LIVE"
    assert page.eval("document.querySelector('.teams').getAttribute('aria-live')") == "polite"
    page.eval("window.__sameDocument = true")

    goal = match.goal()
    took = wait_score(page, "1-0", 5)
    assert page.eval("window.__sameDocument === true"), "the page reloaded"
    assert page.text("#clock") == "11'"
    assert page.text("#period") == "1st half"
    newest = page.eval("document.querySelector('#events li').className")
    assert "scoring" in newest
    assert "Goal: Saka" in (page.text("#events li") or "")
    assert took < 5, took

    match.push("EVENT_RETRACTED", references_event_id=goal, clock_seconds=700, period=1)
    wait_score(page, "0-0", 5)
    page.wait_for(
        "document.querySelector('#events li').textContent.includes('Goal overturned on review')", 5
    )
    assert page.eval(
        f"document.querySelector('[data-event-id=\"{goal}\"]').classList.contains('retracted')"
    )

    second = match.goal(minute=20, description="Goal: Havertz")
    wait_score(page, "1-0", 5)
    match.push("EVENT_CORRECTED", references_event_id=second, correction={"team_id": "che"})
    wait_score(page, "0-1", 5)
    page.wait_for(
        "document.querySelector('#events li').textContent"
        ".includes('Goal corrected on review: credited to Chelsea')",
        5,
    )
    assert not any(url.endswith("/state") for url in page.requests), "streaming page polled"


def test_game_page_polls_with_etag_when_told_to(live_server: Any, page: Page) -> None:
    match = Match(live_server).schedule().start()
    page.goto(live_server.base_url + match.url_path + "?transport=poll")
    page.wait_for(f"{CONNECTION} === 'polling'")
    wait_score(page, "0-0", 5)
    state_url = live_server.base_url + match.url_path + "/state"
    # An unchanged game answers 304 to the page's If-None-Match, and the board stays put.
    deadline = time.monotonic() + 8
    while (state_url, 304) not in page.responses:
        assert time.monotonic() < deadline, "no 304 from /state\n" + page.describe()
        time.sleep(0.1)
    assert page.eval(SCORE) == "0-0"

    match.goal()
    wait_score(page, "1-0", 6)
    assert page.eval(CONNECTION) == "polling"
    assert not any("/stream" in url for url in page.requests), "forced polling opened a stream"


def test_game_page_falls_back_to_polling_and_back_to_streaming(
    live_server: Any, page: Page
) -> None:
    match = Match(live_server).schedule().start()
    page.block("*/stream*")
    page.goto(live_server.base_url + match.url_path + "?retry=2")
    page.wait_for(f"{CONNECTION} === 'polling'", 8)
    wait_score(page, "0-0", 5)
    match.goal()
    wait_score(page, "1-0", 6)

    page.unblock()  # the stream works again: the page goes back to it by itself
    page.wait_for(f"{CONNECTION} === 'live'", 10)
    polls = sum(url.endswith("/state") for url in page.requests)
    match.goal(team="che", player="p20", minute=30, description="Goal: Palmer")
    wait_score(page, "1-1", 5)
    time.sleep(0.5)
    assert sum(url.endswith("/state") for url in page.requests) <= polls + 1, "still polling"


def test_index_lists_live_games_first_and_refreshes(live_server: Any, page: Page) -> None:
    later = Match(live_server).schedule()
    now = Match(live_server).schedule().start()
    page.goto(live_server.base_url + "/")
    card = "document.querySelector('#games a.game[data-game-id=\"{}\"]')"
    page.wait_for(f"!!({card.format(later.game_id)} && {card.format(now.game_id)})", 8)
    order = page.eval("[...document.querySelectorAll('#games a.game')].map(a => a.dataset.gameId)")
    assert order.index(now.game_id) < order.index(later.game_id)
    assert page.eval(f"{card.format(now.game_id)}.getAttribute('href')") == now.url_path
    assert "Arsenal" in page.eval(f"{card.format(now.game_id)}.textContent")

    later.start()
    later.goal()
    page.wait_for(f"{card.format(later.game_id)}.dataset.status === 'LIVE'", 10)
    live = page.eval(
        "[...document.querySelectorAll('#games section[data-status=\"LIVE\"] a.game')]"
        ".map(a => a.dataset.gameId)"
    )
    assert later.game_id in live and now.game_id in live
    assert "1" in page.eval(f"{card.format(later.game_id)}.querySelector('.pts').textContent")


class RefusingPage(Page):
    """A tab whose stream requests are answered 503 + Retry-After while ``refusing``,
    as a gateway at its connection cap (or draining) answers them."""

    refusing = False

    def _paused(self, params: dict[str, Any]) -> None:
        if not self.refusing:
            super()._paused(params)
            return
        body = base64.b64encode(b'{"title": "Too many streams"}').decode()
        headers = [
            {"name": "Retry-After", "value": "1"},
            {"name": "Content-Type", "value": "application/problem+json"},
        ]
        self.browser.post(
            "Fetch.fulfillRequest",
            {"requestId": params["requestId"], "responseCode": 503,
             "responseHeaders": headers, "body": body},
            self.session,
        )  # fmt: skip

    def refuse(self, url_pattern: str) -> None:
        self.refusing = True
        self.send("Fetch.enable", {"patterns": [{"urlPattern": url_pattern}]})

    def admit(self) -> None:
        self.refusing = False
        self.send("Fetch.disable")


def test_game_page_polls_while_streams_are_refused_then_streams_again(
    live_server: Any, browser: Browser
) -> None:
    match = Match(live_server).schedule().start()
    page = RefusingPage(browser)
    try:
        page.refuse("*/stream*")
        page.goto(live_server.base_url + match.url_path + "?retry=2")
        page.wait_for(f"{CONNECTION} === 'polling'", 8)
        wait_score(page, "0-0", 5)
        stream_url = live_server.base_url + match.url_path + "/stream"
        assert any(url.startswith(stream_url) and status == 503 for url, status in page.responses)
        state_url = live_server.base_url + match.url_path + "/state"
        deadline = time.monotonic() + 8
        while (state_url, 304) not in page.responses:  # polls carry If-None-Match
            assert time.monotonic() < deadline, "no 304 while polling\n" + page.describe()
            time.sleep(0.1)
        match.goal()
        wait_score(page, "1-0", 6)
        assert page.eval(CONNECTION) == "polling"

        page.admit()  # room again: the page returns to the stream by itself
        page.wait_for(f"{CONNECTION} === 'live'", 10)
        polls = sum(url.endswith("/state") for url in page.requests)
        match.goal(team="che", player="p20", minute=30, description="Goal: Palmer")
        wait_score(page, "1-1", 5)
        time.sleep(0.5)
        assert sum(url.endswith("/state") for url in page.requests) <= polls + 1, "still polling"
        assert not page.errors, page.errors
    finally:
        page.close()
