"""What one row of a provider's play-by-play feed says, in Scoreline's terms.

An adapter reads its provider's rows (an NBA action, a stats.nba.com row, an NHL play) into
:class:`SourceRow` s, in game order; :func:`~adapters.play_by_play.game_log.build_game_log`
turns them into native events. Nothing here knows a provider.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.sports import EventType


@dataclass(frozen=True)
class Play:
    """One native event a row gives (most rows give none or one).

    ``suffix`` tells apart the events of one row: the event id is the row's id plus it.
    ``assists`` are the players the provider credits with assisting a scoring play.
    """

    kind: EventType
    team_id: str | None = None
    player_id: str | None = None
    description: str = ""
    suffix: str = ""
    assists: tuple[str, ...] = ()
    player_name: str | None = None  # the player's name (adapters.provider_format.player_name)


@dataclass(frozen=True)
class SourceRow:
    """One provider row: its stable id, where it is in the game, and what it says.

    ``score`` is the provider's running score after the row, ``(home, away)``, or ``None``
    when the row carries none (or it is not to be checked, as in a shoot-out).
    ``where`` names the row in error messages.
    """

    event_id: str
    where: str
    period: int | None = None
    clock: int | None = None
    created_at: str | None = None
    plays: tuple[Play, ...] = ()
    score: tuple[int, int] | None = None
