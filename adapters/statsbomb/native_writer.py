"""Writing one game's native soccer events (the JSON shape of ``GameEvent.to_dict``).

A :class:`NativeEventWriter` appends events in output order: it numbers them 1..N, puts
GAME_STARTED before the first in-play event, and refuses a list in which two events
share an ``event_id``.
"""

from __future__ import annotations

from typing import Any

from adapters.statsbomb.format_error import StatsBombFormatError, show
from adapters.statsbomb.reading import Event, Team
from domain.sports import EventType, Sport


class NativeEventWriter:
    """The native events of one game between ``home`` and ``away``, in output order."""

    def __init__(self, game_id: str, home: Team, away: Team) -> None:
        self.game_id = game_id
        self.home = home
        self.away = away
        self.out: list[dict[str, Any]] = []
        self.started = False

    def schedule(
        self,
        *,
        league: str | None,
        season: str | None,
        start_time: str | None,
        venue: str | None,
    ) -> None:
        """Emit GAME_SCHEDULED (to be the first event) with the game's schedule."""
        scheduled = self._native(
            f"{self.game_id}:scheduled",
            EventType.GAME_SCHEDULED,
            description=f"{self.home.name} v {self.away.name}",
        )
        scheduled["schedule"] = {
            "home_team_id": self.home.id,
            "away_team_id": self.away.id,
            "home_team_name": self.home.name,
            "away_team_name": self.away.name,
            "venue": venue,
            "start_time": start_time,
            "league": league,
            "season": season,
        }
        self.out.append(scheduled)

    def play(
        self,
        event: Event,
        kind: EventType,
        team: Team | None,
        description: str,
        *,
        player_id: str | None,
        suffix: str = "",
        assists: tuple[str, ...] = (),
        player_name: str | None = None,
    ) -> None:
        """Emit an in-play event built from ``event`` (GAME_STARTED first if not yet);
        ``assists`` are written only when there are some, ``player_name`` only when
        given with a ``player_id``."""
        if not self.started:
            self.started = True
            self._emit(
                f"{self.game_id}:started",
                EventType.GAME_STARTED,
                period=event.period,
                clock=event.clock,
                description=f"Kick-off: {self.home.name} v {self.away.name}",
            )
        self._emit(
            event.id + suffix,
            kind,
            team=team,
            player_id=player_id,
            period=event.period,
            clock=event.clock,
            description=description,
        )
        if assists:
            self.out[-1]["assists"] = list(assists)
        if player_name is not None and player_id is not None:
            self.out[-1]["player_name"] = player_name

    def final(self, *, period: int, clock: int) -> None:
        """Emit GAME_FINAL (to be the last event) at the end of ``period``."""
        self._emit(
            f"{self.game_id}:final",
            EventType.GAME_FINAL,
            period=period,
            clock=clock,
            description=f"Full time: {self.home.name} v {self.away.name}",
        )

    def events(self) -> list[dict[str, Any]]:
        """The events written, in order; refused if two would share an ``event_id``."""
        ids = [native["event_id"] for native in self.out]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise StatsBombFormatError(f"two converted events would share the id {show(duplicate)}")
        return self.out

    def _emit(
        self,
        event_id: str,
        kind: EventType,
        *,
        team: Team | None = None,
        player_id: str | None = None,
        period: int | None = None,
        clock: int | None = None,
        description: str = "",
    ) -> None:
        native = self._native(event_id, kind, description=description)
        native.update(
            team_id=team.id if team else None,
            player_id=player_id,
            clock_seconds=clock,
            period=period,
        )
        self.out.append(native)

    def _native(self, event_id: str, kind: EventType, *, description: str) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "game_id": self.game_id,
            "sport": Sport.SOCCER.value,
            "sequence_number": len(self.out) + 1,
            "event_type": kind.value,
            "team_id": None,
            "player_id": None,
            "clock_seconds": None,
            "period": None,
            "description": description,
            "created_at": None,
            "references_event_id": None,
        }
