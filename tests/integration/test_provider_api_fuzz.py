"""Schemathesis against ``/openapi.json``: the provider webhook and the fan endpoints.

Properties, checked in process on the in-memory wiring with the recorder and the
projector running (TestClient lifespan):

1. No 5xx, for any generated request: schemathesis' ``not_a_server_error`` plus the
   response conformance checks, on requests signed *after* serialisation (a
   ``requests`` auth signs the exact bytes that go on the wire) and on requests with a
   stale, forged, foreign or missing signature, which must never be accepted.
2. No accepted invalid event: every event of every 202 passes an oracle written here
   from the native format's rules (adapters/native_format.py), independently of the
   msgspec decoder, and parses again with ``adapters.native_format.parse``; and no
   accepted event is silently lost: each one ends up recorded with the content sent,
   or kept in the RejectedStore by the recorder with a reason. What got recorded obeys
   the game rules (sport, teams, periods) by a second oracle.

Known bugs found while writing this are pinned as ``xfail(strict=True)`` regression
tests at the end, and kept out of the random run by :func:`known_bug` (remove each
exclusion with its fix: the strict xfail turning XPASS says when).
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
import urllib3
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from adapters.native_format import parse
from domain.events import GameEvent
from domain.sports import RULES, EventType, Sport
from entrypoints.composition import Services, build_in_memory
from entrypoints.feed_push import signed_headers
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from entrypoints.web.provider_auth import sign

PROVIDER = "acme"
SECRET = "fuzz-s3cret"
ADMIN = "admin-token"
BASE_URL = "http://testserver"
WEBHOOK = "/providers/{provider}/events"
TIMESTAMP = "X-Scoreline-Timestamp"
SIGNATURE = "X-Scoreline-Signature"
SETTINGS = Settings(
    provider_secrets={PROVIDER: SECRET},
    admin_token=ADMIN,
    gap_timeout=0.2,
    max_body_bytes=20_000,
    max_batch_events=5,
    provider_burst=1_000_000,  # rate limiting (429) is not what is fuzzed here
)
EXAMPLES = 250
GET_EXAMPLES = 60

# Games seeded before fuzzing, so that steered events reach the game rules.
TEAMS = ("home", "away")
SEEDED = {"g-soccer": Sport.SOCCER, "g-hoops": Sport.BASKETBALL}
GAME_IDS = tuple(SEEDED)

REFUSALS = ["401", "409", "413", "422"]
PROVIDER_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# The fan endpoints answer 400 for bad paging/status, which /openapi.json does not list,
# so status_code_conformance is left out there (see the report with this file).
FAN_CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]

# How a request is authenticated: only "signed" may ever be accepted.
AUTH_MODES = (
    *["signed"] * 9,
    "stale",
    "wrong-secret",
    "unknown-provider",
    "forged-signature",
    "odd-timestamp",
    "as-generated",
)
# A small dictionary of hostile header values, which schemathesis does not make up.
HOSTILE_TIMESTAMPS = st.sampled_from(
    ["", "abc", "1e9", "-1", "+0", " 1 ", "1" + "0" * 400, "9" * 5000, "\xb9\xb2"]
)
HOSTILE_SIGNATURES = st.one_of(
    st.sampled_from(["", "sha256=", "sha256=zz", "SHA256=" + "0" * 64]),
    st.text(
        st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=80
    ),
)
# And of ids that brush the format's limits.
HOSTILE_IDS = st.sampled_from(
    ["e\n", "e 1", "\xa0", "e\u2028", "\ufeff", "\U0001f3c6", "x" * 200, "x" * 201, ""]
)


# ------------------------------------------------------------------ transport
class HmacSigner(requests.auth.AuthBase):
    """Signs a prepared request: ``requests`` calls this after the body is serialised."""

    def __init__(self, secret: str, *, skew: float = 0.0, timestamp: str | None = None) -> None:
        self.secret = secret
        self.skew = skew
        self.timestamp = timestamp

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        timestamp = self.timestamp
        if timestamp is None:
            timestamp = str(int(time.time() + self.skew))
        request.headers[TIMESTAMP] = timestamp
        request.headers[SIGNATURE] = sign(self.secret, timestamp, wire_body(request))
        return request


class WireHeaders(requests.auth.AuthBase):
    """Puts auth headers on the wire as given (None: leave what the case has)."""

    def __init__(self, timestamp: str | None, signature: str | None) -> None:
        self.timestamp = timestamp
        self.signature = signature

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.timestamp is not None:
            request.headers[TIMESTAMP] = self.timestamp
        if self.signature is not None:
            request.headers[SIGNATURE] = self.signature
        return request


class InProcessAdapter(requests.adapters.HTTPAdapter):
    """Routes schemathesis' ``requests`` calls into a starlette TestClient.

    The TestClient runs the app's lifespan (recorder, projector) on its own event loop;
    every request goes through that loop too. Headers travel as latin-1 bytes, as
    over the wire, and the body is sent byte for byte as it was signed.
    """

    def __init__(self, client: TestClient) -> None:
        super().__init__()
        self.client = client

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: object = None,  # the rest are for the network, which is not used
        verify: object = True,
        cert: object = None,
        proxies: object = None,
    ) -> requests.Response:
        headers = [
            (name.encode("latin-1"), _latin1(value))
            for name, value in request.headers.items()
            if name.lower() != "content-length"
        ]
        answer = self.client.request(
            str(request.method),
            str(request.url),
            content=wire_body(request),
            headers=headers,
        )
        headers_back = urllib3.HTTPHeaderDict()
        for name, value in answer.headers.multi_items():
            headers_back.add(name, value)
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(answer.content),
            headers=headers_back,
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)


def _latin1(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


def wire_body(request: requests.PreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes):
        return body
    raise TypeError(f"a streamed body is not fuzzed here: {type(body)}")


def session_for(client: TestClient) -> requests.Session:
    session = requests.Session()
    adapter = InProcessAdapter(client)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --------------------------------------------------------------------- oracle
SPORTS = frozenset(s.value for s in Sport)
EVENT_TYPES = frozenset(t.value for t in EventType)
REVISIONS = frozenset({"EVENT_CORRECTED", "EVENT_RETRACTED"})
EVENT_FIELDS = {
    "event_id": "id",
    "game_id": "id",
    "sport": "sport",
    "sequence_number": "sequence",
    "event_type": "event_type",
    "team_id": "id?",
    "player_id": "id?",
    "clock_seconds": "clock?",
    "period": "period?",
    "description": "text",
    "created_at": "text?",
    "references_event_id": "id?",
    "schedule": "schedule?",
    "correction": "correction?",
    "provider": "id?",
    "assists": "assists",
    "player_name": "name?",
}
REQUIRED = ("event_id", "game_id", "sport", "sequence_number", "event_type")
SCHEDULE_FIELDS = {
    "home_team_id": "id",
    "away_team_id": "id",
    "home_team_name": "text?",
    "away_team_name": "text?",
    "venue": "text?",
    "start_time": "text?",
    "league": "id?",
    "season": "id?",
}
CORRECTION_FIELDS = {
    "event_type": "event_type?",
    "team_id": "id?",
    "player_id": "id?",
    "clock_seconds": "clock?",
    "period": "period?",
    "description": "text?",
    "assists": "assists?",
    "player_name": "name?",
}


def is_space(char: str) -> bool:
    """Whitespace to Python's ``\\s`` or to JSON Schema's (ECMA-262, which adds U+FEFF).

    An id is 1..200 characters and none of them is whitespace (``^[^\\s]+$``), in the
    msgspec reading and in the published schema's: the oracle takes the stricter.
    """
    return char.isspace() or char == "\ufeff"


def _is_int(value: Any, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def _value_problem(kind: str, value: Any) -> str | None:
    """Why ``value`` is not of ``kind`` (a trailing ``?`` allows null), or None."""
    if kind.endswith("?"):
        if value is None:
            return None
        kind = kind[:-1]
    if kind == "id":
        ok = isinstance(value, str) and 0 < len(value) <= 200
        return None if ok and not any(map(is_space, value)) else "not an id"
    if kind == "text":
        return None if isinstance(value, str) and len(value) <= 2000 else "not a text"
    if kind == "sport":
        return None if isinstance(value, str) and value in SPORTS else "not a sport"
    if kind == "event_type":
        return None if isinstance(value, str) and value in EVENT_TYPES else "not an event type"
    if kind == "sequence":
        return None if _is_int(value, 1, 10_000_000) else "not a sequence number"
    if kind == "clock":
        return None if _is_int(value, 0, 100_000) else "not a clock"
    if kind == "period":
        return None if _is_int(value, 1, 100) else "not a period"
    if kind == "name":  # 1..200 characters, trimmed (Python's strip) and so not blank
        ok = isinstance(value, str) and 0 < len(value) <= 200 and value == value.strip()
        return None if ok else "not a name"
    if kind == "assists":
        if not isinstance(value, list) or len(value) > 10:
            return "not a list of at most 10 ids"
        return next(
            (f"[{i}] not an id" for i, v in enumerate(value) if _value_problem("id", v)), None
        )
    if kind == "schedule":
        return _object_problem(value, SCHEDULE_FIELDS, ("home_team_id", "away_team_id"))
    if kind == "correction":
        return _object_problem(value, CORRECTION_FIELDS, ())
    raise AssertionError(kind)


def _object_problem(value: Any, fields: Mapping[str, str], required: tuple[str, ...]) -> str | None:
    if not isinstance(value, dict):
        return "not an object"
    unknown = set(value) - set(fields)
    if unknown:
        return f"unknown fields {sorted(unknown)}"
    missing = [name for name in required if name not in value]
    if missing:
        return f"missing {missing}"
    for name, item in value.items():
        why = _value_problem(fields[name], item)
        if why:
            return f"{name}: {why}"
    return None


def event_problems(item: Any) -> list[str]:
    """Every way one delivered item breaks the native format, independently of msgspec."""
    why = _object_problem(item, EVENT_FIELDS, REQUIRED)
    if why:
        return [why]
    problems: list[str] = []
    kind = item["event_type"]
    schedule, correction = item.get("schedule"), item.get("correction")
    reference = item.get("references_event_id")
    if (kind == "GAME_SCHEDULED") != (schedule is not None):
        problems.append("a schedule exactly on GAME_SCHEDULED")
    if schedule is not None and schedule["home_team_id"] == schedule["away_team_id"]:
        problems.append("a team cannot play itself")
    if (kind in REVISIONS) != (reference is not None):
        problems.append("references_event_id exactly on revisions")
    if (kind == "EVENT_CORRECTED") != (correction is not None):
        problems.append("a correction exactly on EVENT_CORRECTED")
    if reference is not None and reference == item["event_id"]:
        problems.append("an event cannot revise itself")
    assists = item.get("assists") or []
    if assists and kind not in ASSISTED.get(item["sport"], ()):
        problems.append(f"no assists on a {kind} in {item['sport']}")
    for listed, scorer in ((assists, item.get("player_id")), *_correction_assists(correction)):
        if len(set(listed)) != len(listed) or scorer in listed:
            problems.append("assists name each player once, and not the scorer")
    if item.get("player_name") is not None and item.get("player_id") is None:
        problems.append("a player_name needs a player_id")
    return problems


# The scoring events that carry assists, by sport (what the README says).
ASSISTED = {
    "soccer": {"GOAL", "PENALTY_GOAL"},
    "basketball": {"TWO_POINTER", "THREE_POINTER"},
    "ice_hockey": {"GOAL"},
}


def _correction_assists(correction: Any) -> list[tuple[list[Any], Any]]:
    if not isinstance(correction, dict) or not correction.get("assists"):
        return []
    return [(correction["assists"], correction.get("player_id"))]


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def delivery_problems(body: bytes, max_events: int) -> list[str]:
    """Why ``body`` is not an acceptable delivery ([] when it is)."""
    try:
        decoded = json.loads(body.decode("utf-8"), parse_constant=_no_constants)
    except ValueError as error:  # UnicodeDecodeError and JSONDecodeError included
        return [f"not UTF-8 JSON: {error}"]
    items = decoded if isinstance(decoded, list) else [decoded]
    if not 1 <= len(items) <= max_events:
        return [f"{len(items)} events; 1..{max_events} allowed"]
    return [f"[{i}] {p}" for i, item in enumerate(items) for p in event_problems(item)]


def recorded_problems(events: list[GameEvent]) -> list[str]:
    """Game rules every recorded game obeys, checked on its recorded events in order."""
    if not events:
        return []
    first = events[0]
    if first.event_type != EventType.GAME_SCHEDULED or first.schedule is None:
        return [f"{first.event_id}: a game starts with GAME_SCHEDULED"]
    teams = {first.schedule.home_team_id, first.schedule.away_team_id}
    rules = RULES[first.sport]
    problems: list[str] = []
    for e in events:
        where = f"{e.game_id}/{e.event_id}"
        if e.sport != first.sport:
            problems.append(f"{where}: sport {e.sport} in a {first.sport} game")
        if e.team_id is not None and e.team_id not in teams:
            problems.append(f"{where}: team {e.team_id!r} does not play in {sorted(teams)}")
        highest = rules.max_periods
        if e.period is not None and highest is not None and e.period > highest:
            problems.append(f"{where}: period {e.period} > {highest}")
        if e.schedule is not None and {e.schedule.home_team_id, e.schedule.away_team_id} != teams:
            problems.append(f"{where}: the teams changed")
    ids = [e.event_id for e in events]
    if len(ids) != len(set(ids)):
        problems.append(f"{first.game_id}: an event_id recorded twice")
    return problems


# --------------------------------------------------------------- known bugs
def known_bug(body: bytes, sent_headers: Mapping[str, str | bytes]) -> str | None:
    """Which pinned bug a request trips, to leave it out of the random run's checks.

    Every bug found while writing this is fixed and kept below as a regression test;
    add a rule here (and an xfail there) only for a newly found, not yet fixed one.
    """
    return None


# --------------------------------------------------------------------- ledger
@dataclass
class Ledger:
    """What the webhook acknowledged, to hold the recorder to it afterwards."""

    accepted: list[GameEvent] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    known_bugs: Counter[str] = field(default_factory=Counter)
    tainted_games: set[str] = field(default_factory=set)  # by a known bug


def check_delivery(services: Services, ledger: Ledger, mode: str, response: Any) -> None:
    """The webhook's answer is right for what was sent."""
    status: int = response.status_code
    body = wire_body(response.request)
    ledger.statuses[status] += 1
    assert status < 500, f"{status} for {body[:300]!r}"
    if status != 202:
        assert status in (401, 409, 413, 422), status
        if mode != "signed":
            assert status in (401, 413), f"{mode}: {status}"
        else:  # signed after serialisation: the signature always matches the bytes sent
            assert status != 401, response.content
        # Every refused body is kept raw with its reason (413 keeps no body).
        problem = json.loads(response.content)
        pointer = problem.get("errors", [{}])[0].get("pointer", "")
        ledger.refusals[f"{status} {pointer.split('.', 1)[-1] if '.' in pointer else ''}"] += 1
        kept = services.rejected.get(problem["rejected_id"])
        assert kept is not None and kept.source == "webhook"
        assert kept.body == (b"" if status == 413 else body)
        return
    assert mode == "signed", f"accepted with auth mode {mode!r}: {body[:300]!r}"
    problems = delivery_problems(body, SETTINGS.max_batch_events)
    assert not problems, f"accepted an invalid delivery {body[:500]!r}: {problems}"
    note_acceptance(ledger, response)


