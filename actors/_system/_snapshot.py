"""A point-in-time view of a system's actor tree, read from the counters the runtime keeps.

Nothing here runs per message: a snapshot reads each actor's plain counters when it is
taken, so watching a system (the live view, a script polling ``snapshot_tree``) costs the
runtime nothing between two snapshots.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from actors._core._log import error_fields, log_limited
from actors._core._state import HALTED, State
from actors._observability._accounting import SystemStatistics

if TYPE_CHECKING:
    from actors._core._cell import ActorCell
    from actors._system._system import ActorSystem

__all__ = ["ActorSnapshot", "SystemSnapshot", "snapshot_tree"]

_STATE_NAMES: dict[State, str] = {
    State.STARTING: "starting",
    State.RUNNING: "running",
    State.SUSPENDED: "suspended",
    State.HALTED: "restarting",
    State.STOPPING: "stopping",
    State.STOPPED: "stopped",
}


@attrs.frozen
class ActorSnapshot:
    """One actor as it was when the snapshot was taken.

    Attributes:
        path: the actor's path (``/shop/payments/ledger``).
        name: the last segment of the path.
        actor_class: the class of its current instance (the factory's name before one
            exists).
        state: ``starting``, ``running``, ``suspended`` (failed, waiting for its parent's
            decision), ``restarting`` (between two incarnations), ``backoff`` (between two
            incarnations, waiting for its supervisor's backoff delay), ``stopping`` or
            ``stopped``.
        incarnation: how many instances the factory has made for this slot (1 before any
            restart).
        depth: user messages queued now.
        capacity: the mailbox bound.
        high_water_mark: the largest ``depth`` seen.
        blocked_senders: senders waiting for room in the mailbox.
        processed: messages handled without raising, since spawn (all incarnations).
        failed: messages whose handler raised.
        dead_lettered: accepted messages that became dead letters.
        restarts: how many times this slot was restarted.
        subscriptions: the system bus patterns this actor is subscribed to.
        details: what the actor's ``Actor.introspect()`` added (a supervisor's strategy and
            restart budget, a pool's routing, ...); JSON-ready.
        children: the children, in start order.
    """

    path: str
    name: str
    actor_class: str
    state: str
    incarnation: int
    depth: int
    capacity: int
    high_water_mark: int
    blocked_senders: int
    processed: int
    failed: int
    dead_lettered: int
    restarts: int
    subscriptions: tuple[str, ...]
    details: Mapping[str, Any]
    children: tuple[ActorSnapshot, ...]

    def find(self, path: str) -> ActorSnapshot | None:
        """This actor or the descendant at ``path``, or None."""
        if path == self.path:
            return self
        if not path.startswith(self.path + "/"):
            return None
        for child in self.children:
            found = child.find(path)
            if found is not None:
                return found
        return None

    def walk(self) -> list[ActorSnapshot]:
        """This actor and its descendants, depth first, in start order."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found

    def to_dict(self, *, depth: int | None = None) -> dict[str, Any]:
        """A JSON-ready dict; ``depth`` limits how many levels of children are included
        (``0``: none, only their count)."""
        data = attrs.asdict(self, recurse=False)
        data["subscriptions"] = list(self.subscriptions)
        data["details"] = dict(self.details)
        if depth is not None and depth <= 0:
            data["children"] = [child.path for child in self.children]
        else:
            below = None if depth is None else depth - 1
            data["children"] = [child.to_dict(depth=below) for child in self.children]
        return data


@attrs.frozen
class SystemSnapshot:
    """A system's whole tree at one moment (``snapshot_tree(system)``).

    Attributes:
        system: the system's name.
        taken_at: when it was taken (``time.time()``, seconds since the epoch).
        statistics: ``system.statistics()`` at the same moment.
        health: ``system.health().status`` at the same moment (``ok``, ``degraded``,
            ``failed``).
        actors: the top-level actors and their trees, in spawn order.
        runtime: the runtime's own actors (under ``/system``, such as the event bus).
    """

    system: str
    taken_at: float
    statistics: SystemStatistics
    health: str
    actors: tuple[ActorSnapshot, ...]
    runtime: tuple[ActorSnapshot, ...]

    def find(self, path: str) -> ActorSnapshot | None:
        """The actor at ``path`` (application or runtime actor), or None."""
        for root in (*self.actors, *self.runtime):
            found = root.find(path)
            if found is not None:
                return found
        return None

    def walk(self) -> list[ActorSnapshot]:
        """Every actor in the snapshot, depth first (application actors, then runtime)."""
        found: list[ActorSnapshot] = []
        for root in (*self.actors, *self.runtime):
            found.extend(root.walk())
        return found

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the live view's ``/api/tree`` answers)."""
        return {
            "system": self.system,
            "taken_at": self.taken_at,
            "health": self.health,
            "statistics": attrs.asdict(self.statistics),
            "actors": [root.to_dict() for root in self.actors],
            "runtime": [root.to_dict() for root in self.runtime],
        }


def snapshot_tree(system: ActorSystem) -> SystemSnapshot:
    """Take a snapshot of ``system``'s actor tree: every live actor with its state, mailbox,
    counters, bus subscriptions and the extra fields its ``Actor.introspect()`` returns.

    Reads the counters the runtime already keeps (no cost per message). Call it on the
    system's event loop thread. An ``introspect()`` that raises does not fail the snapshot:
    the error is logged (``actor.introspect_failed``) and shown in that actor's ``details``
    under ``introspect_error``.
    """
    builder = _Builder(_subscriptions(system))
    actors = tuple(builder.build(cell, None) for cell in list(system._top.values()))
    top = {id(cell) for cell in system._top.values()}
    runtime_cells = [
        cell
        for cell in list(system._registry.values())
        if cell.parent is None and id(cell) not in top
    ]
    runtime = tuple(builder.build(cell, None) for cell in runtime_cells)
    return SystemSnapshot(
        system=system.name,
        taken_at=time.time(),
        statistics=system.statistics(),
        health=system.health().status,
        actors=actors,
        runtime=runtime,
    )


def snapshot_actor(system: ActorSystem, path: str) -> ActorSnapshot | None:
    """The live actor at ``path`` and its children (without theirs), or None."""
    cell = system._registry.get(path)
    if cell is None:
        return None
    parent = cell.parent
    states = None if parent is None else _backoff_states(_details(parent))
    return _Builder(_subscriptions(system), depth=1).build(cell, states)


def _subscriptions(system: ActorSystem) -> dict[str, tuple[str, ...]]:
    bus = system._bus_access.instance
    return {} if bus is None else bus.subscribers()


def _backoff_states(details: Mapping[str, Any]) -> dict[str, str]:
    """Which children a supervisor's details say wait for a backoff delay."""
    told = details.get("children")
    states: dict[str, str] = {}
    if isinstance(told, list):
        for entry in told:
            if isinstance(entry, Mapping) and entry.get("state") == "backoff":
                states[str(entry.get("name"))] = "backoff"
    return states


class _Builder:
    def __init__(self, subscriptions: dict[str, tuple[str, ...]], depth: int | None = None) -> None:
        self._subscriptions = subscriptions
        self._depth = depth

    def build(
        self, cell: ActorCell, parent_children: Mapping[str, str] | None, level: int = 0
    ) -> ActorSnapshot:
        details = _details(cell)
        state = _STATE_NAMES[cell.state]
        if cell.state is HALTED and parent_children is not None:
            # Only the supervisor knows whether a halted child waits for a backoff delay.
            state = parent_children.get(cell.name, state)
        children: tuple[ActorSnapshot, ...] = ()
        if self._depth is None or level < self._depth:
            states = _backoff_states(details)
            children = tuple(
                self.build(child, states, level + 1) for child in list(cell.children.values())
            )
        mailbox = cell.mailbox
        return ActorSnapshot(
            path=cell.path,
            name=cell.name,
            actor_class=cell.actor_class,
            state=state,
            incarnation=cell.incarnation,
            depth=len(mailbox.user),
            capacity=mailbox.capacity,
            high_water_mark=mailbox.high_water_mark,
            blocked_senders=len(mailbox.putters),
            processed=cell.processed,
            failed=cell.failed,
            dead_lettered=cell.dead_lettered,
            restarts=cell.restarts,
            subscriptions=self._subscriptions.get(cell.path, ()),
            details=details,
            children=children,
        )


def _details(cell: ActorCell) -> dict[str, Any]:
    instance = cell.instance
    if instance is None:
        return {}
    try:
        details = instance.introspect()
        if not isinstance(details, Mapping):
            raise TypeError(
                f"{type(instance).__name__}.introspect() returned"
                f" {type(details).__name__}, not a mapping"
            )
        return dict(details)
    except Exception as exc:
        log_limited(
            "error",
            "actor.introspect_failed",
            cell.path,
            actor=cell.path,
            actor_class=cell.actor_class,
            **error_fields(exc),
        )
        return {"introspect_error": f"{type(exc).__name__}: {exc}"}
