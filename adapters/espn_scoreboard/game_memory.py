"""What the differ has sent Scoreline about one game, and the writing of what it sends next.

A :class:`GameMemory` numbers a game's native events 1, 2, 3, ... (``event_id`` is
``f"{game_id}:{sequence_number}"``) and remembers what they add up to on Scoreline's
scoreboard: lifecycle, highest period started, the period and clock shown, and each
team's live scoring plays. Every method appends the events it implies to :attr:`out`.
"""

from __future__ import annotations

from typing import Any

from adapters.espn_scoreboard.reading import GameSnapshot, Phase
from adapters.espn_scoreboard.scoring import TD, LivePlay
from domain.sports import RULES, EventType, Sport

_RULES = RULES[Sport.AMERICAN_FOOTBALL]
_LABELS = {
    EventType.TOUCHDOWN: "Touchdown",
    EventType.FIELD_GOAL: "Field goal",
    EventType.EXTRA_POINT: "Extra point",
    EventType.TWO_POINT_CONVERSION: "Two-point conversion",
    EventType.SAFETY: "Safety",
}


class GameMemory:
    """One game as the differ has told it so far (see the module doc)."""

    def __init__(self, game: GameSnapshot) -> None:
        self.game_id = game.game_id
        self.teams = (game.home.team_id, game.away.team_id)
        self.names = {game.home.team_id: game.home.label, game.away.team_id: game.away.label}
        self.schedule: dict[str, Any] | None = None
        self.started = False
        self.final = False
        self.called_off: Phase | None = None  # "postponed" / "cancelled" once said
        self.period = 0  # the highest period started
        self.period_open = False
        self.position: tuple[int | None, int | None] = (None, None)  # (period, clock) shown
        self.plays: dict[str, list[LivePlay]] = {team: [] for team in self.teams}
        self.next_sequence = 1
        self.out: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ queries
    def total(self, team: str) -> int:
        return sum(play.points for play in self.plays[team])

    def try_pending(self, team: str) -> bool:
        """Whether the team's latest live play is a touchdown with no try after it."""
        plays = self.plays[team]
        return bool(plays) and plays[-1].event_type == TD

    @property
    def matchup(self) -> str:
        home, away = self.teams
        return f"{self.names[away]} at {self.names[home]}"

    # ---------------------------------------------------------------- lifecycle
    def scheduled(self, game: GameSnapshot) -> None:
        """GAME_SCHEDULED with the game's schedule (again whenever it changes)."""
        self.names = {game.home.team_id: game.home.label, game.away.team_id: game.away.label}
        self.schedule = game.schedule()
        verb = "Scheduled" if self.next_sequence == 1 else "Rescheduled"
        self._emit(EventType.GAME_SCHEDULED, f"{verb}: {self.matchup}", schedule=self.schedule)

    def start(self) -> None:
        self.started = True
        self._emit(EventType.GAME_STARTED, f"Kickoff: {self.matchup}", period=1)

    def reach_period(self, period: int) -> None:
        """End the open period and start each one up to ``period``; never go back."""
        while self.period < period:
            if self.period_open:
                self._end_period()
            self.period += 1
            self.period_open = True
            name = _RULES.period_name(self.period)
            self._emit(EventType.PERIOD_START, f"Start of {name}", period=self.period)

    def finish(self, period: int, clock: int) -> None:
        if self.period_open:
            self._end_period()
        self.final = True
        self._emit(EventType.GAME_FINAL, f"Final: {self.matchup}", period=period, clock=clock)

    def call_off(self, phase: Phase) -> None:
        self.called_off = phase
        kind = EventType.GAME_POSTPONED if phase == "postponed" else EventType.GAME_CANCELLED
        self._emit(kind, f"{phase.capitalize()}: {self.matchup}")

    def show_clock(self, period: int, clock: int) -> None:
        minutes, seconds = divmod(clock, 60)
        name = _RULES.period_name(period)
        self._emit(EventType.CLOCK_UPDATE, f"{minutes}:{seconds:02d} {name}", period, clock)

    # ------------------------------------------------------------------ scoring
    def score(self, team: str, kind: EventType, period: int | None, clock: int | None) -> None:
        event_id = self._emit(
            kind, f"{_LABELS[kind]}: {self.names[team]}", period, clock, team_id=team
        )
        self.plays[team].append(LivePlay(event_id, self.next_sequence - 1, kind))

    def retract(self, team: str, play: LivePlay, period: int | None, clock: int | None) -> None:
        self._drop(team, play)
        label = _LABELS[play.event_type].lower()
        self._emit(
            EventType.EVENT_RETRACTED,
            f"Retracted: {label} of {self.names[team]} (ESPN lowered the score)",
            period,
            clock,
            references_event_id=play.event_id,
        )

    def retype(
        self, team: str, play: LivePlay, kind: EventType, period: int | None, clock: int | None
    ) -> None:
        self._drop(team, play)
        self._keep(team, LivePlay(play.event_id, play.sequence_number, kind))
        was, now = _LABELS[play.event_type].lower(), _LABELS[kind].lower()
        self._emit(
            EventType.EVENT_CORRECTED,
            f"Corrected: {self.names[team]}'s {was} was a {now}",
            period,
            clock,
            references_event_id=play.event_id,
            correction={"event_type": kind.value},
        )

    def move(self, team: str, play: LivePlay, period: int | None, clock: int | None) -> None:
        """Credit ``team``'s ``play`` to the other team."""
        other = self.teams[1] if team == self.teams[0] else self.teams[0]
        self._drop(team, play)
        self._keep(other, play)
        label = _LABELS[play.event_type].lower()
        self._emit(
            EventType.EVENT_CORRECTED,
            f"Corrected: the {label} was {self.names[other]}'s, not {self.names[team]}'s",
            period,
            clock,
            references_event_id=play.event_id,
            correction={"team_id": other},
        )

    # ------------------------------------------------------------------ writing
    def drain(self) -> list[dict[str, Any]]:
        out, self.out = self.out, []
        return out

    def _end_period(self) -> None:
        self.period_open = False
        name = _RULES.period_name(self.period)
        self._emit(EventType.PERIOD_END, f"End of {name}", period=self.period, clock=0)

    def _drop(self, team: str, play: LivePlay) -> None:
        self.plays[team] = [p for p in self.plays[team] if p.event_id != play.event_id]

    def _keep(self, team: str, play: LivePlay) -> None:
        self.plays[team] = sorted([*self.plays[team], play], key=lambda p: p.sequence_number)

    def _emit(
        self,
        kind: EventType,
        description: str,
        period: int | None = None,
        clock: int | None = None,
        *,
        team_id: str | None = None,
        references_event_id: str | None = None,
        schedule: dict[str, Any] | None = None,
        correction: dict[str, Any] | None = None,
    ) -> str:
        sequence = self.next_sequence
        self.next_sequence += 1
        event_id = f"{self.game_id}:{sequence}"
        native: dict[str, Any] = {
            "event_id": event_id,
            "game_id": self.game_id,
            "sport": Sport.AMERICAN_FOOTBALL.value,
            "sequence_number": sequence,
            "event_type": kind.value,
            "team_id": team_id,
            "player_id": None,
            "clock_seconds": clock,
            "period": period,
            "description": description,
            "created_at": None,
            "references_event_id": references_event_id,
        }
        if schedule is not None:
            native["schedule"] = dict(schedule)
        if correction is not None:
            native["correction"] = correction
        self.out.append(native)
        if period is not None or clock is not None:  # what the scoreboard's fold shows
            shown_period, shown_clock = self.position
            self.position = (
                period if period is not None else shown_period,
                clock if clock is not None else shown_clock,
            )
        return event_id
