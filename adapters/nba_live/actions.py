"""Reading an NBA live play-by-play feed into checked, typed :class:`Action` s.

:func:`read_feed` checks the fields Scoreline uses and puts the actions in game order
(``orderNumber`` when every action has one, else file order). It raises
:class:`NbaLiveFormatError` for input that is not shaped like the feed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.nba_live.format_error import NbaLiveFormatError, show
from adapters.provider_format import RawFields, player_name

MAX_PERIOD = 100
SHOT_TYPES = frozenset({"2pt", "3pt", "freethrow"})  # actionType, lower case
_CLOCK = re.compile(r"PT([0-9]{1,2})M([0-9]{1,2})(?:\.[0-9]{1,3})?S")
_POINTS = re.compile(r"[0-9]{1,4}")
_GAME_ID = re.compile(r"[^\s]{1,100}")

_FIELDS = RawFields(NbaLiveFormatError)
_int = _FIELDS.integer
_text = _FIELDS.text


@dataclass(frozen=True)
class Action:
    """One action of the feed; ids are ``str`` of the provider's integers (0 is none)."""

    number: int
    order: int | None
    period: int
    clock: int  # seconds left in the period
    action_type: str
    sub_type: str
    made: bool | None  # a shot's shotResult: Made / Missed (None for other actions)
    team_id: str | None
    tricode: str | None
    person_id: str | None
    assist_id: str | None  # assistPersonId (a made shot's passer), None for 0 or absent
    person_name: str | None  # playerNameI ("S. Curry"), else playerName; None without a person
    description: str | None
    time_actual: str | None
    score: tuple[int, int] | None  # (home, away) after the action
    where: str


def read_feed(data: object) -> tuple[str, list[Action]]:
    """The feed's ``gameId`` and its checked actions, in game order."""
    if not isinstance(data, Mapping) or not isinstance(data.get("game"), Mapping):
        raise NbaLiveFormatError(
            "an NBA live play-by-play feed is a JSON object with a 'game' object"
        )
    game: Mapping[str, Any] = data["game"]
    game_id = game.get("gameId")
    if not isinstance(game_id, str) or not _GAME_ID.fullmatch(game_id):
        raise NbaLiveFormatError(f"'game.gameId' must be a string id, not {show(game_id)}")
    actions = game.get("actions")
    if isinstance(actions, (str, bytes)) or not isinstance(actions, Sequence):
        raise NbaLiveFormatError(f"'game.actions' must be a list, not {show(actions)}")
    parsed = [_action(raw, position) for position, raw in enumerate(actions)]
    seen: dict[int, str] = {}
    for action in parsed:
        if action.number in seen:
            raise NbaLiveFormatError(
                f"{action.where}: its actionNumber is also that of {seen[action.number]}"
            )
        seen[action.number] = action.where
    if all(action.order is not None for action in parsed):
        parsed.sort(key=lambda action: action.order or 0)  # stable: file order breaks ties
    return game_id, parsed


def _action(raw: object, position: int) -> Action:
    where = f"action {position}"
    if not isinstance(raw, Mapping):
        raise NbaLiveFormatError(f"{where} is {type(raw).__name__}, not a JSON object")
    number = _int(raw, "actionNumber", where, 0, required=True)
    where = f"action {position} (actionNumber {number})"
    clock = raw.get("clock")
    match = _CLOCK.fullmatch(clock) if isinstance(clock, str) else None
    if match is None or int(match[2]) >= 60:
        raise NbaLiveFormatError(f"{where}: 'clock' must be like 'PT11M58.00S', not {show(clock)}")
    team = _int(raw, "teamId", where, 0)
    person = _int(raw, "personId", where, 0)
    assist = _int(raw, "assistPersonId", where, 0)
    action_type = _text(raw, "actionType", where, required=True) or ""
    result = _text(raw, "shotResult", where)
    made = None
    if action_type.lower() in SHOT_TYPES:
        if (result or "").lower() not in ("made", "missed"):
            raise NbaLiveFormatError(
                f"{where}: a {action_type!r} needs shotResult 'Made' or 'Missed', "
                f"not {show(result)}"
            )
        made = (result or "").lower() == "made"
    return Action(
        number=number or 0,
        order=_int(raw, "orderNumber", where, 0),
        period=_int(raw, "period", where, 1, MAX_PERIOD, required=True) or 1,
        clock=int(match[1]) * 60 + int(match[2]),
        action_type=action_type,
        sub_type=_text(raw, "subType", where) or "",
        made=made,
        team_id=str(team) if team else None,
        tricode=_text(raw, "teamTricode", where),
        person_id=str(person) if person else None,
        assist_id=str(assist) if assist and assist != person else None,
        person_name=_person_name(raw, where) if person else None,
        description=_text(raw, "description", where),
        time_actual=_text(raw, "timeActual", where),
        score=_score(raw, where),
        where=where,
    )


def _person_name(raw: Mapping[str, Any], where: str) -> str | None:
    """The action's player's name: ``playerNameI`` (initial and family name), else
    ``playerName`` (family name), as the native format takes it."""
    initial, family = _text(raw, "playerNameI", where), _text(raw, "playerName", where)
    return player_name(initial) or player_name(family)


def _score(raw: Mapping[str, Any], where: str) -> tuple[int, int] | None:
    home, away = raw.get("scoreHome"), raw.get("scoreAway")
    if home is None and away is None:
        return None
    if not (isinstance(home, str) and _POINTS.fullmatch(home)) or not (
        isinstance(away, str) and _POINTS.fullmatch(away)
    ):
        raise NbaLiveFormatError(
            f"{where}: 'scoreHome' and 'scoreAway' must both be point strings like '102', "
            f"not {show(home)} and {show(away)}"
        )
    return int(home), int(away)
