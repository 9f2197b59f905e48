"""ESPN NFL scoreboard snapshots -> Scoreline native events (``GameEvent.to_dict`` JSON).

ESPN's scoreboard has no play-by-play: Scoreline polls it and a :class:`ScoreboardDiffer`
turns each snapshot into the native american_football events implied by the change since
the previous one (``diff``); :func:`convert` diffs a whole series with a new differ. The
differ keeps, per game, what it has sent so far; it does no I/O and reads no clock.

What it guarantees, for every snapshot it does not refuse:

- Idempotent: a snapshot that changes nothing (the same one again, say) gives ``[]``.
- Per game: ``game_id`` is ``f"espn-{id}"``; ``sequence_number`` runs 1, 2, 3, ... across
  snapshots and ``event_id`` is ``f"{game_id}:{sequence_number}"`` (stable as long as the
  same differ sees the whole series); the game's events of one snapshot come together.
- The first time a game is seen: ``GAME_SCHEDULED``, its ``schedule`` naming ESPN's team ids
  (strings), ``displayName`` s, venue ``fullName``, ``start_time`` (the event ``date``),
  league ``"nfl"`` and season (``season.year``). Sent again when any of these changes.
- Lifecycle, from what the game has reached to its state now (a game first seen "in" or
  "post" gets all of it): "pre" -> "in" is ``GAME_STARTED`` and ``PERIOD_START`` 1; a
  higher ``status.period`` is ``PERIOD_END`` of the open period and ``PERIOD_START`` of
  each next one; "post" is ``PERIOD_END`` then ``GAME_FINAL``. A state that goes back is
  not followed (Scoreline cannot unstart or unfinish a game), nor anything of a final game
  but its score; a period that goes back starts no period again (the clock shows it).
  ``status.type.name`` ``STATUS_POSTPONED`` / ``STATUS_CANCELED`` is ``GAME_POSTPONED`` /
  ``GAME_CANCELLED`` (once), never a ``GAME_FINAL``.
- ``clock_seconds`` is ``displayClock`` ("12:34" -> 754, time left in the period) and
  ``period`` is ``status.period``, on the events of a snapshot that moves the game on
  (``PERIOD_START`` has no clock, ``PERIOD_END`` has 0); while "in", a ``CLOCK_UPDATE``
  ends the game's events whenever Scoreline's period and clock would differ from ESPN's.
- Scores: every change of a team's total becomes scoring plays, or revisions of the plays
  sent before, stamped with the snapshot's period and clock, so that the Scorekeeper's
  score of a game equals ESPN's after every snapshot. A rise is the cheapest set of scores
  adding up to it, a score costing 1 and a less common kind more: TOUCHDOWN+EXTRA_POINT (7)
  and FIELD_GOAL (3) 1, TOUCHDOWN alone (6) 1.4, TOUCHDOWN+TWO_POINT_CONVERSION (8) 1.6,
  SAFETY (2) 1.8, a lone EXTRA_POINT (1) 4; the try of a touchdown already sent without one
  costs 0 (extra point) or 0.6 (two points). So few scores, 7s and 3s first: +6 is a
  touchdown (sent last: awaiting its try), +1 an extra point, +2 a safety, except that right
  after a touchdown sent without its try +2 is its TWO_POINT_CONVERSION (and +8 its extra
  point and a new 7); +4 is two safeties, +9 6+3, +16 8+8, +17 7+7+3, +24 7+7+7+3.
- A total that goes down (a correction) is ``EVENT_RETRACTED`` of that team's most recent
  plays that add up to the drop; ``EVENT_CORRECTED`` (``event_type``) where re-typing a
  play fits better (a touchdown that was a field goal: -3; a two-point conversion that was
  an extra point: -1); when no set of revisions adds up exactly, the cheapest that takes
  more, then new plays give the rest back. When one team loses exactly what the other
  gains and recent plays of the first add up to it, those plays are ``EVENT_CORRECTED``
  to the other team (points credited to the wrong side).
- What Scoreline cannot record is left out, and the differ goes on from what it did send:
  points while the game is "pre", postponed or cancelled (before it started), a rise after
  ``GAME_FINAL`` (the domain refuses scoring then), and a drop after it that no retraction
  or correction explains exactly. Only these leave Scoreline's score apart from ESPN's.
- ``team_id`` is null or one of the game's two teams; ``player_id`` and ``created_at`` are
  null (the scoreboard names neither).

Input that is not an ESPN NFL scoreboard raises :class:`EspnScoreboardFormatError` (a
``ValueError``), never another exception, and leaves the differ unchanged: not an object
with an ``events`` list; ``leagues[0].slug`` other than "nfl"; an event without a string
``id`` (1..100 characters, no spaces; distinct), ``competitions[0]`` with exactly one
"home" and one "away" competitor (string ``team.id`` s, different), ``status.type.state``
"pre"/"in"/"post", ``status.period`` 0..10 (1..10 when "in" or "post") or ``displayClock``
"M:SS"; a ``score`` that is not a string of digits (or integer) 0..250 (it may be absent
while "pre"); a malformed ``date``, ``season``, ``venue``, ``displayName`` or
``status.type.name`` (text of at most 200 characters); or a known game whose teams changed.
"""

from adapters.espn_scoreboard.differ import ScoreboardDiffer, convert
from adapters.espn_scoreboard.format_error import EspnScoreboardFormatError

__all__ = ["EspnScoreboardFormatError", "ScoreboardDiffer", "convert"]
