"""NBA live play-by-play feed -> Scoreline native events (the JSON shape of ``GameEvent.to_dict``).

:func:`convert` is pure: it takes the parsed JSON of one poll of the NBA live play-by-play
(``{"game": {"gameId", "actions": [...]}}``) and returns native basketball events for one
game; it reads no file and keeps no state (what was sent before is passed in).

What it guarantees for any input that it does not refuse:

- The output is ``GAME_SCHEDULED`` first, then ``GAME_STARTED`` immediately before the first
  event of play, then the actions' events in ``orderNumber`` order (file order if an action
  has none), then ``GAME_FINAL`` last, only when the feed has its "game end" action.
- ``sequence_number`` runs 1..N; every ``event_id`` is distinct and stable: an action's event
  is ``"<gameId>:action:<actionNumber>"`` in every poll (``"<gameId>:scheduled"`` and
  ``"<gameId>:started"`` for the two events no action gives). Converting the same input
  twice gives the same output.
- Schedule: ``home_team_id`` / ``away_team_id`` are ``str`` of the NBA team ids, named by
  tricode (the feed has no other names); league ``"nba"``, season from the game id
  (``0022000001`` -> ``"2020-21"``), ``start_time`` the ``timeActual`` of the first period's
  start. The feed does not say who is at home: the team of the first basket that moves the
  ``scoreHome`` side of the running score is. Until a basket has, pass ``home_team_id`` and
  ``away_team_id`` (or ``previous``); given teams that contradict the score are refused.
- Actions: period start / end -> ``PERIOD_START`` / ``PERIOD_END``; game end ->
  ``GAME_FINAL``; a made ``2pt`` / ``3pt`` / ``freethrow`` -> ``TWO_POINTER`` /
  ``THREE_POINTER`` / ``FREE_THROW``, a missed one ``SHOT``; ``foul`` -> ``FOUL``, ``timeout``
  -> ``TIMEOUT``, ``substitution`` (its "out" and its "in" action each) -> ``SUBSTITUTION``;
  every other action (rebounds, turnovers, jump balls, stoppages, ...) gives no event.
  ``team_id`` is ``str(teamId)``, ``player_id`` ``str(personId)`` (none for 0), a made
  field goal's ``assists`` ``[str(assistPersonId)]`` when it has one (not 0, not the
  shooter), ``player_name`` the player's ``playerNameI`` ("S. Curry"; else
  ``playerName``), ``clock_seconds`` the seconds left in the period (fractions dropped),
  ``period`` as given (overtimes 5, 6, ...), ``description`` the provider's,
  ``created_at`` its ``timeActual``.
- Running score: after every action, Scoreline's score (home, away) equals the action's
  ``scoreHome`` / ``scoreAway``. Where the running score moves in a way the actions do not
  explain, the smallest revision that does is emitted, with id ``"<action id>:fix-home"`` /
  ``":fix-away"`` (see :mod:`adapters.play_by_play.running_score`); a gap no re-typing or
  retraction explains is refused.
- Re-polls: pass ``previous`` (the events sent so far for this game). The output is then
  ``previous`` unchanged followed by what brings it up to this poll: new actions' events,
  ``EVENT_CORRECTED`` for edited ones, ``EVENT_RETRACTED`` for deleted ones (see
  :mod:`adapters.play_by_play.revisions`). Send ``output[len(previous):]``.

Input that is not shaped like the feed raises :class:`NbaLiveFormatError` (a ``ValueError``)
and never another exception: no ``game`` object, a ``gameId`` that is not an id string, no
``actions`` list; an action that is not an object or lacks an integer ``actionNumber``
(distinct), an integer ``period`` 1..100, a ``clock`` like ``PT11M58.00S``, a string
``actionType``; a mistyped optional field (``teamId``, ``personId``, ``assistPersonId``,
``orderNumber`` integers; ``playerName``, ``playerNameI`` strings; ``scoreHome`` /
``scoreAway`` point strings, both or neither); a
shot without ``shotResult`` Made / Missed, a made shot without ``teamId``; more than two
teams; no way to tell the home team; a running score the actions cannot explain; two game
ends; a ``previous`` that is not a native log of this game. A bad argument (empty
``game_id``, one team id without the other) is a plain ``ValueError``.
"""

from adapters.nba_live.conversion import convert
from adapters.nba_live.format_error import NbaLiveFormatError

__all__ = ["NbaLiveFormatError", "convert"]
