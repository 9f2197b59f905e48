"""Mapping one match's checked StatsBomb events to native soccer events: :func:`convert`.

Which StatsBomb events become which native events (goals, own goals, fouls, cards,
substitutions, period boundaries) is decided here; the package doc lists the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.provider_format import player_name
from adapters.statsbomb.format_error import StatsBombFormatError, show
from adapters.statsbomb.native_writer import NativeEventWriter
from adapters.statsbomb.raw_fields import id_and_name, name_of, object_field
from adapters.statsbomb.reading import Event, Team, match_teams, read_events
from domain.sports import RULES, EventType, Sport

_SOCCER = RULES[Sport.SOCCER]
_SHOOTOUT_PERIOD = 5

_CARDS: Mapping[str, tuple[EventType, str]] = {
    "Yellow Card": (EventType.YELLOW_CARD, "Yellow card"),
    "Second Yellow": (EventType.RED_CARD, "Red card (second yellow)"),
    "Red Card": (EventType.RED_CARD, "Red card"),
}


def convert(
    events: Sequence[Mapping[str, Any]],
    *,
    game_id: str,
    home_team: str,
    away_team: str,
    league: str | None = None,
    season: str | None = None,
    start_time: str | None = None,
    venue: str | None = None,
) -> list[dict[str, Any]]:
    """Native events of one game from one match's StatsBomb events (see the package doc).

    ``home_team`` / ``away_team`` are StatsBomb team names, exactly as in ``team.name``
    (StatsBomb events do not say which side is at home).
    """
    if not isinstance(game_id, str) or not game_id:
        raise ValueError("game_id must be a non-empty string")
    parsed = read_events(events)
    home, away = match_teams(parsed, home_team, away_team)
    return _Builder(game_id, home, away).build(
        parsed, league=league, season=season, start_time=start_time, venue=venue
    )


class _Builder:
    """Converts one match's events, in order, keeping what later events depend on."""

    def __init__(self, game_id: str, home: Team, away: Team) -> None:
        self.home = home
        self.away = away
        self.writer = NativeEventWriter(game_id, home, away)
        self.period_starts: set[int] = set()
        self.period_ends: dict[int, int] = {}  # period -> clock at its end
        self.used_against: set[str] = set()
        self.by_id: dict[str, Event] = {}

    def build(
        self,
        events: list[Event],
        *,
        league: str | None,
        season: str | None,
        start_time: str | None,
        venue: str | None,
    ) -> list[dict[str, Any]]:
        self.writer.schedule(league=league, season=season, start_time=start_time, venue=venue)
        self.by_id = {event.id: event for event in events}
        against = [event for event in events if event.type == "Own Goal Against"]
        for event in events:
            self._convert(event, against)
        last_period = max((event.period for event in events), default=None)
        if self.writer.started and last_period is not None and last_period in self.period_ends:
            self.writer.final(period=last_period, clock=self.period_ends[last_period])
        return self.writer.events()

    def _convert(self, event: Event, against: list[Event]) -> None:
        kind = event.type
        period_name = _SOCCER.period_name(event.period)
        play = self.writer.play
        if kind == "Half Start":
            if event.period not in self.period_starts:
                self.period_starts.add(event.period)
                play(event, EventType.PERIOD_START, None, f"Start of {period_name}", player_id=None)
        elif kind == "Half End":
            if event.period not in self.period_ends:
                self.period_ends[event.period] = event.clock
                play(event, EventType.PERIOD_END, None, f"End of {period_name}", player_id=None)
        elif kind == "Shot":
            self._shot(event)
        elif kind == "Own Goal For":
            self._own_goal(event, against)
        elif kind == "Foul Committed":
            play(
                event,
                EventType.FOUL,
                event.team,
                f"Foul: {event.who()}",
                player_id=event.player_id,
                player_name=event.player_name,
            )
            self._card(event, "foul_committed")
        elif kind == "Bad Behaviour":
            self._card(event, "bad_behaviour")
        elif kind == "Substitution":
            self._substitution(event)

    def _shot(self, event: Event) -> None:
        shot = object_field(event.raw, "shot", event.where)
        if shot is None:
            raise StatsBombFormatError(f"{event.where}: a Shot needs a 'shot' object")
        outcome = name_of(shot, "outcome", f"{event.where} shot")
        if outcome != "Goal":
            return
        if event.period == _SHOOTOUT_PERIOD:
            kind, label = EventType.SHOOTOUT_GOAL, "Shoot-out goal"
        elif name_of(shot, "type", f"{event.where} shot") == "Penalty":
            kind, label = EventType.PENALTY_GOAL, "Penalty goal"
        else:
            kind, label = EventType.GOAL, "Goal"
        self.writer.play(
            event,
            kind,
            event.team,
            f"{label}: {event.who()}",
            player_id=event.player_id,
            player_name=event.player_name,
            assists=self._assists(event, shot) if kind != EventType.SHOOTOUT_GOAL else (),
        )

    def _assists(self, event: Event, shot: Mapping[str, Any]) -> tuple[str, ...]:
        """The goal's assist: the player of the Pass its ``shot.key_pass_id`` names, when
        that pass is a teammate's with ``pass.goal_assist`` true."""
        key_pass = shot.get("key_pass_id")
        found = self.by_id.get(key_pass) if isinstance(key_pass, str) else None
        if found is None or found.type != "Pass" or found.team != event.team:
            return ()
        details = object_field(found.raw, "pass", found.where) or {}
        passer = found.player_id
        if details.get("goal_assist") is not True or passer is None or passer == event.player_id:
            return ()
        return (passer,)

    def _own_goal(self, event: Event, against: list[Event]) -> None:
        conceding = self._other(event.team)
        related = event.raw.get("related_events")
        related_ids = (
            set(related)
            if isinstance(related, list) and all(isinstance(i, str) for i in related)
            else set()
        )
        candidates = [a for a in against if a.id not in self.used_against and a.team == conceding]
        pair = next((a for a in candidates if a.id in related_ids), None) or next(
            (a for a in candidates if (a.period, a.minute) == (event.period, event.minute)),
            None,
        )
        if pair is not None:
            self.used_against.add(pair.id)
        player = pair.player if pair else None
        description = (
            f"Own goal: {player.name} ({conceding.name})"
            if player
            else f"Own goal ({conceding.name})"
        )
        self.writer.play(
            event,
            EventType.OWN_GOAL,
            conceding,
            description,
            player_id=player.id if player else None,
            player_name=player_name(player.name) if player else None,
        )

    def _card(self, event: Event, key: str) -> None:
        details = object_field(event.raw, key, event.where)
        if details is None:
            return
        card = name_of(details, "card", f"{event.where} {key}")
        if card is None:
            return
        if card not in _CARDS:
            known = ", ".join(repr(name) for name in _CARDS)
            raise StatsBombFormatError(
                f"{event.where}: unknown card {show(card)} (StatsBomb cards are {known})"
            )
        kind, label = _CARDS[card]
        self.writer.play(
            event,
            kind,
            event.team,
            f"{label}: {event.who()}",
            player_id=event.player_id,
            player_name=event.player_name,
            suffix=":card",
        )

    def _substitution(self, event: Event) -> None:
        where = f"{event.where} substitution"
        details = object_field(event.raw, "substitution", event.where)
        replacement = id_and_name(details, "replacement", where) if details else None
        if replacement is None:
            raise StatsBombFormatError(
                f"{event.where}: a Substitution needs 'substitution.replacement' (id and name)"
            )
        off = event.player.name if event.player else "a player"
        self.writer.play(
            event,
            EventType.SUBSTITUTION,
            event.team,
            f"{off} replaced by {replacement[1]}",
            player_id=event.player_id,
            player_name=event.player_name,
        )

    def _other(self, team: Team) -> Team:
        return self.away if team == self.home else self.home
