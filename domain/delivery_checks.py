"""The order-independent checks ingestion makes of a delivery before accepting it.

Duplicates and conflicts with what is already recorded, and events that cannot
belong to their game (wrong sport, team not in the game, no such period), are
answered at once, from the recorded games alone; order-dependent rules (scoring
before the start, say) are judged when the events are recorded. Nothing is changed:
the games handed in are only read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.errors import EventConflictError, GameRuleError
from domain.events import GameEvent, Verdict
from domain.game import Game
from domain.provider_aliases import ProviderAliases
from domain.scoreboard import Scoreboard
from domain.sports import EventType

FindGame = Callable[[str], Game | None]  # a recorded game, only to be read (None: unknown)
FindAliases = Callable[[str], ProviderAliases | None]  # a game's aliases (None: it has none)


def classify(
    batch: Sequence[GameEvent], find_game: FindGame, find_aliases: FindAliases
) -> list[Verdict]:
    """One verdict per event, in order: ``duplicate``, ``conflict``, ``rejected`` (with
    the offending ``field`` in ``extra``) or ``accepted``. Each game is looked up once."""
    schedules = _first_schedules(batch)
    found: dict[str, Game | None] = {}
    verdicts: list[Verdict] = []
    for event in batch:
        if event.game_id not in found:
            found[event.game_id] = find_game(event.game_id)
        game = found[event.game_id]
        try:
            verdicts.append(_judge(event, game, schedules, find_aliases))
        except EventConflictError as error:
            verdicts.append(Verdict(event.event_id, event.game_id, "conflict", str(error)))
        except GameRuleError as error:
            extra = {"field": error.field}
            verdicts.append(
                Verdict(event.event_id, event.game_id, "rejected", str(error), extra=extra)
            )
    return verdicts


def _first_schedules(batch: Sequence[GameEvent]) -> dict[str, GameEvent]:
    """Per game, the schedule in the batch that creates it (the lowest sequence)."""
    schedules: dict[str, GameEvent] = {}
    for e in batch:
        if e.event_type == EventType.GAME_SCHEDULED and e.schedule:
            first = schedules.get(e.game_id)
            if first is None or e.sequence_number < first.sequence_number:
                schedules[e.game_id] = e
    return schedules


def _judge(
    event: GameEvent,
    game: Game | None,
    schedules: dict[str, GameEvent],
    find_aliases: FindAliases,
) -> Verdict:
    """The verdict on one event; raises what the game's checks raise."""
    if game is not None and game.may_have_aliases(event):
        aliases = find_aliases(event.game_id)
        if aliases is not None and aliases.is_known(event):
            return Verdict(event.event_id, event.game_id, "duplicate")
    if game is not None:
        if game.is_duplicate(event):
            return Verdict(event.event_id, event.game_id, "duplicate")
        board: Scoreboard | None = game.board
    elif event.game_id in schedules:
        board = Scoreboard.scheduled(schedules[event.game_id])
    else:
        board = None
    if board is not None:
        board.check_belongs(event)
    return Verdict(event.event_id, event.game_id, "accepted")