def note_acceptance(ledger: Ledger, response: Any) -> list[GameEvent]:
    """Put a 202's accepted events in the ledger, checking the answer names each one."""
    body = wire_body(response.request)
    events = parse(body, provider=PROVIDER, max_events=SETTINGS.max_batch_events)
    answer = json.loads(response.content)
    assert [o["event_id"] for o in answer["events"]] == [e.event_id for e in events]
    outcomes = [o["outcome"] for o in answer["events"]]
    assert set(outcomes) <= {"accepted", "duplicate"}
    assert answer["accepted"] == outcomes.count("accepted")
    assert answer["duplicates"] == outcomes.count("duplicate")
    ledger.accepted += [e for e, o in zip(events, outcomes, strict=True) if o == "accepted"]
    return events


def kept_by_recorder(services: Services) -> list[GameEvent]:
    kept = services.rejected.list(limit=1_000_000)
    return [
        GameEvent.from_dict(json.loads(r.body))
        for r in kept
        if r.source == "recorder" and r.reason in ("rule", "conflict") and r.detail.get("detail")
    ]


def unresolved(services: Services, accepted: list[GameEvent]) -> list[GameEvent]:
    """Accepted events neither recorded as sent nor rejected by the recorder with a reason."""
    refused = {(e.game_id, e.event_id, e.fingerprint()) for e in kept_by_recorder(services)}
    recorded: dict[str, dict[str, str]] = {}
    missing: list[GameEvent] = []
    for e in accepted:
        if e.game_id not in recorded:
            found = services.scorekeeper.recorded_events(e.game_id)
            recorded[e.game_id] = {r.event.event_id: r.event.fingerprint() for r in found}
        if recorded[e.game_id].get(e.event_id) == e.fingerprint():
            continue
        if (e.game_id, e.event_id, e.fingerprint()) not in refused:
            missing.append(e)
    return missing


