"""NHL statsapi game feed -> Scoreline native events (the JSON shape of ``GameEvent.to_dict``).

:func:`convert` is pure: it takes the parsed JSON of one poll of an NHL statsapi game feed
(``/api/v1/game/<gamePk>/feed/live``) and returns native ice hockey events for one game; it
reads no file and keeps no state (what was sent before is passed in).

What it guarantees for any input that it does not refuse:

- The output is ``GAME_SCHEDULED`` first, then ``GAME_STARTED`` immediately before the first
  event of play, then the plays' events in ``allPlays`` order (the game's order;
  ``eventIdx`` is not always increasing), then ``GAME_FINAL`` last, only when the feed has
  its ``GAME_END`` play.
- ``sequence_number`` runs 1..N; every ``event_id`` is distinct and stable: a play's event is
  ``"<gamePk>:eventidx:<eventIdx>"`` (``"<gamePk>:scheduled"`` / ``":started"`` for the two
  events no play gives). Converting the same input twice gives the same output.
- Schedule from ``gameData``: ``home_team_id`` / ``away_team_id`` ``str`` of the NHL team ids,
  their names, the venue's name, ``start_time`` the scheduled ``datetime.dateTime``, league
  ``"nhl"``, season ``"2015-16"`` (from ``game.season``, else the gamePk).
- Plays by ``result.eventTypeId``: ``PERIOD_START`` / ``PERIOD_END`` as themselves,
  ``GAME_END`` -> ``GAME_FINAL``; ``GOAL`` -> ``GOAL`` (its Scorer; ``assists`` its
  ``players`` of ``playerType`` "Assist", in the feed's order; ``player_name`` the
  player's ``player.fullName`` in ``players``), in a shoot-out period
  (``periodType`` "SHOOTOUT") ``SHOOTOUT_GOAL`` (no assists); ``SHOT`` (on goal) ->
  ``SHOT`` (its Shooter); ``PENALTY`` -> ``PENALTY`` (the player it is on); every other
  play (faceoffs, hits, stoppages, missed and blocked shots, ...) gives no event.
  ``team_id`` is ``str(team.id)``; ``clock_seconds`` is the time left in the period:
  ``periodTimeRemaining`` if the play has it, else the period's length less ``periodTime``
  (20 minutes; 5 for an overtime of a regular season or preseason game; none in a
  shoot-out); ``period`` as given (overtime 4, ...);
  ``description`` the provider's; ``created_at`` ``about.dateTime``.
- Running score: after every play outside a shoot-out, Scoreline's score equals its
  ``about.goals``. Where it moves in a way the plays do not explain (a goal taken back), the
  smallest revision that does is emitted (ids ``"<play id>:fix-home"`` / ``":fix-away"``,
  see :mod:`adapters.play_by_play.running_score`); other gaps are refused. Shoot-out goals are
  tallied apart by Scoreline (``shootout_home`` / ``shootout_away``), so the goal the NHL
  adds to a shoot-out winner's score is not in ``home_score`` / ``away_score``.
- Re-polls: pass ``previous`` (the events sent so far); the output is ``previous`` unchanged
  followed by what brings it up to this poll (see :mod:`adapters.play_by_play.revisions`).

Input that is not shaped like the feed raises :class:`NhlStatsapiFormatError` (a
``ValueError``) and never another exception: no ``gameData`` with ``teams.home`` /
``teams.away`` (integer ``id``s, distinct), no integer ``gamePk``, no ``liveData``; a play that is
not an object or lacks ``about`` (integer ``eventIdx``, distinct, and ``period`` 1..100) or
``result.eventTypeId``; a mistyped ``periodTime`` / ``periodTimeRemaining`` ("mm:ss", within the
period), ``goals``, ``team`` or ``players``; a shoot-out in regulation; a goal without a team,
or a team not in the game; a running score the plays cannot explain; two game ends; a
``previous`` that is not a native log of this game. An empty ``game_id`` is a plain
``ValueError``.
"""

from adapters.nhl_statsapi.conversion import convert
from adapters.nhl_statsapi.format_error import NhlStatsapiFormatError

__all__ = ["NhlStatsapiFormatError", "convert"]
