"""A built-in provider simulator: scripts of realistic games for ``scoreline demo``.

:func:`simulate_game` plays one whole game of a sport, compressed into ``duration``
seconds of demo time, and returns it as a script: native event JSON (the shape of
:meth:`domain.events.GameEvent.to_dict`, without ``provider``), each with the demo
second ``at`` it is due. :func:`demo_slate` gives one such game per sport. A driver
sends each event through the webhook when its ``at`` comes round.

Pure and deterministic: the same arguments give the same script (``random.Random``
seeded with ``seed``); no I/O, no clock.

How a game is made. The whole real game is laid out on a *timeline* of game seconds
(playing time, plus shortened breaks between periods), then scaled so that
GAME_SCHEDULED is at 0 and GAME_FINAL at exactly ``duration``:

- lifecycle: GAME_SCHEDULED, GAME_STARTED, PERIOD_START/PERIOD_END for every period,
  GAME_FINAL; CLOCK_UPDATE about every 2 demo seconds (every game minute in soccer at
  the default duration) so the clock visibly moves.
- scoring at real-world rates (Poisson processes; alternating possessions in basketball;
  scoring drives with a dead time between them in football): soccer about 2.7 goals a game
  (some PENALTY_GOALs after a foul, the odd OWN_GOAL); basketball about 110 points a
  team from FREE_THROW/TWO_POINTER/THREE_POINTER, free throws coming in trips after a
  shooting FOUL; American football about 21 points a team from TOUCHDOWNs (each
  followed by an EXTRA_POINT, sometimes a TWO_POINT_CONVERSION), FIELD_GOALs and the
  rare SAFETY; ice hockey about 3 goals a team.
- incidents: soccer FOUL, YELLOW_CARD and SUBSTITUTION (players who come off take no
  further part); basketball FOUL and TIMEOUT; football PENALTY (flags) and TIMEOUT;
  hockey SHOT, PENALTY and the odd TIMEOUT.
- overtime: a basketball, football or hockey game tied after regulation goes on:
  5-minute basketball overtimes until one side leads; sudden-death football (10-minute
  periods) and hockey (20-minute periods, playoff style) overtime, where the first
  score wins (a walk-off touchdown has no conversion try). Soccer is a league game: a
  draw stays a draw.
- review: in some soccer games (about a third) one goal is ruled out on VAR review: an
  EVENT_RETRACTED referencing it follows a minute or two of game time later (a few
  demo seconds at the default duration).

Known simplifications: failed conversion tries and missed kicks are not events (every
touchdown but a walk-off one is followed by a successful try); football overtime is
pure sudden death; there are no red cards, shootouts or corrections.
"""

from adapters.simulator.script import ScriptedEvent
from adapters.simulator.simulation import DEMO_LEAGUE, DEMO_SEASON, demo_slate, simulate_game

__all__ = ["DEMO_LEAGUE", "DEMO_SEASON", "ScriptedEvent", "demo_slate", "simulate_game"]