def wait_until_resolved(services: Services, accepted: list[GameEvent], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        left = unresolved(services, accepted)
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{len(left)} accepted events were neither recorded nor rejected: "
                + "; ".join(json.dumps(e.to_dict()) for e in left[:5])
            )
        time.sleep(0.05)


def settle(services: Services, game_ids: set[str], timeout: float = 10) -> None:
    """Wait until the projector has caught up with the recorder on ``game_ids``.

    Leaving the TestClient while the recorder is about to poke the projector can hang
    its shutdown (see test_stop_right_after_the_recorder_pokes_the_projector_returns),
    so every test here lets the workers go quiet first.
    """
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(0.3)  # the recorder pokes the projector after each batch it records
        behind = []
        for game_id in game_ids:
            state = services.view.state(game_id)
            version = services.scorekeeper.game_version(game_id)
            if (state["version"] if state else 0) != version:
                behind.append(game_id)
        if not behind:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the projector never caught up on {behind[:5]}")


# ---------------------------------------------------------------- generation
def seed(client: TestClient) -> list[GameEvent]:
    """Schedule and start the seeded games."""
    events: list[GameEvent] = []
    for game_id, sport in SEEDED.items():
        payload = [
            {
                "event_id": f"{game_id}-1",
                "game_id": game_id,
                "sport": sport.value,
                "sequence_number": 1,
                "event_type": "GAME_SCHEDULED",
                "schedule": {"home_team_id": TEAMS[0], "away_team_id": TEAMS[1]},
            },
            {
                "event_id": f"{game_id}-2",
                "game_id": game_id,
                "sport": sport.value,
                "sequence_number": 2,
                "event_type": "GAME_STARTED",
            },
        ]
        body = json.dumps(payload).encode()
        r = client.post(
            f"/providers/{PROVIDER}/events", content=body, headers=signed_headers(SECRET, body)
        )
        assert r.status_code == 202, r.text
        events += parse(body, provider=PROVIDER)
    return events


