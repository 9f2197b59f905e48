"""Builders of GameEvents for tests: a tiny fixture language, not a fake."""

from __future__ import annotations

from typing import Any

from domain.events import Correction, GameEvent, Schedule
from domain.sports import EventType, Sport

HOME, AWAY = "home", "away"


class GameScript:
    """Appends events with consecutive sequence numbers to one game."""

    def __init__(self, game_id: str = "g1", sport: Sport = Sport.SOCCER) -> None:
        self.game_id = game_id
        self.sport = sport
        self.events: list[GameEvent] = []

    def add(self, event_type: EventType, **fields: Any) -> GameEvent:
        seq = len(self.events) + 1
        fields.setdefault("event_id", f"{self.game_id}-e{seq}")
        event = GameEvent(
            game_id=self.game_id,
            sport=self.sport,
            sequence_number=fields.pop("sequence_number", seq),
            event_type=event_type,
            **fields,
        )
        self.events.append(event)
        return event

    def schedule(self) -> GameEvent:
        return self.add(EventType.GAME_SCHEDULED, schedule=Schedule(HOME, AWAY, "Home", "Away"))

    def start(self) -> GameEvent:
        return self.add(EventType.GAME_STARTED)

    def score(self, event_type: EventType, team: str = HOME, **fields: Any) -> GameEvent:
        return self.add(event_type, team_id=team, **fields)

    def retract(self, target: GameEvent) -> GameEvent:
        return self.add(EventType.EVENT_RETRACTED, references_event_id=target.event_id)

    def correct(self, target: GameEvent, **changes: Any) -> GameEvent:
        return self.add(
            EventType.EVENT_CORRECTED,
            references_event_id=target.event_id,
            correction=Correction(**changes),
        )

    def final(self) -> GameEvent:
        return self.add(EventType.GAME_FINAL)


def finished_soccer_game(game_id: str = "g1") -> GameScript:
    """Scheduled, started, 2-1 to the home side (goals home, away, home), final."""
    game = GameScript(game_id)
    game.schedule()
    game.start()
    game.score(EventType.GOAL, HOME)
    game.score(EventType.GOAL, AWAY)
    game.score(EventType.GOAL, HOME)
    game.final()
    return game
