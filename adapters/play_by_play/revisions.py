"""Bringing the events already sent for a live game up to date with a new poll: :func:`revise`.

A live feed is polled: each poll is a snapshot of the game so far, and between two polls the
provider may add rows, edit rows (a shot re-scored, an assist added to a description) or
delete them. Converting the new snapshot alone gives every row's event the same id as
before, but a changed row (or a row inserted earlier in the game) would then reach the
Scorekeeper as a conflict, and a deleted row would leave its event standing. So
:func:`revise` keeps ``previous`` (the native events sent so far, revisions included)
exactly as it is and appends, numbered after it, what makes it say what ``fresh`` (the
conversion of the new snapshot) says:

- an event with a new id is appended as it is, and so are the fresh revisions of it;
- an event whose content changed gets an ``EVENT_CORRECTED`` (id ``"<id>:rev<n>"``) with the
  new values of the fields that changed; a field the provider cleared keeps its old value
  (a correction cannot clear one) except ``assists``, which the correction replaces as a
  whole (an assist added or taken away; ``[]`` clears them), and ``player_name``, which a
  new ``player_id`` clears unless the correction gives the new player's (it always does
  when the fresh event names its player), and an event is never re-typed
  to or from a lifecycle type (``GAME_SCHEDULED``, ``GAME_STARTED``, ``GAME_FINAL``, ...);
- an event whose row is gone is retracted (``EVENT_RETRACTED``, ``"<id>:rev<n>"``), except
  ``GAME_SCHEDULED``, ``GAME_STARTED`` and ``GAME_FINAL``, which stand once sent;
- a retracted event whose row comes back is appended again, as ``"<id>#<n>"``;
- a changed schedule (same teams) is sent again as a new ``GAME_SCHEDULED``, ``"<id>#<n>"``;
  different teams are refused: it is another game;
- fresh revisions of events that were sent before (running-score fixes) are not copied:
  their effect is part of what is compared.

Retractions come first, then the rest in fresh order. Limitation: a scoring event the
provider adds after ``previous`` already ended the game is appended after ``GAME_FINAL``,
where the Scorekeeper refuses it. ``previous`` that is not such a log is refused with the
adapter's error (:mod:`adapters.play_by_play.sent_log`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from adapters.play_by_play.sent_log import checked_log
from domain.events import Schedule
from domain.sports import REVISION_TYPES, STATUS_TYPES, EventType

_FIELDS = ("event_type", "team_id", "player_id", "clock_seconds", "period", "description")
# Compared; a correction names each (None: unchanged).
_CONTENT = (*_FIELDS, "assists", "player_name")
_LASTING = frozenset({EventType.GAME_SCHEDULED, EventType.GAME_STARTED, EventType.GAME_FINAL})
_LIFECYCLE = STATUS_TYPES | {EventType.GAME_SCHEDULED}
_SCHEDULE_FIELDS = tuple(f.name for f in fields(Schedule))


@dataclass
class _State:
    """A plain event of a log as its revisions so far leave it."""

    native: Mapping[str, Any]
    content: dict[str, Any]
    retracted: bool = False
    revisions: int = 0

    @property
    def kind(self) -> EventType:
        return EventType(self.content["event_type"])


@dataclass
class _Log:
    """The plain events of a log by id, with its revisions applied in order."""

    states: dict[str, _State] = field(default_factory=dict)

    def add(self, native: Mapping[str, Any]) -> None:
        kind = EventType(native["event_type"])
        if kind not in REVISION_TYPES:
            content = {key: native.get(key) for key in _CONTENT}
            content["description"] = content["description"] or ""
            content["assists"] = list(content["assists"] or [])
            self.states[native["event_id"]] = _State(native, content)
            return
        target = self.states[native["references_event_id"]]
        target.revisions += 1
        if kind == EventType.EVENT_RETRACTED:
            target.retracted = True
            return
        correction = native.get("correction") or {}
        moved = correction.get("player_id") not in (None, target.content["player_id"])
        if moved and correction.get("player_name") is None:
            target.content["player_name"] = None  # (the name went with the player)
        for key, value in correction.items():
            if key in _CONTENT and value is not None:
                target.content[key] = value


def revise(
    fresh: list[dict[str, Any]],
    previous: object,
    *,
    error: type[ValueError],
) -> list[dict[str, Any]]:
    """``previous`` unchanged, then what brings it up to ``fresh`` (see the module doc)."""
    if isinstance(previous, Sequence) and not isinstance(previous, (str, bytes)) and not previous:
        return fresh
    sent = checked_log(previous, fresh[0], error)
    old, new = _Log(), _Log()
    for native in sent:
        old.add(native)
    for native in fresh:
        new.add(native)
    return _Reviser(old, new, sent, error).revise(fresh)


class _Reviser:
    def __init__(
        self, old: _Log, new: _Log, sent: list[Mapping[str, Any]], error: type[ValueError]
    ) -> None:
        self.old, self.new, self.error = old, new, error
        self.sent = sent
        self.latest: dict[str, _State] = {}  # base id -> its latest incarnation
        self.incarnations: dict[str, int] = {}
        for event_id, state in old.states.items():
            base = event_id.split("#", 1)[0]
            self.latest[base] = state
            self.incarnations[base] = self.incarnations.get(base, 0) + 1
        self.kinds = {state.kind for state in old.states.values()}
        self.next_number = max((int(n["sequence_number"]) for n in sent), default=0) + 1
        self.additions: list[dict[str, Any]] = []
        self.copied: set[str] = set()

    def revise(self, fresh: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for base, state in self.latest.items():
            if base not in self.new.states and not state.retracted and state.kind not in _LASTING:
                self._revision(state, EventType.EVENT_RETRACTED, "Removed by the provider")
        for native in fresh:
            self._bring_up(native)
        out = [dict(native) for native in self.sent] + self.additions
        ids = [native["event_id"] for native in out]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise self.error(f"two events would share the id {duplicate!r}")
        return out

    def _bring_up(self, native: dict[str, Any]) -> None:
        event_id = native["event_id"]
        kind = EventType(native["event_type"])
        if kind in REVISION_TYPES:
            if native["references_event_id"] in self.copied:
                self._append(native)
            return
        state, now = self.latest.get(event_id), self.new.states[event_id]
        if state is None:
            if kind not in (EventType.GAME_STARTED, EventType.GAME_FINAL) or kind not in self.kinds:
                self._append(native)
                self.copied.add(event_id)
        elif kind == EventType.GAME_SCHEDULED or state.kind == EventType.GAME_SCHEDULED:
            self._reschedule(state, native)
        elif state.retracted:
            if not now.retracted:
                self._append({**native, **now.content}, self._incarnation(event_id))
        elif now.retracted:
            self._revision(state, EventType.EVENT_RETRACTED, "Taken back by the provider")
        else:
            changes = {
                key: value
                for key, value in now.content.items()
                if value is not None and value != state.content[key]
            }
            if "event_type" in changes and {state.kind, now.kind} & _LIFECYCLE:
                del changes["event_type"]
            if "player_id" in changes and now.content["player_name"] is not None:
                changes["player_name"] = now.content["player_name"]  # (or it is cleared)
            if changes:
                self._revision(
                    state, EventType.EVENT_CORRECTED, "Corrected by the provider", changes
                )

    def _reschedule(self, state: _State, native: dict[str, Any]) -> None:
        before = state.native.get("schedule") or {}
        after = native.get("schedule") or {}
        teams = ("home_team_id", "away_team_id")
        if [before.get(key) for key in teams] != [after.get(key) for key in teams]:
            raise self.error(
                "the events sent before are of another game: its teams were "
                f"{before.get('home_team_id')!r} v {before.get('away_team_id')!r}, these are "
                f"{after.get('home_team_id')!r} v {after.get('away_team_id')!r}"
            )
        if any(before.get(key) != after.get(key) for key in _SCHEDULE_FIELDS):
            self._append(native, self._incarnation(native["event_id"]))

    def _incarnation(self, event_id: str) -> str:
        number = self.incarnations.get(event_id, 0) + 1
        self.incarnations[event_id] = number
        return f"{event_id}#{number}"

    def _revision(
        self,
        state: _State,
        kind: EventType,
        description: str,
        changes: Mapping[str, Any] | None = None,
    ) -> None:
        state.revisions += 1
        target = state.native["event_id"]
        revision: dict[str, Any] = {
            **{key: None for key in _FIELDS},
            "event_id": f"{target}:rev{state.revisions}",
            "game_id": state.native["game_id"],
            "sport": state.native["sport"],
            "event_type": kind.value,
            "description": description,
            "created_at": None,
            "references_event_id": target,
        }
        if changes is not None:
            correction = {key: changes.get(key) for key in _FIELDS}
            for key in ("assists", "player_name"):
                if key in changes:
                    correction[key] = changes[key]
            revision["correction"] = correction
        self._append(revision)

    def _append(self, native: Mapping[str, Any], event_id: str | None = None) -> None:
        added = dict(native)
        if event_id is not None:
            added["event_id"] = event_id
        added["sequence_number"] = self.next_number
        self.next_number += 1
        self.additions.append(added)