@st.composite
def steered_event(draw: st.DrawFn, item: dict[str, Any], games: list[str]) -> dict[str, Any]:
    """A schema-valid event nudged towards ``games`` and the cross-field rules, so that
    the fuzzing gets past the format into ingestion, sequencing and recording."""
    event = dict(item)
    if draw(st.integers(0, 7)) == 7:
        event["event_id"] = draw(HOSTILE_IDS)
    game_id = draw(st.sampled_from(games))
    event["game_id"] = game_id
    if draw(st.integers(0, 3)) < 3:
        event["sport"] = SEEDED.get(game_id, Sport.ICE_HOCKEY).value
    event["sequence_number"] = draw(st.integers(1, 12))
    # JSON Schema counts 3.0 as an integer, msgspec does not (see the report); make it 3.
    for name in ("clock_seconds", "period"):
        if isinstance(event.get(name), float):
            event[name] = int(event[name])
    if isinstance(event.get("correction"), dict):
        event["correction"] = {
            k: int(v) if isinstance(v, float) else v for k, v in event["correction"].items()
        }
    team = draw(st.sampled_from([None, *TEAMS, "visitors"]))
    if team is None:
        event.pop("team_id", None)
    else:
        event["team_id"] = team
    if draw(st.booleans()):
        event["period"] = draw(st.integers(1, 5))
    kind = event["event_type"]
    if kind == "GAME_SCHEDULED":
        teams = draw(st.sampled_from([TEAMS, TEAMS[::-1], ("visitors", TEAMS[0]), None]))
        if teams is not None or not isinstance(event.get("schedule"), dict):
            home, away = teams or TEAMS
            event["schedule"] = {"home_team_id": home, "away_team_id": away}
    else:
        event.pop("schedule", None)
    if kind in REVISIONS:
        target = draw(st.sampled_from([f"{game_id}-1", f"{game_id}-2", "nowhere"]))
        event["references_event_id"] = target if target != event["event_id"] else "elsewhere"
    else:
        event.pop("references_event_id", None)
    if kind == "EVENT_CORRECTED":
        if not isinstance(event.get("correction"), dict):
            event["correction"] = {}
    else:
        event.pop("correction", None)
    return event


