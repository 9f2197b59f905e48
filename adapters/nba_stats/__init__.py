"""stats.nba.com play-by-play -> Scoreline native events (the JSON shape of ``GameEvent.to_dict``).

:func:`convert` is pure: it takes the parsed JSON of one ``playbyplayv2`` answer (and,
optionally, the game's ``boxscoresummaryv2`` answer) and returns native basketball events for
one game; it reads no file and keeps no state (what was sent before is passed in).

What it guarantees for any input that it does not refuse:

- The output is ``GAME_SCHEDULED`` first, then ``GAME_STARTED`` immediately before the first
  event of play, then the rows' events in row order (the game's order; ``EVENTNUM`` is not
  always increasing), then ``GAME_FINAL`` last, only when the game is over: the last row
  ends period 4 or later (``EVENTMSGTYPE`` 13) and the running score is not tied.
- ``sequence_number`` runs 1..N; every ``event_id`` is distinct and stable: a row's event is
  ``"<GAME_ID>:eventnum:<EVENTNUM>"`` (``GAME_FINAL`` that of the last row plus ``":final"``;
  ``"<GAME_ID>:scheduled"`` / ``":started"`` for the two events no row gives). Converting
  the same input twice gives the same output.
- Schedule: ``home_team_id`` / ``away_team_id`` are ``str`` of the NBA team ids: the home team
  is the one of the rows whose ``PERSON1TYPE`` is 2 or 4 (home team, home player), the away
  team 3 or 5; names ``"<city> <nickname>"``; league ``"nba"``; season from the summary's
  ``SEASON``, else from the game id (``0021600270`` -> ``"2016-17"``); no ``start_time`` (the
  answer has only wall-clock times without a date). A summary must agree on the teams, and
  on the final score when the game is over.
- Rows by ``EVENTMSGTYPE``: 12 / 13 -> ``PERIOD_START`` / ``PERIOD_END``; 1 (made field goal)
  -> ``THREE_POINTER`` if its description says "3PT", else ``TWO_POINTER``; 3 (free throw)
  -> ``FREE_THROW``, or ``SHOT`` when its description says "MISS"; 2 (missed field goal) ->
  ``SHOT``; 6 -> ``FOUL``, 8 -> ``SUBSTITUTION`` (the player going off), 9 -> ``TIMEOUT`` (no
  team for an official one); every other row (rebounds, turnovers, violations, jump balls,
  replays, ...) gives no event. ``team_id`` is ``PLAYER1_TEAM_ID`` (``PLAYER1_ID`` on a team's
  own row), ``player_id`` ``PLAYER1_ID`` when it is a player (``player_name`` its
  ``PLAYER1_NAME``), a made field goal's
  ``assists`` ``[PLAYER2_ID]`` when that is a player of the same side; ``clock_seconds`` is
  ``PCTIMESTRING`` in seconds (time left), ``period`` as given (overtimes 5, 6, ...),
  ``description`` the acting side's, ``created_at`` none.
- Running score: after every row with a ``SCORE`` ("away - home"), Scoreline's score equals
  it. Where it moves in a way the rows do not explain (a made shot's "3PT" missing, a basket
  taken back), the smallest revision that does is emitted (ids ``"<row id>:fix-home"`` /
  ``":fix-away"``, see :mod:`adapters.play_by_play.running_score`); other gaps are refused.
- Re-polls: pass ``previous`` (the events sent so far); the output is ``previous`` unchanged
  followed by what brings it up to this answer (see :mod:`adapters.play_by_play.revisions`).

Input that is not shaped like the answers raises :class:`NbaStatsFormatError` (a
``ValueError``) and never another exception: no ``resultSets`` list or ``PlayByPlay`` set;
headers that are not strings, a row that is not a list as long as the headers; a row
without integer ``EVENTNUM`` (distinct), ``EVENTMSGTYPE`` or ``PERIOD`` 1..100, a
``PCTIMESTRING`` like ``11:39``; a mistyped ``SCORE``, id, type or description; rows of more
than one game, or naming more than one team per side; teams not known; a running score the
rows cannot explain; a summary that is malformed or disagrees; a ``previous`` that is not a
native log of this game. An empty ``game_id`` is a plain ``ValueError``.
"""

from adapters.nba_stats.conversion import convert
from adapters.nba_stats.format_error import NbaStatsFormatError

__all__ = ["NbaStatsFormatError", "convert"]
