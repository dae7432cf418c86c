"""``Cluster``: a node's view of its cluster (``system.cluster``)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

import attrs

from actors._cluster._membership import Member, MemberDown, MemberUp
from actors._core._errors import NodeUnreachable

if TYPE_CHECKING:
    from actors._cluster._membership import Membership

__all__ = [
    "MEMBER_DOWN_TOPIC",
    "MEMBER_UP_TOPIC",
    "BusInterest",
    "Cluster",
    "ClusterStatistics",
]

MEMBER_UP_TOPIC = "system.cluster.member_up"
MEMBER_DOWN_TOPIC = "system.cluster.member_down"


class BusInterest(Protocol):
    """What ``Cluster`` asks of the cluster bus: which nodes subscribe to a topic."""

    def nodes_for(self, topic: str) -> tuple[str, ...]:
        """The other nodes known to have a subscriber for ``topic``, sorted.

        Raises ValueError or TypeError for an invalid topic."""

    async def wait_for(self, node: str, topic: str, timeout: float | None) -> None:
        """Wait until ``node`` is known to have a subscriber for ``topic``.

        Raises TimeoutError after ``timeout`` seconds; ValueError or TypeError for an
        invalid topic."""


@attrs.frozen
class ClusterStatistics:
    """A snapshot of one node's traffic (``system.cluster.statistics()``).

    ``tells_lost`` counts tells (and replies) dropped on this side because the connection to
    NATS was down or the outgoing queue was full: remote tells are at-most-once.
    ``undecodable`` counts frames received that could not be decoded (each is also a dead
    letter, reason ``undecodable``). ``late_replies`` counts replies that arrived after
    their ask had timed out or failed. ``events_sent`` counts bus events this node sent to
    other nodes (one per publish, however many nodes subscribe; lost ones are counted in
    ``tells_lost``), ``events_received`` the events from other nodes it delivered here.
    """

    node: str
    incarnation: str
    members: int
    tells_sent: int
    tells_lost: int
    asks_sent: int
    frames_received: int
    undecodable: int
    late_replies: int
    events_sent: int = 0
    events_received: int = 0


class Cluster:
    """The membership of the cluster as this node sees it, from heartbeats over NATS.

    Changes are published on the local event bus: ``MemberUp`` under
    ``system.cluster.member_up`` and ``MemberDown`` under ``system.cluster.member_down``
    (subscribe an actor to ``system.cluster.>``). This node is not among ``members``.
    """

    def __init__(self, node: str, membership: Membership) -> None:
        self._node = node
        self.incarnation = ""
        self._membership = membership
        self._waiters: dict[str, list[asyncio.Future[Member]]] = {}
        self.tells_sent = 0
        self.tells_lost = 0
        self.asks_sent = 0
        self.frames_received = 0
        self.undecodable = 0
        self.late_replies = 0
        self.events_sent = 0
        self.events_received = 0
        # The bus's view of the other nodes' subscriptions (set by the transport).
        self.interest: BusInterest | None = None

    def __repr__(self) -> str:
        return f"<Cluster node={self._node!r} members={len(self.members)}>"

    @property
    def node(self) -> str:
        """This node's name."""
        return self._node

    @property
    def members(self) -> tuple[Member, ...]:
        """The other nodes currently up, by name."""
        return self._membership.members

    def member(self, node: str) -> Member | None:
        """The live member named ``node``, or ``None``."""
        incarnation = self._membership.incarnation_of(node)
        return None if incarnation is None else Member(node, incarnation)

    async def wait_for(self, node: str, *, timeout: float | None = 10.0) -> Member:
        """Wait until ``node`` is a member (returns at once if it is) and return it.

        Raises:
            NodeUnreachable: ``node`` did not join within ``timeout`` seconds.
        """
        found = self.member(node)
        if found is not None:
            return found
        waiter: asyncio.Future[Member] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(node, []).append(waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            raise NodeUnreachable(
                f"node {node!r} did not join the cluster within {timeout}s", node=node
            ) from None
        finally:
            waiters = self._waiters.get(node)
            if waiters is not None and waiter in waiters:
                waiters.remove(waiter)
            if not waiter.done():
                waiter.cancel()

    def statistics(self) -> ClusterStatistics:
        """A snapshot of this node's cluster traffic (see ``ClusterStatistics``)."""
        return ClusterStatistics(
            node=self._node,
            incarnation=self.incarnation,
            members=len(self.members),
            tells_sent=self.tells_sent,
            tells_lost=self.tells_lost,
            asks_sent=self.asks_sent,
            frames_received=self.frames_received,
            undecodable=self.undecodable,
            late_replies=self.late_replies,
            events_sent=self.events_sent,
            events_received=self.events_received,
        )

    def subscribers(self, topic: str) -> tuple[str, ...]:
        """The other nodes known here to have a subscriber for ``topic`` (sorted): those an
        event published on ``topic`` here is sent to.

        Raises:
            ValueError, TypeError: ``topic`` is not a valid topic.
        """
        return () if self.interest is None else self.interest.nodes_for(topic)

    async def wait_for_subscriber(
        self, node: str, topic: str, *, timeout: float | None = 10.0
    ) -> None:
        """Wait until node ``node`` is known here to have a subscriber for ``topic`` (returns
        at once if it is), so that an event published here afterwards is sent to it.

        Subscriptions propagate in the background: ``system.subscribe`` on one node returns
        once the subscription is active there and on NATS; the other nodes learn of it a
        moment later. Use this where a publisher must not start before a remote subscriber.

        Raises:
            TimeoutError: ``node`` was not known to subscribe to ``topic`` within ``timeout``.
            ValueError, TypeError: ``topic`` is not a valid topic.
        """
        if self.interest is None:
            raise TimeoutError(f"node {node!r} does not subscribe to {topic!r}: no cluster bus")
        await self.interest.wait_for(node, topic, timeout)

    def _changed(self, event: MemberUp | MemberDown) -> None:
        if isinstance(event, MemberUp):
            for waiter in self._waiters.pop(event.node, ()):
                if not waiter.done():
                    waiter.set_result(Member(event.node, event.incarnation))
