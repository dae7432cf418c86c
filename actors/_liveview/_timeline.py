"""The live view's timeline: recent failures, dead letters, restarts and escalations.

Bounded in memory. Dead letters (failures are dead letters with the reason ``failed``) are
recorded as they happen, through a dead-letter listener; restarts, escalations and give-ups
are read from the supervisors' decision history (``Supervisor.introspect()``) each time a
snapshot is observed, and, for parents that keep no history (pools, plain actors), from the
change of each child's restart counter.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from actors._core._messages import DeadLetter

if TYPE_CHECKING:
    from actors._system._snapshot import ActorSnapshot, SystemSnapshot
    from actors._system._system import ActorSystem

__all__ = ["Timeline"]

_ERROR_TEXT = 300  # characters of an error message kept in an event


def error_summary(error: BaseException | None) -> str | None:
    """``"Type: message"``, the message cut to a few hundred characters."""
    if error is None:
        return None
    text = str(error)
    if len(text) > _ERROR_TEXT:
        text = text[: _ERROR_TEXT - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Timeline:
    """The most recent ``capacity`` events of one system, oldest first.

    Each event is a JSON-ready dict with ``seq`` (increasing), ``at`` (``time.time()``),
    ``kind`` (``failure``, ``dead_letter``, ``restart``, ``escalation``, ``gave_up``),
    ``actor`` (the path concerned) and, by kind, ``reason``, ``message_type``, ``error``,
    ``supervisor``, ``count``. ``counts`` counts every event ever recorded, by kind.
    """

    def __init__(self, system: ActorSystem, capacity: int = 500) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"the timeline capacity must be an int >= 1, got {capacity!r}")
        self._system = system
        self._events: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._seq = itertools.count(1)
        self.counts: Counter[str] = Counter()
        # Per supervisor path: the last decision seen. Per actor path: its restart counter
        # at the last observation (for parents without a history). Both pruned to live paths.
        self._decisions: dict[str, int] = {}
        self._restarts: dict[str, int] = {}
        self._observed = False
        self._closed = False
        system.dead_letters.add_listener(self._on_dead_letter)

    def close(self) -> None:
        """Stop listening to the system's dead letters (idempotent)."""
        if not self._closed:
            self._closed = True
            self._system.dead_letters.remove_listener(self._on_dead_letter)

    def _add(self, event: dict[str, Any]) -> None:
        event["seq"] = next(self._seq)
        self.counts[event["kind"]] += 1
        self._events.append(event)

    def _on_dead_letter(self, letter: DeadLetter) -> None:
        recipient = letter.recipient
        self._add(
            {
                "at": time.time(),
                "kind": "failure" if letter.reason == "failed" else "dead_letter",
                "actor": None if recipient is None else recipient.path,
                "reason": letter.reason,
                "message_type": type(letter.message).__name__,
                "error": error_summary(letter.error),
            }
        )

    def observe(self, snapshot: SystemSnapshot) -> None:
        """Record the restarts, escalations and give-ups that happened since the last
        snapshot observed."""
        decisions: dict[str, int] = {}
        restarts: dict[str, int] = {}
        found: list[dict[str, Any]] = []
        for root in (*snapshot.actors, *snapshot.runtime):
            self._visit(root, None, decisions, restarts, found)
        found.sort(key=lambda event: event["at"])
        for event in found:
            self._add(event)
        self._decisions = decisions
        self._restarts = restarts
        self._observed = True

    def _visit(
        self,
        actor: ActorSnapshot,
        parent: ActorSnapshot | None,
        decisions: dict[str, int],
        restarts: dict[str, int],
        found: list[dict[str, Any]],
    ) -> None:
        history = actor.details.get("history")
        if isinstance(history, list):
            last = self._decisions.get(actor.path, 0)
            newest = last
            for entry in history:
                if isinstance(entry, Mapping) and isinstance(entry.get("seq"), int):
                    if entry["seq"] > last:
                        found.append(_decision(entry, actor.path))
                    newest = max(newest, entry["seq"])
            decisions[actor.path] = newest
        restarts[actor.path] = actor.restarts
        keeps_history = parent is not None and isinstance(parent.details.get("history"), list)
        before = self._restarts.get(actor.path)
        if self._observed and not keeps_history and before is not None and actor.restarts > before:
            found.append(
                {
                    "at": time.time(),
                    "kind": "restart",
                    "actor": actor.path,
                    "supervisor": None if parent is None else parent.path,
                    "count": actor.restarts - before,
                    "error": self._last_error(actor.path),
                }
            )
        for child in actor.children:
            self._visit(child, actor, decisions, restarts, found)

    def _last_error(self, path: str) -> str | None:
        for event in reversed(self._events):
            if event["kind"] == "failure" and event["actor"] == path:
                error = event["error"]
                return error if isinstance(error, str) else None
        return None

    def recent(self, limit: int | None = None, actor: str | None = None) -> list[dict[str, Any]]:
        """The latest events (at most ``limit``), oldest first; only those concerning
        ``actor`` (as the actor, or as the child a decision was about) when given."""
        events: list[dict[str, Any]] = list(self._events)
        if actor is not None:
            events = [event for event in events if event["actor"] == actor]
        if limit is not None:
            events = events[-limit:] if limit > 0 else []
        return [dict(event) for event in events]


def _decision(entry: Mapping[str, Any], supervisor: str) -> dict[str, Any]:
    at = entry.get("at")
    return {
        "at": at if isinstance(at, int | float) else time.time(),
        "kind": str(entry.get("kind", "restart")),
        "actor": entry.get("child"),
        "supervisor": supervisor,
        "count": 1,
        "error": entry.get("error"),
    }
