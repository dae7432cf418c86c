"""Cluster membership from heartbeats: a pure state machine (no I/O, no clock of its own).

The node feeds it what it hears (``heard``, ``left``) and the time (``expire``); it answers
with the membership events to publish. Invariants: a node is a member under at most one
incarnation; an incarnation once declared down never becomes a member again (a node that
comes back is a new incarnation), so a late heartbeat of a dead incarnation changes nothing.
"""

from __future__ import annotations

import attrs

__all__ = ["Member", "MemberDown", "MemberUp", "Membership"]


@attrs.frozen
class Member:
    """One live node of the cluster: its name and the id of its current start."""

    node: str
    incarnation: str


@attrs.frozen
class MemberUp:
    """A node joined the cluster (or came back as a new incarnation).

    Published on the local event bus under the topic ``system.cluster.member_up``.
    """

    node: str
    incarnation: str


@attrs.frozen
class MemberDown:
    """A node left the cluster.

    Published on the local event bus under the topic ``system.cluster.member_down``.
    ``reason`` is ``node_lost`` (no heartbeat within the timeout), ``left`` (it shut down
    gracefully) or ``restarted`` (it came back as a new incarnation).
    """

    node: str
    incarnation: str
    reason: str


class Membership:
    """Who is a member, from heartbeats (private; the node drives it)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        # node -> (incarnation, last heard, loop time)
        self._members: dict[str, tuple[str, float]] = {}
        # Incarnations declared down: ignored for good (bounded by the number of starts).
        self.down: set[tuple[str, str]] = set()

    @property
    def members(self) -> tuple[Member, ...]:
        return tuple(Member(node, inc) for node, (inc, _) in sorted(self._members.items()))

    def incarnation_of(self, node: str) -> str | None:
        entry = self._members.get(node)
        return None if entry is None else entry[0]

    def heard(self, node: str, incarnation: str, now: float) -> list[MemberUp | MemberDown]:
        """A heartbeat (or any frame) from ``node`` in ``incarnation`` arrived at ``now``."""
        if (node, incarnation) in self.down:
            return []
        entry = self._members.get(node)
        if entry is not None and entry[0] == incarnation:
            self._members[node] = (incarnation, now)
            return []
        events: list[MemberUp | MemberDown] = []
        if entry is not None:
            self.down.add((node, entry[0]))
            events.append(MemberDown(node, entry[0], "restarted"))
        self._members[node] = (incarnation, now)
        events.append(MemberUp(node, incarnation))
        return events

    def left(self, node: str, incarnation: str) -> MemberDown | None:
        """``node`` announced it is leaving (graceful shutdown)."""
        entry = self._members.get(node)
        self.down.add((node, incarnation))
        if entry is None or entry[0] != incarnation:
            return None
        del self._members[node]
        return MemberDown(node, incarnation, "left")

    def next_expiry(self) -> float | None:
        """When the member heard from least recently is due to be declared down (its last
        heartbeat plus the timeout), or None when there is no member."""
        if not self._members:
            return None
        return min(seen for _, seen in self._members.values()) + self.timeout

    def expire(self, now: float) -> list[MemberDown]:
        """Declare down every member not heard from for the timeout (or longer)."""
        lost = [
            (node, inc) for node, (inc, seen) in self._members.items() if now - seen >= self.timeout
        ]
        for node, inc in lost:
            del self._members[node]
            self.down.add((node, inc))
        return [MemberDown(node, inc, "node_lost") for node, inc in lost]

    def forget_all(self) -> list[MemberDown]:
        """Declare every member down at once: this node found it was cut off (its own loop
        stalled past the timeout), so its peers have declared it down and dropped what it
        asked of them. They are not tombstoned: their next heartbeat makes them members
        again (``member_up``)."""
        events = [MemberDown(node, inc, "node_lost") for node, (inc, _) in self._members.items()]
        self._members.clear()
        return events