@st.composite
def steered_body(draw: st.DrawFn, body: Any) -> Any:
    items = body if isinstance(body, list) else [body]
    if not items or not all(isinstance(i, dict) and "event_type" in i for i in items):
        return body
    # One or two games per delivery: the seeded ones, or a game nobody has seen yet.
    fresh = f"g-{draw(st.integers(0, 10**6))}"
    games = draw(st.lists(st.sampled_from([*GAME_IDS, fresh]), min_size=1, max_size=2))
    steered = [draw(steered_event(i, games)) for i in items]
    return steered if isinstance(body, list) else steered[0]


def authenticate(case: Case[Any], mode: str, data: st.DataObject) -> requests.auth.AuthBase | None:
    """Set the case up for ``mode``; the auth to pass to the call, if any.

    Headers and path are replaced by assignment, so schemathesis revalidates whether
    the case is still negative and ``negative_data_rejection`` judges what is sent.
    """
    headers = CaseInsensitiveDict(case.headers or {})
    if mode == "as-generated":
        return None
    if mode == "unknown-provider":
        provider = str(case.path_parameters.get("provider", "")) or "nobody"
        case.path_parameters = {"provider": "x" + provider if provider == PROVIDER else provider}
    else:
        case.path_parameters = {"provider": PROVIDER}
    if mode == "forged-signature":
        case.headers = headers
        fresh = str(int(time.time()))
        timestamp = data.draw(st.one_of(st.just(fresh), HOSTILE_TIMESTAMPS, st.none()))
        zeros = "sha256=" + "0" * 64
        signature = data.draw(st.one_of(HOSTILE_SIGNATURES, st.just(zeros), st.none()))
        return WireHeaders(timestamp, signature)
    if mode == "odd-timestamp":
        # Correctly signed, over a timestamp header of an odd form.
        headers[TIMESTAMP] = "0"
        headers[SIGNATURE] = "sha256="
        case.headers = headers
        return HmacSigner(SECRET, timestamp=data.draw(HOSTILE_TIMESTAMPS))
    # Placeholders, valid for the schema; the signer overwrites them on the wire.
    headers[TIMESTAMP] = "0"
    headers[SIGNATURE] = "sha256="
    case.headers = headers
    if mode == "stale":
        return HmacSigner(SECRET, skew=-(SETTINGS.signature_tolerance + 60))
    if mode == "wrong-secret":
        return HmacSigner("not-" + SECRET)
    return HmacSigner(SECRET)


