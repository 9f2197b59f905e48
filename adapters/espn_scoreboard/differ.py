"""Successive scoreboard snapshots -> native events: :class:`ScoreboardDiffer`, :func:`convert`.

The differ compares each game of a snapshot with what it has already sent about that
game (its :class:`GameMemory`) and sends what is missing; the package doc lists the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.espn_scoreboard.format_error import EspnScoreboardFormatError, show
from adapters.espn_scoreboard.game_memory import GameMemory
from adapters.espn_scoreboard.reading import GameSnapshot, read_snapshot
from adapters.espn_scoreboard.scoring import added_plays, lowering


class ScoreboardDiffer:
    """Turns a series of scoreboard snapshots into the native events of their games.

    Stateful: it remembers, per game, what it has sent and the next sequence number, so
    one differ must see all the snapshots of a series, in order. It does no I/O.
    """

    def __init__(self) -> None:
        self._games: dict[str, GameMemory] = {}

    def diff(self, snapshot: Any) -> list[dict[str, Any]]:
        """The native events implied by ``snapshot`` (a parsed ESPN scoreboard) since the
        previous one; ``[]`` when nothing changed.

        A snapshot it refuses (:class:`EspnScoreboardFormatError`) leaves the differ as it was.
        """
        games = read_snapshot(snapshot)
        for game in games:
            known = self._games.get(game.game_id)
            now = (game.home.team_id, game.away.team_id)
            if known is not None and known.teams != now:
                raise EspnScoreboardFormatError(
                    f"game {game.espn_id} was {show(known.teams)} (home, away), "
                    f"now {show(now)}: a game keeps its teams"
                )
        out: list[dict[str, Any]] = []
        for game in games:
            memory = self._games.get(game.game_id)
            if memory is None:
                memory = self._games[game.game_id] = GameMemory(game)
            _advance(memory, game)
            out.extend(memory.drain())
        return out

    def game_ids(self) -> list[str]:
        """The native ids of the games seen so far, in the order first seen."""
        return list(self._games)


def convert(snapshots: Sequence[Any]) -> list[dict[str, Any]]:
    """The native events of a series of snapshots, oldest first, diffed by a new differ."""
    differ = ScoreboardDiffer()
    return [event for snapshot in snapshots for event in differ.diff(snapshot)]


def _advance(memory: GameMemory, game: GameSnapshot) -> None:
    """Send what ``game`` (this snapshot of it) adds to what ``memory`` has sent."""
    if memory.schedule != game.schedule():
        memory.scheduled(game)
    follows = game.phase in ("in", "post") and not memory.final
    if follows:
        if not memory.started:
            memory.start()
        memory.reach_period(game.period)
        where: tuple[int | None, int | None] = (game.period, game.clock)
    else:
        where = memory.position  # revisions only: the shown period and clock stay
    _scores(memory, game, where)
    if follows and game.phase == "post":
        memory.finish(game.period, game.clock)
    elif follows and memory.position != (game.period, game.clock):
        memory.show_clock(game.period, game.clock)
    elif game.phase in ("postponed", "cancelled") and _newly_called_off(memory, game):
        memory.call_off(game.phase)


def _newly_called_off(memory: GameMemory, game: GameSnapshot) -> bool:
    """Whether the game is postponed or cancelled and Scoreline has not been told (once)."""
    return not memory.final and memory.called_off != game.phase


def _scores(memory: GameMemory, game: GameSnapshot, where: tuple[int | None, int | None]) -> None:
    """Bring each team's total to the snapshot's, as far as the game's state allows."""
    period, clock = where
    may_add = memory.started and not memory.final
    home, away = memory.teams
    delta = {home: game.home.score - memory.total(home), away: game.away.score - memory.total(away)}
    if delta[home] and delta[home] == -delta[away]:  # points credited to the wrong team?
        loser, gainer = (home, away) if delta[home] < 0 else (away, home)
        moved = lowering(memory.plays[loser], delta[gainer], may_add=False, retype=False)
        if moved is not None:
            for revision in moved.revisions:
                memory.move(loser, revision.play, period, clock)
            delta = {home: 0, away: 0}
    for team in (home, away):
        change = delta[team]
        if change < 0:
            lower = lowering(memory.plays[team], -change, may_add=may_add)
            if lower is None:
                continue  # a final score no revision explains: left as it is
            for revision in lower.revisions:
                if revision.new_type is None:
                    memory.retract(team, revision.play, period, clock)
                else:
                    memory.retype(team, revision.play, revision.new_type, period, clock)
            for kind in lower.added:
                memory.score(team, kind, period, clock)
        elif change > 0 and may_add:
            for kind in added_plays(change, try_pending=memory.try_pending(team)):
                memory.score(team, kind, period, clock)
