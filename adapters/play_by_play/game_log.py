"""Turning a game's provider rows into its native events (the shape of ``GameEvent.to_dict``).

:func:`build_game_log` writes ``GAME_SCHEDULED`` first, ``GAME_STARTED`` immediately before
the first event of play, then each row's events in row order (followed by the revisions its
running score calls for, see :mod:`~adapters.play_by_play.running_score`), and ``GAME_FINAL``
last, wherever the provider put its game end. A play's assists are written (``"assists"``)
only when it has some, its ``"player_name"`` only when it has one and a player. It
numbers the events 1..N and refuses
(with the adapter's error) a log in which two events would share an ``event_id``.
Nothing here knows a provider.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from adapters.play_by_play.running_score import RunningScore, ScoreRevision
from adapters.play_by_play.source_rows import Play, SourceRow
from domain.events import Schedule
from domain.sports import RULES, EventType, Sport


@dataclass(frozen=True)
class GameHeader:
    """What a game's log says before its rows: who plays, and how its ids start.

    ``id_prefix`` starts the ids of the events no row gives (``"<prefix>:scheduled"``,
    ``"<prefix>:started"``); ``kickoff`` names the start, e.g. ``"Tip-off"``.
    """

    game_id: str
    sport: Sport
    id_prefix: str
    schedule: Schedule
    kickoff: str


def build_game_log(
    header: GameHeader, rows: Iterable[SourceRow], *, error: type[ValueError]
) -> list[dict[str, Any]]:
    """The native events of one game from its rows, in game order (see the module doc)."""
    return _Writer(header, error).write(rows)


def matchup(schedule: Schedule) -> str:
    """``"<away> at <home>"``, by name where there is one."""
    away = schedule.away_team_name or schedule.away_team_id
    home = schedule.home_team_name or schedule.home_team_id
    return f"{away} at {home}"


class _Writer:
    def __init__(self, header: GameHeader, error: type[ValueError]) -> None:
        self.header = header
        self.error = error
        schedule = header.schedule
        if schedule.home_team_id == schedule.away_team_id:
            raise error(f"the home and away teams are both {schedule.home_team_id!r}")
        self.score = RunningScore(header.sport, schedule.home_team_id, schedule.away_team_id, error)
        self.out: list[dict[str, Any]] = []
        self.final: dict[str, Any] | None = None

    def write(self, rows: Iterable[SourceRow]) -> list[dict[str, Any]]:
        header = self.header
        scheduled = self._native(f"{header.id_prefix}:scheduled", EventType.GAME_SCHEDULED)
        scheduled["description"] = matchup(header.schedule)
        scheduled["schedule"] = asdict(header.schedule)
        self.out.append(scheduled)
        for row in rows:
            natives = [n for n in (self._play(row, play) for play in row.plays) if n is not None]
            if natives and len(self.out) == 1:
                self._start(natives[0])
            self.out.extend(natives)
            for revision in self.score.settle(row, natives):
                self.out.append(self._revision(row, revision))
        if self.final is not None:
            if len(self.out) == 1:
                self._start(self.final)
            self.out.append(self.final)
        ids = [native["event_id"] for native in self.out]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise self.error(f"two events would share the id {duplicate!r}")
        for number, native in enumerate(self.out, start=1):
            native["sequence_number"] = number
        return self.out

    def _play(self, row: SourceRow, play: Play) -> dict[str, Any] | None:
        schedule = self.header.schedule
        if play.team_id not in (None, schedule.home_team_id, schedule.away_team_id):
            raise self.error(
                f"{row.where}: team {play.team_id!r} does not play in this game "
                f"({matchup(schedule)})"
            )
        rules = RULES[self.header.sport]
        scoring = rules.is_scoring(play.kind) or play.kind == EventType.SHOOTOUT_GOAL
        if scoring and play.team_id is None:
            raise self.error(f"{row.where}: a {play.kind.value} needs the team that scored")
        if play.kind == EventType.SHOOTOUT_GOAL and (row.period or 0) <= rules.regulation_periods:
            raise self.error(
                f"{row.where}: a shoot-out comes after regulation, not in period {row.period}"
            )
        native = self._native(row.event_id + play.suffix, play.kind, row)
        native.update(team_id=play.team_id, player_id=play.player_id, description=play.description)
        if play.assists:
            native["assists"] = list(play.assists)
        if play.player_name is not None and play.player_id is not None:
            native["player_name"] = play.player_name
        if play.kind != EventType.GAME_FINAL:
            return native
        if self.final is not None:
            raise self.error(f"{row.where}: the game ends twice ({self.final['event_id']})")
        self.final = native
        return None

    def _start(self, first: dict[str, Any]) -> None:
        started = self._native(f"{self.header.id_prefix}:started", EventType.GAME_STARTED)
        started.update(
            period=first["period"],
            clock_seconds=first["clock_seconds"],
            created_at=first["created_at"],
            description=f"{self.header.kickoff}: {matchup(self.header.schedule)}",
        )
        self.out.append(started)

    def _revision(self, row: SourceRow, revision: ScoreRevision) -> dict[str, Any]:
        native = self._native(revision.event_id, revision.kind, row)
        native["description"] = revision.description
        native["references_event_id"] = revision.references_event_id
        if revision.corrected_to is not None:
            native["correction"] = {
                "event_type": revision.corrected_to.value,
                "team_id": None,
                "player_id": None,
                "clock_seconds": None,
                "period": None,
                "description": None,
            }
        return native

    def _native(
        self, event_id: str, kind: EventType, row: SourceRow | None = None
    ) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "game_id": self.header.game_id,
            "sport": self.header.sport.value,
            "sequence_number": 0,
            "event_type": kind.value,
            "team_id": None,
            "player_id": None,
            "clock_seconds": row.clock if row else None,
            "period": row.period if row else None,
            "description": "",
            "created_at": row.created_at if row else None,
            "references_event_id": None,
        }