def load_schema(client: TestClient) -> Any:
    document = client.get("/openapi.json")
    assert document.status_code == 200
    # Explicit, so that no schemathesis.toml found around changes what is checked. A
    # schema-violating request must get one of the webhook's refusals.
    config = schemathesis.Config.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}}
    )
    return schemathesis.openapi.from_dict(document.json(), config=config)


def both_modes(operation: Any) -> st.SearchStrategy[Case[Any]]:
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def fuzz_settings(max_examples: int) -> hypothesis_settings:
    # No shrinking: the server's state moves on between tries, so a shrunk example
    # rarely fails the same way, and shrinking big generated bodies takes minutes.
    # A failure is reported as generated, with schemathesis' curl line to replay it.
    return hypothesis_settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


@pytest.fixture
def services() -> Iterator[Services]:
    built = build_in_memory(SETTINGS)
    yield built
    built.close()


# ---------------------------------------------------------------------- tests
def test_provider_webhook_fuzz_no_5xx_and_no_accepted_invalid_event(services: Services) -> None:
    ledger = Ledger()
    started = time.monotonic()
    app = create_app(services)
    with TestClient(app, raise_server_exceptions=False) as client:
        session = session_for(client)
        seeded = seed(client)
        operation = load_schema(client)[WEBHOOK]["POST"]

        @fuzz_settings(EXAMPLES)
        @given(case=both_modes(operation), mode=st.sampled_from(AUTH_MODES), data=st.data())
        def fuzz(case: Case[Any], mode: str, data: st.DataObject) -> None:
            meta = case.meta
            positive = meta is not None and meta.generation.mode.is_positive
            # Hypothesis leans to the simplest choice (0, False, the first element), so
            # the likely branch of each draw here is the one wanted most of the time.
            if mode == "signed" and positive and data.draw(st.integers(0, 3)) < 3:
                case.body = data.draw(steered_body(case.body))
            auth = authenticate(case, mode, data)
            response = case.call(base_url=BASE_URL, session=session, auth=auth)
            bug = known_bug(wire_body(response.request), response.request.headers)
            if bug is not None:
                ledger.known_bugs[bug] += 1
                if response.status_code == 202:
                    events = note_acceptance(ledger, response)
                    ledger.tainted_games |= {e.game_id for e in events}
                return
            case.validate_response(
                response, checks=PROVIDER_CHECKS, transport_kwargs={"base_url": BASE_URL}
            )
            check_delivery(services, ledger, mode, response)

        fuzz()
        accepted = seeded + ledger.accepted
        wait_until_resolved(services, accepted, timeout=15)
        games = {e.game_id for e in accepted}
        settle(services, games)
        for game_id in sorted(games):
            recorded = [r.event for r in services.scorekeeper.recorded_events(game_id)]
            if game_id not in ledger.tainted_games:
                assert not recorded_problems(recorded), recorded_problems(recorded)
            sent = {(e.event_id, e.fingerprint()) for e in accepted if e.game_id == game_id}
            stray = [e.event_id for e in recorded if (e.event_id, e.fingerprint()) not in sent]
            assert not stray, f"recorded but never accepted: {stray}"
        # The fuzzing reached both sides: acceptances and refusals of each kind.
        assert all(ledger.statuses[s] > 0 for s in (202, 401, 422)), ledger.statuses
    print(
        f"\nwebhook fuzz: {ledger.statuses.total()} requests {dict(ledger.statuses)} in "
        f"{time.monotonic() - started:.1f} s; {len(ledger.accepted)} events accepted; "
        f"refusals {dict(ledger.refusals.most_common())}; known bugs hit {dict(ledger.known_bugs)}"
    )


