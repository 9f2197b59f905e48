"""Mapping an NHL statsapi game feed to native ice hockey events: :func:`convert`.

Which plays become which native events is decided here; the package doc lists the rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.nhl_statsapi.feed import Feed, Play, read_feed
from adapters.nhl_statsapi.format_error import NhlStatsapiFormatError
from adapters.play_by_play.game_log import GameHeader, build_game_log
from adapters.play_by_play.revisions import revise
from adapters.play_by_play.source_rows import Play as NativePlay
from adapters.play_by_play.source_rows import SourceRow
from domain.events import Schedule
from domain.sports import EventType, Sport

_SEASON = re.compile(r"([0-9]{4})([0-9]{4})")
_LIFECYCLE = {
    "PERIOD_START": EventType.PERIOD_START,
    "PERIOD_END": EventType.PERIOD_END,
    "GAME_END": EventType.GAME_FINAL,
}
# eventTypeId -> (native type, the playerType that is the event's player)
_ACTS = {
    "GOAL": (EventType.GOAL, "Scorer"),
    "SHOT": (EventType.SHOT, "Shooter"),
    "PENALTY": (EventType.PENALTY, "PenaltyOn"),
}


def convert(
    data: Any,
    *,
    game_id: str | None = None,
    previous: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Native events of one game from an NHL statsapi game feed (see the package doc)."""
    if game_id is not None and (not isinstance(game_id, str) or not game_id):
        raise ValueError("game_id must be a non-empty string (or None: the feed's gamePk)")
    feed = read_feed(data)
    schedule = Schedule(
        home_team_id=feed.home.id,
        away_team_id=feed.away.id,
        home_team_name=feed.home.name,
        away_team_name=feed.away.name,
        venue=feed.venue,
        start_time=feed.start_time,
        league="nhl",
        season=_season(feed),
    )
    header = GameHeader(
        game_id or feed.game_pk, Sport.ICE_HOCKEY, feed.game_pk, schedule, "Puck drop"
    )
    rows = [_row(feed.game_pk, play) for play in feed.plays]
    fresh = build_game_log(header, rows, error=NhlStatsapiFormatError)
    return revise(fresh, previous, error=NhlStatsapiFormatError)


def _row(game_pk: str, play: Play) -> SourceRow:
    return SourceRow(
        event_id=f"{game_pk}:eventidx:{play.index}",
        where=play.where,
        period=play.period,
        clock=play.clock,
        created_at=play.created_at,
        plays=_plays(play),
        score=None if play.shootout else play.score,
    )


def _plays(play: Play) -> tuple[NativePlay, ...]:
    text = play.description or play.kind
    if play.kind in _LIFECYCLE:
        return (NativePlay(_LIFECYCLE[play.kind], description=text),)
    if play.kind not in _ACTS:
        return ()
    kind, role = _ACTS[play.kind]
    if kind == EventType.GOAL and play.shootout:
        kind = EventType.SHOOTOUT_GOAL
    player = play.player(role)
    assists: tuple[str, ...] = ()
    if kind == EventType.GOAL:
        listed = [ident for kind_of, ident in play.players if kind_of == "Assist"]
        assists = tuple(ident for ident in dict.fromkeys(listed) if ident != player)
    return (
        NativePlay(
            kind, play.team_id, player, text, assists=assists, player_name=play.name_of(player)
        ),
    )


def _season(feed: Feed) -> str | None:
    """``"2015-16"`` from the feed's season (``"20152016"``) or its gamePk (``2015030411``)."""
    match = _SEASON.fullmatch(feed.season or "") or _SEASON.fullmatch(feed.game_pk[:8])
    if match is None:
        return None
    start = int(match[1])
    return f"{start}-{(start + 1) % 100:02d}"
