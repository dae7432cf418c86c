"""``MemberLink``: this node's side of cluster membership: heartbeats out, heartbeats and
leave announcements in, members declared down, and coming back as a new incarnation.

A member is declared down at its last heartbeat plus ``heartbeat_timeout``, by a timer armed
for the member heard from least recently (not at the next tick of a periodic sweep), so a
node that dies is lost to the others within the timeout of its last heartbeat."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from nats.aio.msg import Msg

from actors._cluster._cluster import MEMBER_DOWN_TOPIC, MEMBER_UP_TOPIC
from actors._cluster._membership import MemberDown, MemberUp
from actors._core._errors import ActorError
from actors._core._log import log_limited, logger
from actors.remote._link import NodeLink
from actors.remote._wire import DeclaredDown, Heartbeat, Interest, Leave, encode_frame

__all__ = ["MemberLink"]


class MemberLink:
    """Drives the ``Membership`` from the members subject and the clock (private).

    ``node_down(node, incarnation)`` is called for each member declared down;
    ``rejoined()`` when this node became a new incarnation; ``member_up()`` for each member
    that came up (after which this node sends its heartbeat); ``interest(frame)`` for the
    bus patterns a node announced on the members subject."""

    def __init__(
        self,
        link: NodeLink,
        node_down: Callable[[str, str], None],
        rejoined: Callable[[], None],
        member_up: Callable[[], None],
        interest: Callable[[Interest], None],
    ) -> None:
        self._link = link
        self._node_down = node_down
        self._rejoined = rejoined
        self._member_up = member_up
        self._interest = interest
        # Armed for Membership.next_expiry() while there is a member.
        self._timer: asyncio.TimerHandle | None = None
        # Loop time of the heartbeat loop's latest tick: how this node sees its own stall.
        self._last_tick = 0.0

    async def on_member_frame(self, msg: Msg) -> None:
        link = self._link
        frame = link.decode(msg)
        if frame is None:
            return
        assert link.loop is not None
        if isinstance(frame, Heartbeat):
            if frame.node == link.node:
                return
            if (frame.node, frame.incarnation) in link.membership.down:
                link.send_control(frame.node, DeclaredDown(frame.node, frame.incarnation))
                return
            events = link.membership.heard(frame.node, frame.incarnation, link.loop.time())
            for event in events:
                self._apply(event)
            if self._timer is None:
                self._arm()
            if any(isinstance(event, MemberUp) for event in events):
                # A newcomer learns of this node now, not at the next heartbeat.
                link.send(link.members_subject, encode_frame(link.heartbeat()))
        elif isinstance(frame, Interest):
            self._interest(frame)
        elif isinstance(frame, Leave):
            if frame.node != link.node:
                left = link.membership.left(frame.node, frame.incarnation)
                if left is not None:
                    self._apply(left)
        else:
            link.unexpected(msg, frame)

    def _apply(self, event: MemberUp | MemberDown) -> None:
        link = self._link
        link.cluster._changed(event)
        if isinstance(event, MemberUp):
            logger.info("cluster.member_up", node=link.node, member=event.node)
            topic = MEMBER_UP_TOPIC
            self._member_up()
        else:
            logger.warning(
                "cluster.member_down", node=link.node, member=event.node, reason=event.reason
            )
            topic = MEMBER_DOWN_TOPIC
            self._node_down(event.node, event.incarnation)
        try:
            link.system.publish_nowait(topic, event)
        except ActorError as error:
            log_limited("warning", "cluster.event_dropped", topic, topic=topic, error=repr(error))

    def _arm(self) -> None:
        """Arm the expiry timer for the member due first (none: no timer)."""
        link = self._link
        deadline = link.membership.next_expiry()
        if deadline is not None:
            assert link.loop is not None
            self._timer = link.loop.call_at(deadline, self._expire_due)

    def _expire_due(self) -> None:
        link = self._link
        assert link.loop is not None
        self._timer = None
        now = link.loop.time()
        if now - self._last_tick > link.config.heartbeat_timeout:
            # This node's own loop stalled, not its peers: they are not declared down; the
            # heartbeat loop rejoins as a new incarnation when it wakes (just after this).
            self._timer = link.loop.call_at(now + self._tick(), self._expire_due)
            return
        for event in link.membership.expire(now):
            self._apply(event)
        self._arm()

    def _tick(self) -> float:
        config = self._link.config
        return min(config.heartbeat_interval, config.heartbeat_timeout / 4)

    def close(self) -> None:
        """Stop declaring members down (the node is leaving)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def heartbeat_loop(self) -> None:
        link = self._link
        assert link.loop is not None
        loop = link.loop
        interval = link.config.heartbeat_interval
        timeout = link.config.heartbeat_timeout
        tick = self._tick()
        self._last_tick = loop.time()
        next_beat = self._last_tick + interval
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            if now - self._last_tick > timeout:
                # This loop itself stalled past the timeout (a paused process, a blocked
                # loop): the peers have declared this node down meanwhile.
                await self.rejoin(f"this node's loop stalled for {now - self._last_tick:.1f}s")
            self._last_tick = now
            if now >= next_beat:
                next_beat = now + interval
                if link.connected():
                    link.send(link.members_subject, encode_frame(link.heartbeat()))

    async def rejoin(self, why: str) -> None:
        """Come back as a new incarnation: what peers knew of the old one is gone."""
        link = self._link
        old = link.incarnation
        link.incarnation = uuid.uuid4().hex
        link.cluster.incarnation = link.incarnation
        logger.warning(
            "cluster.rejoining", node=link.node, why=why, old=old[:8], new=link.incarnation[:8]
        )
        for event in link.membership.forget_all():
            self._apply(event)
        self._rejoined()
        link.send(link.members_subject, encode_frame(link.heartbeat()))