def test_fan_endpoints_fuzz_no_5xx(services: Services) -> None:
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        session = session_for(client)
        seed(client)
        settle(services, set(SEEDED))
        schema = load_schema(client)
        operations = [
            schema["/games"]["GET"],
            schema["/games/{game_id}/state"]["GET"],
            schema["/games/{game_id}/events"]["GET"],
        ]
        statuses: dict[int, int] = {}

        @fuzz_settings(GET_EXAMPLES)
        @given(
            case=st.one_of([both_modes(op) for op in operations]),
            known=st.booleans(),
        )
        def fuzz(case: Case[Any], known: bool) -> None:
            if known and "game_id" in case.path_parameters:
                case.path_parameters = {"game_id": "g-soccer"}
            response = case.call(base_url=BASE_URL, session=session)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            case.validate_response(
                response, checks=FAN_CHECKS, transport_kwargs={"base_url": BASE_URL}
            )

        fuzz()
        assert statuses.get(200, 0) > 0, statuses


# ----------------------------------------------------- pinned regression tests
def post_signed(client: TestClient, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return client.post(
        f"/providers/{PROVIDER}/events",
        content=body,
        headers=headers if headers is not None else signed_headers(SECRET, body),
    )


def soccer_event(**fields: Any) -> dict[str, Any]:
    return {
        "event_id": "e1",
        "game_id": "g-bug",
        "sport": "soccer",
        "sequence_number": 1,
        "event_type": "GAME_SCHEDULED",
        "schedule": {"home_team_id": "ars", "away_team_id": "che"},
        **fields,
    }


def test_an_id_with_a_trailing_newline_is_refused(services: Services) -> None:
    body = json.dumps([soccer_event(event_id="e1\n")]).encode()
    assert delivery_problems(body, SETTINGS.max_batch_events)  # the oracle says invalid
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = post_signed(client, body)
        settle(services, {"g-bug"})
    assert r.status_code == 422, r.text


def test_an_id_the_published_schema_forbids_is_refused(services: Services) -> None:
    body = json.dumps([soccer_event(event_id="\ufeff")]).encode()
    assert delivery_problems(body, SETTINGS.max_batch_events)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = post_signed(client, body)
        settle(services, {"g-bug"})
    assert r.status_code == 422, r.text


def test_a_schedule_naming_a_team_not_in_its_game_is_never_recorded(services: Services) -> None:
    body = json.dumps(
        [
            soccer_event(team_id="liv"),
            soccer_event(
                event_id="e2",
                sequence_number=2,
                schedule={"home_team_id": "liv", "away_team_id": "eve"},
            ),
        ]
    ).encode()
    assert not delivery_problems(body, SETTINGS.max_batch_events)  # a valid format
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = post_signed(client, body)
        accepted = parse(body, provider=PROVIDER) if r.status_code == 202 else []
        wait_until_resolved(services, accepted, timeout=5)
        settle(services, {"g-bug"})
    recorded = [x.event for x in services.scorekeeper.recorded_events("g-bug")]
    assert not recorded_problems(recorded), recorded_problems(recorded)


def test_an_overflowing_timestamp_is_401_not_500(services: Services) -> None:
    body = json.dumps([soccer_event()]).encode()
    timestamp = "1" + "0" * 400
    headers = {TIMESTAMP: timestamp, SIGNATURE: sign(SECRET, timestamp, body)}
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = post_signed(client, body, headers)
    assert r.status_code == 401, r.text


def test_a_non_ascii_signature_is_401_not_500(services: Services) -> None:
    body = json.dumps([soccer_event()]).encode()
    headers = {TIMESTAMP: str(int(time.time())), SIGNATURE: "sha256=\xe9"}
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = client.post(
            f"/providers/{PROVIDER}/events",
            content=body,
            headers={k: v.encode("latin-1") for k, v in headers.items()},
        )
    assert r.status_code == 401, r.text


def test_stop_right_after_the_recorder_pokes_the_projector_returns() -> None:
    async def scenario() -> bool:
        services = build_in_memory(SETTINGS)
        await services.start()
        await asyncio.sleep(0.2)  # the projector is now waiting to be poked

        async def poke_then_stop() -> None:
            services.follower.poke()  # what the recorder does after recording a batch
            await services.stop()  # cancels the workers in the same step

        stopping = asyncio.ensure_future(poke_then_stop())
        done, _ = await asyncio.wait({stopping}, timeout=2)
        if stopping not in done:  # clean up: a second cancel gets through
            for task in services.tasks:
                task.cancel()
            await asyncio.wait({stopping}, timeout=2)
        services.close()
        return stopping in done

    assert asyncio.run(scenario()), "Services.stop() did not return within 2 s"
