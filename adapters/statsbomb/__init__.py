"""StatsBomb events file -> Scoreline native events (the JSON shape of ``GameEvent.to_dict``).

:func:`convert` is pure: it takes the parsed JSON list of one match's StatsBomb events and
returns native soccer events for one game; it reads no file and keeps no state.

What it guarantees for any input that it does not refuse:

- The output is ``GAME_SCHEDULED`` first, then (when the feed has any play) ``GAME_STARTED``
  immediately before the first in-play event (the first period's start), then the match
  events in StatsBomb ``index`` order (file order if an event has no ``index``), then
  ``GAME_FINAL`` last, only when the feed's last period has a "Half End" (a feed that stops
  mid-period is a game still LIVE).
- ``sequence_number`` runs 1..N in output order; every ``event_id`` is distinct.
- Every ``team_id`` is null or one of the two scheduled teams (``str`` of the StatsBomb team
  id); after GAME_SCHEDULED, ``period`` is 1..5 (5: penalty shoot-out) and ``clock_seconds``
  is ``minute * 60 + second``, the elapsed match time (so it steps back at a period start
  after stoppage time: the 2nd half starts at 45:00).
- One ``PERIOD_START`` / ``PERIOD_END`` per period, however many teams report it.
- Goals: a "Shot" whose outcome is "Goal" is ``GOAL`` (``PENALTY_GOAL`` for a penalty,
  ``SHOOTOUT_GOAL`` in period 5). A goal's ``assists`` (outside a shoot-out) is the player
  of the "Pass" its ``shot.key_pass_id`` names, when that pass has ``pass.goal_assist``
  true and is a teammate's. An own goal is counted from "Own Goal For" only, as
  ``OWN_GOAL`` whose ``team_id`` is the conceding team (the domain scores it for the
  other side); its player comes from the paired "Own Goal Against" when there is one.
- Fouls, cards (from "Foul Committed" and "Bad Behaviour") and substitutions become
  ``FOUL``, ``YELLOW_CARD`` / ``RED_CARD`` (``f"{id}:card"``) and ``SUBSTITUTION``;
  every other StatsBomb event type is left out.
- Every event with a ``player_id`` carries its ``player_name``: StatsBomb's
  ``player.name`` (the paired "Own Goal Against"'s for an own goal), trimmed to at most
  200 characters (``adapters.provider_format.player_name``; none when blank).
- ``created_at`` is ``None``: StatsBomb gives times within a period, not wall-clock times.

Input that is not StatsBomb-shaped raises :class:`StatsBombFormatError` (a ``ValueError``)
and never another exception: not a list of objects; an event without a string ``id``
(ids must be distinct), ``type.name`` or ``team`` (integer ``id``, string ``name``); an
integer ``period`` 1..5, ``minute`` >= 0 or ``second`` 0..59 missing; a malformed ``index`` or
``player``; a converted event missing what it needs (``shot.outcome`` on a Shot,
``substitution.replacement`` on a Substitution, a known card name); other than two teams;
or a ``home_team`` / ``away_team`` that is not exactly one of the events' ``team.name`` s (the
message lists the names there are). An empty ``game_id`` or ``home_team == away_team`` is
a plain ``ValueError``.
"""

from adapters.statsbomb.conversion import convert
from adapters.statsbomb.format_error import StatsBombFormatError

__all__ = ["StatsBombFormatError", "convert"]
